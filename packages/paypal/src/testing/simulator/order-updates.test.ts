// Updating an order (PATCH /v2/checkout/orders/{id}) in the simulated PayPal, read back
// and captured through the toolkit's real code.
import { PayPalAPI } from '@paypal/agent-toolkit/mcp';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SIMULATED_ACCESS_TOKEN, startPayPalSimulator } from '../index.js';

const paypal = startPayPalSimulator();
afterAll(() => paypal.close());
beforeEach(() => paypal.reset());

const api = new PayPalAPI(SIMULATED_ACCESS_TOKEN, { sandbox: true });
const approved = () => paypal.state.ids.approvedOrderId;
const AMOUNT = "/purchase_units/@reference_id=='default'/amount";

async function patch(id: string, body: unknown) {
  const response = await fetch(`https://api-m.sandbox.paypal.com/v2/checkout/orders/${id}`, {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${SIMULATED_ACCESS_TOKEN}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    // biome-ignore lint/suspicious/noExplicitAny: the tests read PayPal's JSON freely
    body: (text === '' ? undefined : JSON.parse(text)) as any,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read PayPal's JSON freely
async function run(method: string, args: Record<string, unknown>): Promise<any> {
  return JSON.parse(await api.run(method, args));
}

const issueOf = (answer: { body: { details?: Array<{ issue: string }> } }) =>
  answer.body.details?.[0]?.issue;

describe('order update', () => {
  it("replaces an approved order's amount; the capture takes the new amount", async () => {
    const updated = await patch(approved(), [
      { op: 'replace', path: AMOUNT, value: { currency_code: 'USD', value: '250.00' } },
    ]);
    expect(updated).toEqual({ status: 204, body: undefined });
    const order = await run('get_order', { id: approved() });
    expect(order.status).toBe('APPROVED');
    expect(order.purchase_units[0].amount).toEqual({ currency_code: 'USD', value: '250.00' });
    const paid = await run('pay_order', { id: approved() });
    expect(paid.response.purchase_units[0].payments.captures[0].amount).toEqual({
      currency_code: 'USD',
      value: '250.00',
    });
  });

  it('patches items and shipping, and checks a breakdown against the amount', async () => {
    const items = [
      { name: 'Mug', quantity: '2', unit_amount: { currency_code: 'USD', value: '60.00' } },
    ];
    const ok = await patch(approved(), [
      {
        op: 'replace',
        path: AMOUNT,
        value: {
          currency_code: 'USD',
          value: '130.00',
          breakdown: {
            item_total: { currency_code: 'USD', value: '120.00' },
            shipping: { currency_code: 'USD', value: '10.00' },
          },
        },
      },
      { op: 'add', path: "/purchase_units/@reference_id=='default'/items", value: items },
      {
        op: 'add',
        path: "/purchase_units/@reference_id=='default'/shipping/address",
        value: { address_line_1: '1 Main St', country_code: 'US' },
      },
    ]);
    expect(ok.status).toBe(204);
    const unit = (await run('get_order', { id: approved() })).purchase_units[0];
    expect(unit.items).toEqual(items);
    expect(unit.amount.value).toBe('130.00');
    expect(unit.shipping.address.address_line_1).toBe('1 Main St');
  });

  it('refuses as PayPal does, and a refused patch changes nothing', async () => {
    const before = structuredClone(paypal.state.orders.get(approved()));
    const mismatch = await patch(approved(), [
      { op: 'replace', path: AMOUNT, value: { currency_code: 'USD', value: '1.00' } },
      {
        op: 'replace',
        path: AMOUNT,
        value: {
          currency_code: 'USD',
          value: '20.00',
          breakdown: { item_total: { currency_code: 'USD', value: '10.00' } },
        },
      },
    ]);
    expect([mismatch.status, issueOf(mismatch)]).toEqual([422, 'AMOUNT_MISMATCH']);
    expect(paypal.state.orders.get(approved())).toEqual(before);

    const refusals: Array<[unknown, number, string]> = [
      [
        [{ op: 'replace', path: "/purchase_units/@reference_id=='other'/amount", value: {} }],
        422,
        'REFERENCE_ID_NOT_FOUND',
      ],
      [
        [
          {
            op: 'replace',
            path: "/purchase_units/@reference_id=='default'/payee/merchant_id",
            value: 'X',
          },
        ],
        400,
        'FIELD_NOT_PATCHABLE',
      ],
      [[{ op: 'remove', path: AMOUNT }], 400, 'INVALID_PATCH_OPERATION'],
      [[{ op: 'replace', path: AMOUNT }], 422, 'PATCH_VALUE_REQUIRED'],
      [[{ op: 'replace', value: 1 }], 422, 'PATCH_PATH_REQUIRED'],
      [[{ op: 'replace', path: 'intent', value: 'CAPTURE' }], 422, 'INVALID_JSON_POINTER_FORMAT'],
      [{ op: 'replace' }, 400, 'MALFORMED_REQUEST_JSON'],
    ];
    for (const [body, status, issue] of refusals) {
      const answer = await patch(approved(), body);
      expect([answer.status, issueOf(answer)], issue).toEqual([status, issue]);
    }
    expect(paypal.state.orders.get(approved())).toEqual(before);
  });

  it('refuses to update a completed order or an unknown one', async () => {
    const replace = [
      { op: 'replace', path: AMOUNT, value: { currency_code: 'USD', value: '5.00' } },
    ];
    const completed = await patch(paypal.state.ids.capturedOrderId, replace);
    expect([completed.status, issueOf(completed)]).toEqual([422, 'ORDER_ALREADY_COMPLETED']);
    expect((await patch('0000000000000000X', replace)).status).toBe(404);
  });
});
