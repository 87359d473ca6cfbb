// Provider idempotency: every run of one Handshake transaction sends PayPal the same
// PayPal-Request-Id, so a run repeated after a crash moves money once. The toolkit's real
// code against the simulated PayPal.
import type { ToolContext } from '@handshake/core';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SIMULATED_ACCESS_TOKEN, startPayPalSimulator } from '../testing/index.js';
import { createPayPalToolProvider } from './provider.js';

const paypal = startPayPalSimulator();
afterAll(() => paypal.close());
beforeEach(() => paypal.reset());

const provider = createPayPalToolProvider({ accessToken: SIMULATED_ACCESS_TOKEN });
const context = (transactionId: string): ToolContext => ({
  transactionId,
  userId: 'alice',
  signal: new AbortController().signal,
});
const posts = () => paypal.state.requests.filter((request) => request.method === 'POST');
const refundsOf = (captureId: string) => paypal.state.captures.get(captureId)?.refundIds.length;

describe('PayPal-Request-Id from the transaction', () => {
  it('pay_order run twice in one transaction captures once, and answers the first capture', async () => {
    const { approvedOrderId } = paypal.state.ids;
    const first = await provider.execute('pay_order', { id: approvedOrderId }, context('tx_A'));
    const again = await provider.execute('pay_order', { id: approvedOrderId }, context('tx_A'));
    expect(again).toEqual(first);
    expect(paypal.state.orders.get(approvedOrderId)?.captureIds).toHaveLength(1);
    expect(posts().map(({ requestId, replayed }) => ({ requestId, replayed }))).toEqual([
      { requestId: 'handshake-tx_A', replayed: undefined },
      { requestId: 'handshake-tx_A', replayed: true },
    ]);
    // Another transaction is another capture: PayPal refuses it, the order being paid.
    await expect(
      provider.execute('pay_order', { id: approvedOrderId }, context('tx_B')),
    ).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
  });

  it('create_refund repeated in one transaction refunds once; other transactions refund on their own', async () => {
    const { captureId } = paypal.state.ids;
    const before = refundsOf(captureId) ?? 0;
    const parameters = { capture_id: captureId, amount: { currency_code: 'USD', value: '5.00' } };
    const first = await provider.execute('create_refund', parameters, context('tx_R1'));
    expect(await provider.execute('create_refund', parameters, context('tx_R1'))).toEqual(first);
    expect(refundsOf(captureId)).toBe(before + 1);
    // Two other transactions at once, on the provider's one shared toolkit client.
    const [second, third] = await Promise.all([
      provider.execute('create_refund', parameters, context('tx_R2')),
      provider.execute('create_refund', parameters, context('tx_R3')),
    ]);
    expect(
      new Set([first, second, third].map((refund) => (refund as { id: string }).id)).size,
    ).toBe(3);
    expect(refundsOf(captureId)).toBe(before + 3);
    expect(new Set(posts().map((request) => request.requestId))).toEqual(
      new Set(['handshake-tx_R1', 'handshake-tx_R2', 'handshake-tx_R3']),
    );
  });

  it('create_order and create_product repeated in one transaction create one record', async () => {
    const order = {
      currencyCode: 'USD',
      items: [{ name: 'Mug', quantity: 1, itemCost: 12, taxPercent: 0, itemTotal: 12 }],
    };
    const orders = paypal.state.orders.size;
    const created = await provider.execute('create_order', order, context('tx_O'));
    expect(await provider.execute('create_order', order, context('tx_O'))).toEqual(created);
    expect(paypal.state.orders.size).toBe(orders + 1);
    await provider.execute('create_order', order, context('tx_O2'));
    expect(paypal.state.orders.size).toBe(orders + 2);

    const product = { name: 'Gift wrap', type: 'SERVICE' };
    const products = paypal.state.products.size;
    await provider.execute('create_product', product, context('tx_P'));
    await provider.execute('create_product', product, context('tx_P'));
    expect(paypal.state.products.size).toBe(products + 1);
  });

  it('sends no request id where PayPal takes none, nor on the amount lookups', async () => {
    const { capturedOrderId, approvedOrderId } = paypal.state.ids;
    await provider.execute('get_order', { id: capturedOrderId }, context('tx_G'));
    const payOrder = provider.listTools().find((tool) => tool.name === 'pay_order');
    await payOrder?.amount?.({ id: approvedOrderId });
    expect(paypal.state.requests).toHaveLength(2);
    expect(paypal.state.requests.every((request) => request.requestId === undefined)).toBe(true);
  });
});
