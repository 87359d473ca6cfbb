// The simulated PayPal honours PayPal-Request-Id as PayPal documents it: a repeat is
// answered with the first result and moves no money again.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SIMULATED_ACCESS_TOKEN, startPayPalSimulator } from '../index.js';

let now = Date.parse('2026-03-02T10:00:00Z');
const paypal = startPayPalSimulator({ clock: { now: () => now } });
afterAll(() => paypal.close());
beforeEach(() => {
  now = Date.parse('2026-03-02T10:00:00Z');
  paypal.reset();
});

const ids = () => paypal.state.ids;

async function post(path: string, body: unknown, requestId?: string) {
  const response = await fetch(`https://api-m.sandbox.paypal.com${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${SIMULATED_ACCESS_TOKEN}`,
      'content-type': 'application/json',
      prefer: 'return=representation',
      ...(requestId ? { 'paypal-request-id': requestId } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const refund = (value: string, requestId?: string) =>
  post(
    `/v2/payments/captures/${ids().captureId}/refund`,
    { amount: { currency_code: 'USD', value } },
    requestId,
  );
const refundsOfCapture = () => paypal.state.captures.get(ids().captureId)?.refundIds.length;

describe('PayPal-Request-Id', () => {
  it('a repeated capture gets the first answer, and captures once', async () => {
    const path = `/v2/checkout/orders/${ids().approvedOrderId}/capture`;
    const first = await post(path, {}, 'capture-1');
    const again = await post(path, {}, 'capture-1');
    expect(first.status).toBe(201);
    expect(again).toEqual(first);
    expect(paypal.state.orders.get(ids().approvedOrderId)?.captureIds).toHaveLength(1);
    expect(paypal.state.requests.at(-1)).toMatchObject({ requestId: 'capture-1', replayed: true });
    // Without the header, a second capture is refused as PayPal refuses it.
    expect((await post(path, {})).status).toBe(422);
  });

  it('a repeated refund refunds once; another id refunds again', async () => {
    const before = refundsOfCapture() ?? 0;
    const first = await refund('1.00', 'refund-a');
    expect(first.status).toBe(201);
    expect(await refund('1.00', 'refund-a')).toEqual(first);
    expect(refundsOfCapture()).toBe(before + 1);
    const other = await refund('1.00', 'refund-b');
    expect(other.body.id).not.toBe(first.body.id);
    expect(refundsOfCapture()).toBe(before + 2);
  });

  it('repeats sent at once are answered alike, and move money once', async () => {
    const before = refundsOfCapture() ?? 0;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => refund('2.00', 'refund-race')),
    );
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    expect(refundsOfCapture()).toBe(before + 1);
  });

  it('a repeated order creation answers the same order', async () => {
    const order = {
      intent: 'CAPTURE',
      purchase_units: [{ amount: { currency_code: 'USD', value: '12.00' } }],
    };
    const count = paypal.state.orders.size;
    const first = await post('/v2/checkout/orders', order, 'order-1');
    expect(await post('/v2/checkout/orders', order, 'order-1')).toEqual(first);
    expect(paypal.state.orders.size).toBe(count + 1);
  });

  it('keeps no refusal: a request refused once runs again when repeated', async () => {
    const path = `/v2/checkout/orders/${ids().pendingOrderId}/capture`;
    expect((await post(path, {}, 'capture-2')).status).toBe(422);
    paypal.approveOrder(ids().pendingOrderId);
    expect((await post(path, {}, 'capture-2')).status).toBe(201);
  });

  it('forgets an id after PayPal would (Payments v2: 45 days)', async () => {
    const before = refundsOfCapture() ?? 0;
    await refund('1.00', 'refund-old');
    now += 45 * 86_400_000 - 1;
    await refund('1.00', 'refund-old');
    expect(refundsOfCapture()).toBe(before + 1);
    now += 1;
    await refund('1.00', 'refund-old');
    expect(refundsOfCapture()).toBe(before + 2);
  });
});
