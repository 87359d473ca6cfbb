// The simulated PayPal API under the toolkit's real code: every product family the
// toolkit calls, and what the simulator remembers.
import { PayPalAPI } from '@paypal/agent-toolkit/mcp';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createPayPalSimulator,
  SIMULATED_ACCESS_TOKEN,
  SIMULATED_CLIENT_ID,
  SIMULATED_CLIENT_SECRET,
  startPayPalSimulator,
} from './index.js';

// The toolkit reads the global clock for its own date defaults (transaction search), so
// each test starts the simulator's clock at the real time and moves it from there.
let now = Date.now();
const clock = { now: () => now };
const paypal = startPayPalSimulator({ clock });
afterAll(() => paypal.close());
beforeEach(() => {
  now = Date.now();
  paypal.reset();
});

const api = new PayPalAPI(SIMULATED_ACCESS_TOKEN, { sandbox: true });
const ids = () => paypal.state.ids;

/** Runs a toolkit method and parses its string answer. */
// biome-ignore lint/suspicious/noExplicitAny: the tests read PayPal's JSON freely
async function run(method: string, args: Record<string, unknown>): Promise<any> {
  return JSON.parse(await api.run(method, args));
}

describe('OAuth', () => {
  const token = (authorization: string, body = 'grant_type=client_credentials') =>
    fetch('https://api-m.sandbox.paypal.com/v1/oauth2/token', {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
  const basic = (id: string, secret: string) => `Basic ${btoa(`${id}:${secret}`)}`;

  it('issues a bearer token for the right client credentials', async () => {
    const response = await token(basic(SIMULATED_CLIENT_ID, SIMULATED_CLIENT_SECRET));
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 32400 });
    expect(String(body.access_token)).toMatch(/^A21AA[A-Za-z0-9_-]{92}$/);
    const order = await new PayPalAPI(String(body.access_token), { sandbox: true }).run(
      'get_order',
      { id: ids().capturedOrderId },
    );
    expect(JSON.parse(order)).toMatchObject({ status: 'COMPLETED' });
  });

  it('refuses wrong credentials and other grants as PayPal does', async () => {
    const wrong = await token(basic(SIMULATED_CLIENT_ID, 'nope'));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      error: 'invalid_client',
      error_description: 'Client Authentication failed',
    });
    const grant = await token(
      basic(SIMULATED_CLIENT_ID, SIMULATED_CLIENT_SECRET),
      'grant_type=password',
    );
    expect(grant.status).toBe(400);
  });

  it('expires tokens by the injected clock', async () => {
    const response = await token(basic(SIMULATED_CLIENT_ID, SIMULATED_CLIENT_SECRET));
    const { access_token } = (await response.json()) as { access_token: string };
    const call = () =>
      fetch(`https://api.sandbox.paypal.com/v2/checkout/orders/${ids().capturedOrderId}`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
    expect((await call()).status).toBe(200);
    now += 32_400_000;
    const expired = await call();
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({
      error: 'invalid_token',
      error_description: 'Access Token not found in cache',
    });
  });

  it('refuses requests without a known token', async () => {
    const response = await fetch(
      `https://api.sandbox.paypal.com/v2/checkout/orders/${ids().capturedOrderId}`,
    );
    expect(response.status).toBe(401);
  });
});

describe('invoices', () => {
  const draft = {
    detail: { currency_code: 'USD' },
    invoicer: { business_name: 'Larusso Consulting' },
    primary_recipients: [{ billing_info: { email_address: 'bill-me@example.com' } }],
    items: [
      {
        name: 'Consulting',
        quantity: '1.5',
        unit_amount: { currency_code: 'USD', value: '80.00' },
        tax: { name: 'Sales Tax', percent: '7.25' },
        unit_of_measure: 'HOURS',
      },
    ],
  };

  it('answers create with a bare link, which the toolkit follows by sending the invoice', async () => {
    const result = await run('create_invoice', draft);
    expect(result.createResult).toEqual({
      href: expect.stringMatching(
        /^https:\/\/api\.sandbox\.paypal\.com\/v2\/invoicing\/invoices\/INV2-/,
      ),
      rel: 'self',
      method: 'GET',
    });
    expect(result.sendResult).toMatchObject({ rel: 'payer-view', method: 'GET' });
    const id = String(result.createResult.href).split('/').at(-1) ?? '';
    const stored = paypal.state.invoices.get(id);
    expect(stored?.status).toBe('SENT');
    // 1.5 × 80.00 = 120.00, plus 7.25% tax = 8.70.
    expect(stored?.amount).toEqual({ currency_code: 'USD', value: '128.70' });
    const read = await run('get_invoice', { invoice_id: id });
    expect(read).toMatchObject({
      id,
      status: 'SENT',
      amount: {
        value: '128.70',
        breakdown: { item_total: { value: '120.00' }, tax_total: { value: '8.70' } },
      },
      items: [{ name: 'Consulting', tax: { amount: { value: '8.70' } } }],
    });
  });

  it('answers create with the full invoice when asked for the representation', async () => {
    const response = await fetch('https://api-m.sandbox.paypal.com/v2/invoicing/invoices', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${SIMULATED_ACCESS_TOKEN}`,
        'content-type': 'application/json',
        prefer: 'return=representation',
      },
      body: JSON.stringify(draft),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      status: 'DRAFT',
      detail: { currency_code: 'USD', invoice_number: expect.any(String) },
      amount: { currency_code: 'USD', value: '128.70' },
    });
  });

  it('lists, reminds, cancels and renders a QR code', async () => {
    const list = await run('list_invoices', { page: 1, page_size: 10, total_required: true });
    expect(list.total_items).toBe(2);
    expect(list.items.map((item: { id: string }) => item.id)).toEqual([
      ids().sentInvoiceId,
      ids().draftInvoiceId,
    ]);
    expect(
      JSON.parse(await api.run('send_invoice_reminder', { invoice_id: ids().sentInvoiceId })),
    ).toBe('');
    const qr = await run('generate_invoice_qr_code', {
      invoice_id: ids().sentInvoiceId,
      width: 300,
      height: 300,
    });
    expect(qr).toContain('iVBORw0KGgo');
    expect(await run('cancel_sent_invoice', { invoice_id: ids().sentInvoiceId })).toEqual({
      success: true,
      invoice_id: ids().sentInvoiceId,
    });
    expect(paypal.state.invoices.get(ids().sentInvoiceId)?.status).toBe('CANCELLED');
  });

  it('refuses what PayPal refuses', async () => {
    expect(await run('send_invoice_reminder', { invoice_id: ids().draftInvoiceId })).toMatchObject({
      ok: false,
      status: 422,
    });
    expect(await run('get_invoice', { invoice_id: 'INV2-AAAA-BBBB-CCCC-DDDD' })).toMatchObject({
      ok: false,
      status: 404,
    });
  });
});

describe('orders, captures and refunds', () => {
  const order = {
    currencyCode: 'USD',
    items: [{ name: 'Headphones', quantity: 2, itemCost: 49.99, taxPercent: 8, itemTotal: 99.98 }],
    shippingCost: 5,
    discount: 0,
    returnUrl: 'https://shop.example.com/return',
    cancelUrl: 'https://shop.example.com/cancel',
  };

  it('creates an order the payer must approve, and captures it once approved', async () => {
    const created = await run('create_order', order);
    expect(created).toMatchObject({
      status: 'PAYER_ACTION_REQUIRED',
      links: expect.arrayContaining([expect.objectContaining({ rel: 'payer-action' })]),
    });
    const early = await run('pay_order', { id: created.id });
    expect(early).toMatchObject({ ok: false, status: 422 });
    expect(early.message).toContain('Payer has not yet approved the Order');

    paypal.approveOrder(created.id);
    const paid = await run('pay_order', { id: created.id });
    expect(paid.status).toBe('success');
    // 2 × 49.99 + 8% tax (8.00) + 5.00 shipping.
    const capture = paid.response.purchase_units[0].payments.captures[0];
    expect(capture).toMatchObject({ status: 'COMPLETED', amount: { value: '112.98' } });
    const read = await run('get_order', { id: created.id });
    expect(read.status).toBe('COMPLETED');
    expect(await run('pay_order', { id: created.id })).toMatchObject({ status: 422 });
  });

  it('refunds part of a capture, then the rest, then refuses', async () => {
    const { captureId } = ids();
    const partial = await run('create_refund', {
      capture_id: captureId,
      amount: { currency_code: 'USD', value: '30.00' },
      note_to_payer: 'Scratched',
    });
    expect(partial).toMatchObject({ status: 'COMPLETED' });
    const details = await run('get_refund', { refund_id: partial.id });
    expect(details).toMatchObject({ amount: { value: '30.00' }, note_to_payer: 'Scratched' });
    const tooMuch = await run('create_refund', {
      capture_id: captureId,
      amount: { currency_code: 'USD', value: '70.01' },
    });
    expect(tooMuch).toMatchObject({ ok: false, status: 422 });
    expect(tooMuch.message).toContain('less than or equal to the capture amount');
    const rest = await run('create_refund', { capture_id: captureId });
    expect(paypal.state.refunds.get(rest.id)?.amount.value).toBe('70.00');
    expect(paypal.state.captures.get(captureId)?.status).toBe('REFUNDED');
    expect(await run('create_refund', { capture_id: captureId })).toMatchObject({ status: 422 });
  });

  it('reads a seeded refund as laravel-paypal recorded it', async () => {
    expect(await run('get_refund', { refund_id: ids().refundId })).toMatchObject({
      id: '1JU08902781691411',
      amount: { value: '10.99', currency_code: 'USD' },
      status: 'COMPLETED',
      note_to_payer: 'Defective product',
      invoice_id: 'INVOICE-123',
      seller_payable_breakdown: { total_refunded_amount: { value: '10.99' } },
    });
  });
});

describe('disputes', () => {
  it('lists, reads and accepts a claim', async () => {
    const list = await run('list_disputes', { dispute_state: 'REQUIRED_ACTION', page_size: 10 });
    expect(list.items).toEqual([
      expect.objectContaining({
        dispute_id: ids().disputeId,
        dispute_amount: { currency_code: 'USD', value: '39.01' },
      }),
    ]);
    const dispute = await run('get_dispute', { dispute_id: ids().disputeId });
    expect(dispute.disputed_transactions[0]).toMatchObject({
      seller_transaction_id: ids().partlyRefundedCaptureId,
      buyer: { name: 'Stephanie Meyers' },
    });
    const accepted = await run('accept_dispute_claim', {
      dispute_id: ids().disputeId,
      note: 'Refunding',
    });
    expect(accepted.links[0].rel).toBe('self');
    const resolved = await run('get_dispute', { dispute_id: ids().disputeId });
    expect(resolved).toMatchObject({
      status: 'RESOLVED',
      dispute_outcome: { outcome_code: 'RESOLVED_BUYER_FAVOUR' },
    });
    expect(
      await run('accept_dispute_claim', { dispute_id: ids().disputeId, note: 'again' }),
    ).toMatchObject({ status: 422 });
  });
});

describe('products, plans and subscriptions', () => {
  it('creates a product, a plan on it, and a subscription to the plan', async () => {
    const product = await run('create_product', { name: 'Coffee club', type: 'PHYSICAL' });
    expect(product.id).toMatch(/^PROD-/);
    expect(await run('show_product_details', { product_id: product.id })).toMatchObject({
      name: 'Coffee club',
    });
    const products = await run('list_products', { page: 1, page_size: 10 });
    expect(products.total_items).toBe(2);

    const plan = await run('create_subscription_plan', {
      product_id: product.id,
      name: 'Monthly beans',
      billing_cycles: [
        {
          frequency: { interval_unit: 'MONTH', interval_count: 1 },
          tenure_type: 'REGULAR',
          sequence: 1,
          total_cycles: 12,
          pricing_scheme: { fixed_price: { currency_code: 'USD', value: '24.00' } },
        },
      ],
      payment_preferences: { auto_bill_outstanding: true },
    });
    expect(plan).toMatchObject({ status: 'ACTIVE', product_id: product.id });
    const plans = await run('list_subscription_plans', { product_id: product.id });
    expect(plans.plans.map((item: { id: string }) => item.id)).toEqual([plan.id]);

    const subscription = await run('create_subscription', { plan_id: plan.id });
    expect(subscription).toMatchObject({ status: 'APPROVAL_PENDING', plan_id: plan.id });
    expect(subscription.links[0]).toMatchObject({ rel: 'approve' });
  });

  it('updates a plan and a subscription with the JSON Patch the toolkit builds', async () => {
    expect(
      JSON.parse(
        await api.run('update_plan', {
          plan_id: ids().planId,
          name: 'Premium streaming',
          percentage: '8',
          operations: 'replace',
        }),
      ),
    ).toBe('');
    expect(await run('show_subscription_plan_details', { plan_id: ids().planId })).toMatchObject({
      name: 'Premium streaming',
      taxes: { percentage: '8' },
    });

    expect(
      JSON.parse(
        await api.run('update_subscription', {
          subscription_id: ids().subscriptionId,
          outstanding_balance: '12.50',
          fixed_price: { value: '12.00', sequence: 1 },
          custom_id: 'family-plan',
        }),
      ),
    ).toBe('');
    const updated = await run('show_subscription_details', {
      subscription_id: ids().subscriptionId,
      get_additional_details: true,
    });
    expect(updated).toMatchObject({
      custom_id: 'family-plan',
      plan_overridden: true,
      billing_info: { outstanding_balance: { currency_code: 'USD', value: '12.50' } },
      plan: { billing_cycles: [{ pricing_scheme: { fixed_price: { value: '12.00' } } }] },
    });
  });

  it('cancels a subscription once', async () => {
    const args = { subscription_id: ids().subscriptionId, payload: { reason: 'Moving abroad' } };
    expect(JSON.parse(await api.run('cancel_subscription', args))).toBe('');
    expect(paypal.state.subscriptions.get(ids().subscriptionId)?.status).toBe('CANCELLED');
    expect(await run('cancel_subscription', args)).toMatchObject({ status: 422 });
  });
});

describe('shipment tracking', () => {
  it('adds, reads and updates trackers', async () => {
    const added = await run('create_shipment_tracking', {
      transaction_id: ids().partlyRefundedCaptureId,
      tracking_number: '1Z999AA10123456784',
      status: 'SHIPPED',
      carrier: 'UPS',
    });
    expect(added.tracker_identifiers).toEqual([
      expect.objectContaining({ tracking_number: '1Z999AA10123456784' }),
    ]);
    expect(added.errors).toEqual([]);
    const byOrder = await run('get_shipment_tracking', { order_id: ids().capturedOrderId });
    expect(byOrder.trackers).toEqual([
      expect.objectContaining({ tracking_number: ids().trackingNumber, carrier: 'FEDEX' }),
    ]);
    expect(
      JSON.parse(
        await api.run('update_shipment_tracking', {
          transaction_id: ids().captureId,
          tracking_number: ids().trackingNumber,
          status: 'DELIVERED',
        }),
      ),
    ).toBe('');
    expect(paypal.state.trackers.get(`${ids().captureId}-${ids().trackingNumber}`)?.status).toBe(
      'DELIVERED',
    );
  });
});

describe('transaction search', () => {
  it('reports captures and refunds of the last 31 days', async () => {
    const result = await run('list_transactions', {
      start_date: new Date(now - 31 * 86_400_000).toISOString(),
      end_date: new Date(now).toISOString(),
    });
    const rows = result.transaction_details.map(
      (row: {
        transaction_info: { transaction_id: string; transaction_amount: { value: string } };
      }) => [row.transaction_info.transaction_id, row.transaction_info.transaction_amount.value],
    );
    expect(rows).toEqual([
      [ids().partlyRefundedCaptureId, '50.00'],
      [ids().refundId, '-10.99'],
      [ids().captureId, '100.00'],
    ]);
  });

  it('finds one transaction by id, as the toolkit searches month by month', async () => {
    const found = await run('list_transactions', {
      transaction_id: ids().captureId,
      search_months: 2,
    });
    expect(found).toMatchObject({ found: true, total_items: 1 });
  });

  it('refuses ranges longer than 31 days', async () => {
    const response = await fetch(
      `https://api-m.sandbox.paypal.com/v1/reporting/transactions?start_date=2026-01-01T00:00:00Z&end_date=2026-03-01T00:00:00Z`,
      { headers: { authorization: `Bearer ${SIMULATED_ACCESS_TOKEN}` } },
    );
    expect(response.status).toBe(400);
  });
});

describe('simulator state', () => {
  it('keeps separate state per simulator and restores the seed on reset', async () => {
    const other = createPayPalSimulator();
    await run('create_product', { name: 'Tea club', type: 'PHYSICAL' });
    expect(paypal.state.products.size).toBe(2);
    expect(other.state.products.size).toBe(1);
    paypal.reset();
    expect(paypal.state.products.size).toBe(1);
    expect(paypal.state.requests).toEqual([]);
  });

  it('records what was called, without credentials', async () => {
    await run('get_order', { id: ids().capturedOrderId });
    expect(paypal.state.requests).toEqual([
      {
        method: 'GET',
        url: `api.sandbox.paypal.com/v2/checkout/orders/${ids().capturedOrderId}`,
        status: 200,
      },
    ]);
  });

  it('never lets a request reach a PayPal host it does not simulate', async () => {
    const response = await fetch('https://api-m.paypal.com/v2/checkout/orders/5O190127TN364715T');
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({
      message:
        'The PayPal simulator has no answer for GET api-m.paypal.com/v2/checkout/orders/5O190127TN364715T',
    });
  });
});
