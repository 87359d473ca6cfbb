import { afterAll, expect, it } from 'vitest';
import { createSimulatedPayPal } from './index.js';

const paypal = createSimulatedPayPal();
afterAll(() => paypal.close());

it('wires a provider to a running simulator with client credentials', async () => {
  expect(paypal.provider.environment).toBe('sandbox');
  const refund = await paypal.provider.execute(
    'get_refund',
    { refund_id: paypal.state.ids.refundId },
    { transactionId: 'tx_1', userId: 'alice', signal: new AbortController().signal },
  );
  expect(refund).toMatchObject({ id: paypal.state.ids.refundId, status: 'COMPLETED' });
  expect(paypal.state.requests.map((request) => request.url)).toEqual([
    'api-m.sandbox.paypal.com/v1/oauth2/token',
    `api.sandbox.paypal.com/v2/payments/refunds/${paypal.state.ids.refundId}`,
  ]);
});
