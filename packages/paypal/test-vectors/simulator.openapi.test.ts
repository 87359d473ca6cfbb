// The simulated PayPal API checked against PayPal's own OpenAPI documents (Orders v2,
// Payments v2, Invoicing v2) of paypal/paypal-rest-api-specifications @ec4d8f36
// (Apache-2.0), and against the response bodies srmklive/laravel-paypal recorded
// (tests/Mocks/Responses @df4122ca, MIT), copied into this folder
// (see README.md here). Validation follows schema-check.json here:
// ajv 8 with strict off, all errors, unicodeRegExp off, and ajv-formats.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SIMULATED_ACCESS_TOKEN, startPayPalSimulator } from '../src/testing/index.js';

const vectors = new URL('./', import.meta.url);
const read = (path: string) => JSON.parse(readFileSync(new URL(path, vectors), 'utf8'));

const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
(addFormats as unknown as (instance: Ajv) => void)(ajv);
ajv.addSchema(read('openapi/checkout_orders_v2.json'), 'orders');
ajv.addSchema(read('openapi/payments_payment_v2.json'), 'payments');
ajv.addSchema(read('openapi/invoicing_v2.json'), 'invoicing');

/** Schema errors of `body` as the response `status` of `method path` in `document`. */
function errorsOf(document: string, path: string, method: string, status: number, body: unknown) {
  // A JSON pointer (RFC 6901) to the response schema, so its own $refs resolve in the document.
  const pointer = [
    'paths',
    path,
    method,
    'responses',
    String(status),
    'content',
    'application/json',
    'schema',
  ]
    .map((segment) => encodeURIComponent(segment.replaceAll('~', '~0').replaceAll('/', '~1')))
    .join('/');
  const validate = ajv.getSchema(`${document}#/${pointer}`);
  if (!validate) throw new Error(`${document} has no JSON schema for ${method} ${path} ${status}`);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

const paypal = startPayPalSimulator();
afterAll(() => paypal.close());
beforeEach(() => paypal.reset());

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`https://api-m.sandbox.paypal.com${path}`, {
    method,
    headers: {
      authorization: `Bearer ${SIMULATED_ACCESS_TOKEN}`,
      'content-type': 'application/json',
      prefer: 'return=representation',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

describe("simulated bodies satisfy PayPal's response schemas", () => {
  it('orders: create, get, capture', async () => {
    const created = await call('POST', '/v2/checkout/orders', {
      intent: 'CAPTURE',
      purchase_units: [
        {
          amount: {
            currency_code: 'USD',
            value: '25.00',
            breakdown: { item_total: { currency_code: 'USD', value: '25.00' } },
          },
          items: [
            { name: 'Mug', quantity: '1', unit_amount: { currency_code: 'USD', value: '25.00' } },
          ],
        },
      ],
    });
    expect(created.status).toBe(201);
    expect(errorsOf('orders', '/v2/checkout/orders', 'post', 201, created.body)).toEqual([]);
    const { approvedOrderId, capturedOrderId } = paypal.state.ids;
    const order = await call('GET', `/v2/checkout/orders/${capturedOrderId}`);
    expect(errorsOf('orders', '/v2/checkout/orders/{id}', 'get', 200, order.body)).toEqual([]);
    const captured = await call('POST', `/v2/checkout/orders/${approvedOrderId}/capture`);
    expect(captured.status).toBe(201);
    expect(
      errorsOf('orders', '/v2/checkout/orders/{id}/capture', 'post', 201, captured.body),
    ).toEqual([]);
  });

  it('payments: capture, refund, refund details', async () => {
    const { captureId, refundId } = paypal.state.ids;
    const capture = await call('GET', `/v2/payments/captures/${captureId}`);
    expect(
      errorsOf('payments', '/v2/payments/captures/{capture_id}', 'get', 200, capture.body),
    ).toEqual([]);
    const refund = await call('POST', `/v2/payments/captures/${captureId}/refund`, {
      amount: { currency_code: 'USD', value: '10.00' },
    });
    expect(refund.status).toBe(201);
    expect(
      errorsOf('payments', '/v2/payments/captures/{capture_id}/refund', 'post', 201, refund.body),
    ).toEqual([]);
    const details = await call('GET', `/v2/payments/refunds/${refundId}`);
    expect(
      errorsOf('payments', '/v2/payments/refunds/{refund_id}', 'get', 200, details.body),
    ).toEqual([]);
  });

  it('invoicing: create (representation), list, get, send', async () => {
    const created = await call('POST', '/v2/invoicing/invoices', {
      detail: { currency_code: 'USD' },
      items: [
        { name: 'Lesson', quantity: '2', unit_amount: { currency_code: 'USD', value: '40.00' } },
      ],
    });
    expect(created.status).toBe(201);
    expect(errorsOf('invoicing', '/v2/invoicing/invoices', 'post', 201, created.body)).toEqual([]);
    const list = await call('GET', '/v2/invoicing/invoices?total_required=true');
    expect(errorsOf('invoicing', '/v2/invoicing/invoices', 'get', 200, list.body)).toEqual([]);
    const invoice = await call('GET', `/v2/invoicing/invoices/${paypal.state.ids.draftInvoiceId}`);
    expect(
      errorsOf('invoicing', '/v2/invoicing/invoices/{invoice_id}', 'get', 200, invoice.body),
    ).toEqual([]);
    const sent = await call(
      'POST',
      `/v2/invoicing/invoices/${paypal.state.ids.draftInvoiceId}/send`,
      {
        send_to_recipient: true,
      },
    );
    expect(sent.status).toBe(200);
    expect(
      errorsOf('invoicing', '/v2/invoicing/invoices/{invoice_id}/send', 'post', 200, sent.body),
    ).toEqual([]);
  });

  it('errors: unknown order and over-refund', async () => {
    const missing = await call('GET', '/v2/checkout/orders/ABCDEFGHJKLMNPQRS');
    expect(missing.status).toBe(404);
    expect(errorsOf('orders', '/v2/checkout/orders/{id}', 'get', 404, missing.body)).toEqual([]);
    const over = await call('POST', `/v2/payments/captures/${paypal.state.ids.captureId}/refund`, {
      amount: { currency_code: 'USD', value: '100.01' },
    });
    expect(over.status).toBe(422);
    expect(
      errorsOf('payments', '/v2/payments/captures/{capture_id}/refund', 'post', 422, over.body),
    ).toEqual([]);
  });

  it('orders: update (PATCH) takes a patch_request, answers 204 and documented errors', async () => {
    const orders = read('openapi/checkout_orders_v2.json');
    const operation = orders.paths['/v2/checkout/orders/{id}'].patch;
    const validRequest = ajv.getSchema('orders#/components/schemas/patch_request');
    const update = (id: string, body: unknown) =>
      fetch(`https://api-m.sandbox.paypal.com/v2/checkout/orders/${id}`, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${SIMULATED_ACCESS_TOKEN}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    const unit = "/purchase_units/@reference_id=='default'";
    const replaceAmount = [
      { op: 'replace', path: `${unit}/amount`, value: { currency_code: 'USD', value: '150.00' } },
    ];
    expect(validRequest?.(replaceAmount)).toBe(true);
    const done = await update(paypal.state.ids.approvedOrderId, replaceAmount);
    expect(Object.keys(operation.responses)).toContain(String(done.status));
    expect([done.status, await done.text()]).toEqual([204, '']);

    const refusals: Array<[string, unknown]> = [
      [paypal.state.ids.capturedOrderId, replaceAmount],
      [
        paypal.state.ids.approvedOrderId,
        [
          {
            op: 'replace',
            path: `${unit}/amount`,
            value: {
              currency_code: 'USD',
              value: '150.00',
              breakdown: { item_total: { currency_code: 'USD', value: '100.00' } },
            },
          },
        ],
      ],
      [paypal.state.ids.approvedOrderId, [{ op: 'replace', path: `${unit}/payee/x`, value: 1 }]],
      [paypal.state.ids.approvedOrderId, [{ op: 'remove', path: `${unit}/amount` }]],
      [paypal.state.ids.approvedOrderId, [{ op: 'replace', path: `${unit}/amount` }]],
      [paypal.state.ids.approvedOrderId, { op: 'replace' }],
      ['ABCDEFGHJKLMNPQRS', replaceAmount],
    ];
    for (const [id, body] of refusals) {
      const response = await update(id, body);
      const answer = await response.json();
      expect(
        errorsOf('orders', '/v2/checkout/orders/{id}', 'patch', response.status, answer),
        JSON.stringify(answer),
      ).toEqual([]);
    }
  });
});

describe('simulated bodies match what laravel-paypal recorded', () => {
  /** The keys of a JSON value, recursively, as dotted paths (array items as `[]`). */
  function shape(value: unknown, prefix = ''): string[] {
    if (Array.isArray(value)) return value.length ? shape(value[0], `${prefix}[]`) : [];
    if (typeof value !== 'object' || value === null) return [prefix];
    return Object.entries(value).flatMap(([key, item]) =>
      shape(item, prefix ? `${prefix}.${key}` : key),
    );
  }

  it('captures an order with the fields of mockOrderPaymentCapturedResponse', async () => {
    const recorded = read('laravel-paypal-mocks/mockOrderPaymentCapturedResponse.json');
    const captured = await call(
      'POST',
      `/v2/checkout/orders/${paypal.state.ids.approvedOrderId}/capture`,
    );
    const ours = new Set(shape(captured.body));
    const missing = shape(recorded).filter(
      (path) => !ours.has(path) && !path.startsWith('purchase_units[].shipping'),
    );
    expect(missing).toEqual([]);
  });

  it('reads a refund with exactly the fields of mockGetRefundDetailsResponse', async () => {
    const recorded = read('laravel-paypal-mocks/mockGetRefundDetailsResponse.json');
    const ours = await call('GET', `/v2/payments/refunds/${recorded.id}`);
    expect(shape(ours.body).sort()).toEqual(shape(recorded).sort());
    expect(ours.body).toMatchObject({
      id: recorded.id,
      amount: recorded.amount,
      status: recorded.status,
      note_to_payer: recorded.note_to_payer,
      invoice_id: recorded.invoice_id,
    });
  });

  it('answers refund creation with the minimal body of mockRefundCapturedPaymentResponse', async () => {
    const recorded = read('laravel-paypal-mocks/mockRefundCapturedPaymentResponse.json');
    const response = await fetch(
      `https://api-m.sandbox.paypal.com/v2/payments/captures/${paypal.state.ids.captureId}/refund`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${SIMULATED_ACCESS_TOKEN}`,
          'content-type': 'application/json',
        },
        body: '{}',
      },
    );
    expect(shape(await response.json()).sort()).toEqual(shape(recorded).sort());
  });

  it('lists invoices with the summary fields of mockListInvoicesResponse', async () => {
    const recorded = read('laravel-paypal-mocks/mockListInvoicesResponse.json');
    const ours = await call('GET', '/v2/invoicing/invoices?total_required=true');
    const have = new Set(shape(ours.body));
    // The recorded invoices carry optional fields (reference, term, memo) ours may lack.
    const required = [
      'total_items',
      'total_pages',
      'items[].id',
      'items[].status',
      'items[].detail.invoice_number',
      'items[].detail.currency_code',
      'items[].detail.metadata.create_time',
      'items[].invoicer.email_address',
      'items[].primary_recipients[].billing_info.email_address',
      'items[].amount.currency_code',
      'items[].amount.value',
      'items[].links[].href',
    ];
    expect(required.filter((path) => shape(recorded).includes(path) && !have.has(path))).toEqual(
      [],
    );
  });
});
