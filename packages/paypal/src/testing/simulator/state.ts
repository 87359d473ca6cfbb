import type { Clock } from '@handshake/core';
import { IdSource } from './ids.js';

/**
 * Money as PayPal writes it.
 *
 * @example
 * ```ts
 * import type { PayPalMoney } from '@handshake/paypal/testing';
 * const price: PayPalMoney = { currency_code: 'USD', value: '10.00' };
 * ```
 */
export interface PayPalMoney {
  currency_code: string;
  value: string;
}

/**
 * A JSON object as PayPal sends it.
 *
 * @example
 * ```ts
 * import type { JsonObject } from '@handshake/paypal/testing';
 * const product: JsonObject = { id: 'PROD-XXCD1234QWER65782', name: 'Video Streaming Service' };
 * ```
 */
export type JsonObject = { [key: string]: unknown };

/**
 * A payer, as orders and reporting show it.
 *
 * @example
 * ```ts
 * import type { SimulatedPayer } from '@handshake/paypal/testing';
 * declare const payer: SimulatedPayer;
 * console.log(`${payer.givenName} ${payer.surname} <${payer.email}>`);
 * ```
 */
export interface SimulatedPayer {
  payerId: string;
  givenName: string;
  surname: string;
  email: string;
  countryCode: string;
}

/**
 * One purchase unit of an order.
 *
 * @example
 * ```ts
 * import type { SimulatedPurchaseUnit } from '@handshake/paypal/testing';
 * declare const unit: SimulatedPurchaseUnit;
 * console.log(unit.amount.value, unit.payee.email_address);
 * ```
 */
export interface SimulatedPurchaseUnit {
  referenceId: string;
  amount: PayPalMoney & { breakdown?: unknown };
  payee: { email_address: string; merchant_id: string };
  items?: unknown[];
  shipping?: unknown;
}

/**
 * An order (Orders v2).
 *
 * @example
 * ```ts
 * import type { SimulatedOrder } from '@handshake/paypal/testing';
 * declare const order: SimulatedOrder;
 * if (order.status === 'APPROVED') console.log(`${order.id} can be captured`);
 * ```
 */
export interface SimulatedOrder {
  id: string;
  intent: 'CAPTURE' | 'AUTHORIZE';
  status: 'CREATED' | 'PAYER_ACTION_REQUIRED' | 'APPROVED' | 'COMPLETED' | 'VOIDED';
  purchaseUnits: SimulatedPurchaseUnit[];
  payer?: SimulatedPayer;
  paymentSource?: unknown;
  captureIds: string[];
  createTime: number;
  updateTime: number;
}

/**
 * A capture (Payments v2).
 *
 * @example
 * ```ts
 * import type { SimulatedCapture } from '@handshake/paypal/testing';
 * declare const capture: SimulatedCapture;
 * console.log(capture.status, capture.refundIds.length);
 * ```
 */
export interface SimulatedCapture {
  id: string;
  orderId: string;
  amount: PayPalMoney;
  status: 'COMPLETED' | 'PARTIALLY_REFUNDED' | 'REFUNDED';
  payer: SimulatedPayer;
  invoiceId?: string;
  refundIds: string[];
  createTime: number;
  updateTime: number;
}

/**
 * A refund (Payments v2).
 *
 * @example
 * ```ts
 * import type { SimulatedRefund } from '@handshake/paypal/testing';
 * declare const refund: SimulatedRefund;
 * console.log(refund.captureId, refund.amount.value);
 * ```
 */
export interface SimulatedRefund {
  id: string;
  captureId: string;
  amount: PayPalMoney;
  status: 'COMPLETED';
  noteToPayer?: string;
  invoiceId?: string;
  createTime: number;
}

/**
 * An invoice (Invoicing v2); `body` holds the fields PayPal echoes back.
 *
 * @example
 * ```ts
 * import type { SimulatedInvoice } from '@handshake/paypal/testing';
 * declare const invoice: SimulatedInvoice;
 * console.log(invoice.number, invoice.status, invoice.amount.value);
 * ```
 */
export interface SimulatedInvoice {
  id: string;
  status: 'DRAFT' | 'SENT' | 'SCHEDULED' | 'PAID' | 'CANCELLED';
  number: string;
  body: JsonObject;
  amount: PayPalMoney;
  createTime: number;
  updateTime: number;
}

/**
 * A dispute (Disputes v1).
 *
 * @example
 * ```ts
 * import type { SimulatedDispute } from '@handshake/paypal/testing';
 * declare const dispute: SimulatedDispute;
 * console.log(dispute.disputeState, dispute.outcome?.outcome_code);
 * ```
 */
export interface SimulatedDispute {
  id: string;
  captureId: string;
  reason: string;
  status: string;
  disputeState: string;
  lifeCycleStage: string;
  channel: string;
  amount: PayPalMoney;
  buyerName: string;
  outcome?: { outcome_code: string; amount_refunded: PayPalMoney };
  createTime: number;
  updateTime: number;
}

/**
 * A shipment tracker (Shipment Tracking v1).
 *
 * @example
 * ```ts
 * import type { SimulatedTracker } from '@handshake/paypal/testing';
 * declare const tracker: SimulatedTracker;
 * console.log(`${tracker.carrier ?? 'OTHER'} ${tracker.trackingNumber}: ${tracker.status}`);
 * ```
 */
export interface SimulatedTracker {
  transactionId: string;
  trackingNumber: string;
  status: string;
  carrier?: string;
  createTime: number;
  updateTime: number;
}

/**
 * A request the simulator answered, for assertions such as "PayPal was never called".
 *
 * @example
 * ```ts
 * import type { RecordedRequest } from '@handshake/paypal/testing';
 * declare const requests: RecordedRequest[];
 * const captures = requests.filter((request) => request.url.endsWith('/capture'));
 * ```
 */
export interface RecordedRequest {
  method: string;
  /** Host and path, without the query. */
  url: string;
  /** The query string, with its `?`, when there was one. */
  query?: string;
  /** The JSON body, when the endpoint read one. */
  body?: unknown;
  status: number;
  /** The `PayPal-Request-Id` header, when the request carried one. */
  requestId?: string;
  /** The W3C `traceparent` header, when the request carried one. */
  traceparent?: string;
  /** True when the answer was the stored one of an earlier request with the same id. */
  replayed?: true;
}

/**
 * The ids of the records every fresh simulator holds.
 *
 * @example
 * ```ts
 * import type { SeededIds } from '@handshake/paypal/testing';
 * declare const ids: SeededIds;
 * const refund = { capture_id: ids.captureId, amount: { currency_code: 'USD', value: '5.00' } };
 * ```
 */
export interface SeededIds {
  /** An order the payer approved: `pay_order` captures it (USD 100.00). */
  approvedOrderId: string;
  /** An order awaiting the payer's approval (USD 25.00). */
  pendingOrderId: string;
  /** A captured order and its capture (USD 100.00, nothing refunded). */
  capturedOrderId: string;
  captureId: string;
  /** A second capture (USD 50.00), partly refunded by {@link refundId} (USD 10.99). */
  partlyRefundedCaptureId: string;
  refundId: string;
  /** A draft invoice (USD 74.21) and a sent one (USD 120.00). */
  draftInvoiceId: string;
  sentInvoiceId: string;
  /** An open dispute over the second capture (USD 39.01). */
  disputeId: string;
  productId: string;
  planId: string;
  subscriptionId: string;
  /** A tracker on {@link captureId}. */
  trackingNumber: string;
}

/**
 * Everything a simulator holds. Read it in tests; `reset()` restores the seed.
 *
 * @example
 * ```ts
 * import type { PayPalSimulatorState } from '@handshake/paypal/testing';
 * declare const state: PayPalSimulatorState;
 * console.log(state.orders.get(state.ids.approvedOrderId)?.status); // 'APPROVED'
 * ```
 */
export interface PayPalSimulatorState {
  readonly ids: SeededIds;
  readonly orders: Map<string, SimulatedOrder>;
  readonly captures: Map<string, SimulatedCapture>;
  readonly refunds: Map<string, SimulatedRefund>;
  readonly invoices: Map<string, SimulatedInvoice>;
  readonly disputes: Map<string, SimulatedDispute>;
  /** Products, plans and subscriptions as PayPal returns them. */
  readonly products: Map<string, JsonObject>;
  readonly plans: Map<string, JsonObject>;
  readonly subscriptions: Map<string, JsonObject>;
  /** Keyed `transaction_id-tracking_number`, as PayPal's tracker ids are. */
  readonly trackers: Map<string, SimulatedTracker>;
  /** Access tokens the simulator accepts, with their expiry (ms since epoch). */
  readonly tokens: Map<string, number>;
  readonly requests: RecordedRequest[];
}

const DAY = 86_400_000;

/**
 * Fixed seed ids, from PayPal's documentation and the laravel-paypal mocks where they exist.
 *
 * @example
 * ```ts
 * import { SEEDED_IDS } from '@handshake/paypal/testing';
 *
 * const payOrder = { id: SEEDED_IDS.approvedOrderId };
 * ```
 */
export const SEEDED_IDS: SeededIds = Object.freeze({
  approvedOrderId: '8XJ37264HK190143A',
  pendingOrderId: '2VW68102TU458792K',
  // Order and capture ids of laravel-paypal's mockOrderPaymentCapturedResponse.
  capturedOrderId: '5O190127TN364715T',
  captureId: '3C679366HH908993F',
  // Capture and refund ids of laravel-paypal's mockGetRefundDetailsResponse.
  partlyRefundedCaptureId: '2GG279541U471931P',
  refundId: '1JU08902781691411',
  // Invoice id of laravel-paypal's mockCreateInvoicesResponse.
  draftInvoiceId: 'INV2-Z56S-5LLA-Q52L-CPZ5',
  sentInvoiceId: 'INV2-8B4P-QX9L-2RFA-7MWD',
  disputeId: 'PP-D-27803',
  productId: 'PROD-XXCD1234QWER65782',
  planId: 'P-5ML4271244454362WXNWU5NQ',
  subscriptionId: 'I-BW452GLLEP1G',
  trackingNumber: '443844607820',
});

/**
 * The merchant every simulated order pays.
 *
 * @example
 * ```ts
 * import { SIMULATED_MERCHANT } from '@handshake/paypal/testing';
 *
 * console.log(SIMULATED_MERCHANT.email); // 'merchant@example.com'
 * ```
 */
export const SIMULATED_MERCHANT = Object.freeze({
  email: 'merchant@example.com',
  merchantId: 'C7CYMKZDG8D6E',
  accountNumber: '2PUMT5SQ7PKXX',
});

const JOHN: SimulatedPayer = {
  payerId: 'QYR5Z8XDVJNXQ',
  givenName: 'John',
  surname: 'Doe',
  email: 'customer@example.com',
  countryCode: 'US',
};

const STEPHANIE: SimulatedPayer = {
  payerId: 'PJ3V4W8H7LRKA',
  givenName: 'Stephanie',
  surname: 'Meyers',
  email: 'bill-me@example.com',
  countryCode: 'US',
};

const usd = (value: string): PayPalMoney => ({ currency_code: 'USD', value });

function unit(referenceId: string, amount: string, name: string): SimulatedPurchaseUnit {
  return {
    referenceId,
    amount: {
      ...usd(amount),
      breakdown: { item_total: usd(amount), shipping: usd('0.00'), tax_total: usd('0.00') },
    },
    payee: { email_address: SIMULATED_MERCHANT.email, merchant_id: SIMULATED_MERCHANT.merchantId },
    items: [{ name, quantity: '1', unit_amount: usd(amount) }],
  };
}

/** A fresh state holding the seed records, timed relative to `clock`. */
export function seedState(clock: Clock): PayPalSimulatorState & { idSource: IdSource } {
  const now = clock.now();
  const ids = SEEDED_IDS;
  const state = {
    ids,
    idSource: new IdSource(),
    orders: new Map<string, SimulatedOrder>(),
    captures: new Map<string, SimulatedCapture>(),
    refunds: new Map<string, SimulatedRefund>(),
    invoices: new Map<string, SimulatedInvoice>(),
    disputes: new Map<string, SimulatedDispute>(),
    products: new Map<string, JsonObject>(),
    plans: new Map<string, JsonObject>(),
    subscriptions: new Map<string, JsonObject>(),
    trackers: new Map<string, SimulatedTracker>(),
    tokens: new Map<string, number>(),
    requests: [] as RecordedRequest[],
  };

  state.orders.set(ids.approvedOrderId, {
    id: ids.approvedOrderId,
    intent: 'CAPTURE',
    status: 'APPROVED',
    purchaseUnits: [unit('default', '100.00', 'Noise-cancelling headphones')],
    payer: JOHN,
    captureIds: [],
    createTime: now - 2 * 3_600_000,
    updateTime: now - 3_600_000,
  });
  state.orders.set(ids.pendingOrderId, {
    id: ids.pendingOrderId,
    intent: 'CAPTURE',
    status: 'PAYER_ACTION_REQUIRED',
    purchaseUnits: [unit('default', '25.00', 'Yoga mat')],
    captureIds: [],
    createTime: now - 600_000,
    updateTime: now - 600_000,
  });

  const capturedAt = now - 3 * DAY;
  state.orders.set(ids.capturedOrderId, {
    id: ids.capturedOrderId,
    intent: 'CAPTURE',
    status: 'COMPLETED',
    purchaseUnits: [
      {
        ...unit('d9f80740-38f0-11e8-b467-0ed5f89f718b', '100.00', 'Espresso machine'),
        shipping: {
          address: {
            address_line_1: '2211 N First Street',
            address_line_2: 'Building 17',
            admin_area_2: 'San Jose',
            admin_area_1: 'CA',
            postal_code: '95131',
            country_code: 'US',
          },
        },
      },
    ],
    payer: JOHN,
    captureIds: [ids.captureId],
    createTime: capturedAt - 600_000,
    updateTime: capturedAt,
  });
  state.captures.set(ids.captureId, {
    id: ids.captureId,
    orderId: ids.capturedOrderId,
    amount: usd('100.00'),
    status: 'COMPLETED',
    payer: JOHN,
    refundIds: [],
    createTime: capturedAt,
    updateTime: capturedAt,
  });

  const secondAt = now - 9 * DAY;
  const secondOrderId = '7RT93451MD226401C';
  state.orders.set(secondOrderId, {
    id: secondOrderId,
    intent: 'CAPTURE',
    status: 'COMPLETED',
    purchaseUnits: [unit('default', '50.00', 'Running shoes')],
    payer: STEPHANIE,
    captureIds: [ids.partlyRefundedCaptureId],
    createTime: secondAt - 600_000,
    updateTime: secondAt,
  });
  state.captures.set(ids.partlyRefundedCaptureId, {
    id: ids.partlyRefundedCaptureId,
    orderId: secondOrderId,
    amount: usd('50.00'),
    status: 'PARTIALLY_REFUNDED',
    payer: STEPHANIE,
    invoiceId: 'INVOICE-123',
    refundIds: [ids.refundId],
    createTime: secondAt,
    updateTime: secondAt + DAY,
  });
  state.refunds.set(ids.refundId, {
    id: ids.refundId,
    captureId: ids.partlyRefundedCaptureId,
    amount: usd('10.99'),
    status: 'COMPLETED',
    noteToPayer: 'Defective product',
    invoiceId: 'INVOICE-123',
    createTime: secondAt + DAY,
  });

  state.invoices.set(ids.draftInvoiceId, {
    id: ids.draftInvoiceId,
    status: 'DRAFT',
    number: '#123',
    amount: usd('74.21'),
    body: {
      detail: {
        reference: 'deal-ref',
        invoice_date: isoDate(now - 5 * DAY),
        currency_code: 'USD',
        note: 'Thank you for your business.',
        term: 'No refunds after 30 days.',
        payment_term: { term_type: 'NET_10', due_date: isoDate(now + 5 * DAY) },
      },
      invoicer: {
        name: { given_name: 'David', surname: 'Larusso' },
        email_address: SIMULATED_MERCHANT.email,
      },
      primary_recipients: [
        {
          billing_info: {
            name: { given_name: 'Stephanie', surname: 'Meyers' },
            email_address: STEPHANIE.email,
          },
        },
      ],
      items: [
        {
          id: 'ITEM-5335764681676603X',
          name: 'Yoga Mat',
          quantity: '1',
          unit_amount: usd('50.00'),
          tax: { name: 'Sales Tax', percent: '7.25', amount: usd('3.63') },
          unit_of_measure: 'QUANTITY',
        },
        {
          id: 'ITEM-1B467958Y9218273X',
          name: 'Yoga T Shirt',
          quantity: '1',
          unit_amount: usd('10.00'),
          tax: { name: 'Sales Tax', percent: '7.25', amount: usd('0.73') },
          unit_of_measure: 'QUANTITY',
        },
      ],
      breakdown: {
        item_total: usd('60.00'),
        tax_total: usd('4.36'),
        shipping: { amount: usd('9.85') },
      },
    },
    createTime: now - 5 * DAY,
    updateTime: now - 5 * DAY,
  });
  state.invoices.set(ids.sentInvoiceId, {
    id: ids.sentInvoiceId,
    status: 'SENT',
    number: '0042',
    amount: usd('120.00'),
    body: {
      detail: {
        invoice_date: isoDate(now - 2 * DAY),
        currency_code: 'USD',
        note: 'Consulting, two hours.',
        payment_term: { term_type: 'NET_30', due_date: isoDate(now + 28 * DAY) },
      },
      invoicer: { business_name: 'Larusso Consulting', email_address: SIMULATED_MERCHANT.email },
      primary_recipients: [{ billing_info: { email_address: JOHN.email } }],
      items: [
        {
          id: 'ITEM-8H1740913V0387456',
          name: 'Consulting',
          quantity: '2',
          unit_amount: usd('60.00'),
          unit_of_measure: 'HOURS',
        },
      ],
      breakdown: { item_total: usd('120.00'), tax_total: usd('0.00') },
    },
    createTime: now - 2 * DAY,
    updateTime: now - 2 * DAY,
  });

  state.disputes.set(ids.disputeId, {
    id: ids.disputeId,
    captureId: ids.partlyRefundedCaptureId,
    reason: 'MERCHANDISE_OR_SERVICE_NOT_AS_DESCRIBED',
    status: 'WAITING_FOR_SELLER_RESPONSE',
    disputeState: 'REQUIRED_ACTION',
    lifeCycleStage: 'CHARGEBACK',
    channel: 'INTERNAL',
    amount: usd('39.01'),
    buyerName: 'Stephanie Meyers',
    createTime: now - 4 * DAY,
    updateTime: now - 4 * DAY,
  });

  const productTime = iso(now - 30 * DAY);
  state.products.set(ids.productId, {
    id: ids.productId,
    name: 'Video Streaming Service',
    description: 'Video streaming service',
    type: 'SERVICE',
    category: 'SOFTWARE',
    image_url: 'https://example.com/streaming.jpg',
    home_url: 'https://example.com/home',
    create_time: productTime,
    update_time: productTime,
  });
  state.plans.set(ids.planId, {
    id: ids.planId,
    product_id: ids.productId,
    name: 'Video Streaming Service Plan',
    description: 'Monthly plan',
    status: 'ACTIVE',
    usage_type: 'LICENSED',
    billing_cycles: [
      {
        frequency: { interval_unit: 'MONTH', interval_count: 1 },
        tenure_type: 'REGULAR',
        sequence: 1,
        total_cycles: 0,
        pricing_scheme: { version: 1, fixed_price: usd('10.00') },
      },
    ],
    payment_preferences: {
      auto_bill_outstanding: true,
      setup_fee: usd('0.00'),
      setup_fee_failure_action: 'CONTINUE',
      payment_failure_threshold: 3,
    },
    taxes: { percentage: '10', inclusive: false },
    quantity_supported: false,
    create_time: productTime,
    update_time: productTime,
  });
  const started = now - 20 * DAY;
  state.subscriptions.set(ids.subscriptionId, {
    id: ids.subscriptionId,
    plan_id: ids.planId,
    status: 'ACTIVE',
    status_update_time: iso(started),
    start_time: iso(started),
    quantity: '1',
    shipping_amount: usd('0.00'),
    subscriber: {
      name: { given_name: JOHN.givenName, surname: JOHN.surname },
      email_address: JOHN.email,
      payer_id: JOHN.payerId,
    },
    billing_info: {
      outstanding_balance: usd('0.00'),
      cycle_executions: [
        {
          tenure_type: 'REGULAR',
          sequence: 1,
          cycles_completed: 1,
          cycles_remaining: 0,
          current_pricing_scheme_version: 1,
          total_cycles: 0,
        },
      ],
      last_payment: { amount: usd('10.00'), time: iso(started) },
      next_billing_time: iso(started + 30 * DAY),
      failed_payments_count: 0,
    },
    create_time: iso(started),
    update_time: iso(started),
    plan_overridden: false,
  });

  state.trackers.set(`${ids.captureId}-${ids.trackingNumber}`, {
    transactionId: ids.captureId,
    trackingNumber: ids.trackingNumber,
    status: 'SHIPPED',
    carrier: 'FEDEX',
    createTime: capturedAt + DAY,
    updateTime: capturedAt + DAY,
  });
  return state;
}

/** RFC 3339 without milliseconds, as PayPal writes times. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** YYYY-MM-DD in UTC. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
