import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Tool parameters built from PayPal's own request examples (paypal-rest-api-
// specifications @ec4d8f36, Apache-2.0), copied into
// packages/paypal/test-vectors/spec-examples. Larger bodies repeat the examples' list members (purchase
// units, invoice line items) with distinct names and amounts, as a real order or
// invoice with more lines would.

const here = dirname(fileURLToPath(import.meta.url));
const vectors = join(here, '..', '..', 'packages', 'paypal', 'test-vectors', 'spec-examples');

function example(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(vectors, name), 'utf8')) as Record<string, unknown>;
}

/** JSON size in bytes (UTF-8) of a value. */
export function sizeOf(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

function grow(
  base: Record<string, unknown>,
  list: string,
  target: number,
  vary: (item: Record<string, unknown>, n: number) => Record<string, unknown>,
): Record<string, unknown> {
  const body = structuredClone(base);
  const source = (body[list] as Record<string, unknown>[]).map((item) => structuredClone(item));
  const items: Record<string, unknown>[] = [];
  body[list] = items;
  for (let n = 0; ; n += 1) {
    const next = vary(structuredClone(source[n % source.length]!), n);
    items.push(next);
    if (sizeOf(body) >= target) {
      if (items.length > 1 && sizeOf(body) - target > target * 0.05) items.pop();
      return body;
    }
  }
}

/** A body of each size, named as the tables print it. */
export interface SizedBody {
  label: string;
  tool: string;
  parameters: Record<string, unknown>;
  bytes: number;
}

/**
 * The parameter sizes of the hashing benchmark: ~100 B (an invoice payment record),
 * ~1 KB (an order with several purchase units), ~10 KB, ~64 KB and ~100 KB (invoices
 * with more line items).
 */
export function paypalBodies(): SizedBody[] {
  const payment = {
    invoice_id: 'INV2-C82X-JNN9-Y6S5-CNXW',
    ...example('invoicing_v2.payment_detail.json'),
  };
  const order = example('checkout_orders_v2.orders_create_201_example.json');
  const draft = example('invoicing_v2.invoice_draft.json');
  delete draft.id;
  delete draft.status;
  const orderOf = (target: number) =>
    grow(order, 'purchase_units', target, (unit, n) => ({
      ...unit,
      reference_id: `d9f80740-38f0-11e8-b467-${(n + 1).toString(16).padStart(12, '0')}`,
      description: `Purchase unit ${n + 1}`,
      amount: { currency_code: 'USD', value: `${100 + n}.00` },
    }));
  const invoiceOf = (target: number) =>
    grow(draft, 'items', target, (item, n) => ({
      ...item,
      name: `${String(item.name)} #${n + 1}`,
      quantity: String((n % 9) + 1),
    }));
  const bodies = [
    { label: '100 B', tool: 'record_invoice_payment', parameters: payment },
    { label: '1 KB', tool: 'create_order', parameters: orderOf(1_000) },
    { label: '10 KB', tool: 'create_invoice', parameters: invoiceOf(10_000) },
    { label: '64 KB', tool: 'create_invoice', parameters: invoiceOf(64_000) },
    { label: '100 KB', tool: 'create_invoice', parameters: invoiceOf(100_000) },
  ];
  return bodies.map((body) => ({ ...body, bytes: sizeOf(body.parameters) }));
}
