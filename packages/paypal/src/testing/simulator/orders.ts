// Orders v2 and Payments v2 (captures, refunds). Bodies follow PayPal's responses as
// recorded in srmklive/laravel-paypal tests/Mocks/Responses (Orders.php, PaymentCaptures.php,
// PaymentRefunds.php @df4122ca, MIT) and the Orders/Payments v2 OpenAPI documents of
// paypal/paypal-rest-api-specifications @ec4d8f36 (Apache-2.0).
import {
  type InternalState,
  invalid,
  isObject,
  json,
  link,
  minorOf,
  moneyOf,
  type Route,
  type RouteContext,
  readMoney,
  resource,
  scale,
  unprocessable,
} from './http.js';
import { REQUEST_ID_RETENTION_MS } from './request-ids.js';
import {
  iso,
  type JsonObject,
  type PayPalMoney,
  SIMULATED_MERCHANT,
  type SimulatedCapture,
  type SimulatedOrder,
  type SimulatedPurchaseUnit,
  type SimulatedRefund,
} from './state.js';

const CHECKOUT_HOST = 'https://www.sandbox.paypal.com';

/**
 * The answer to a creation: `201` with the whole resource when the request asks for it
 * (`Prefer: return=representation`), else its id, status and links.
 */
function createdAnswer(request: Request, full: JsonObject): Response {
  const wanted = /return=representation/i.test(request.headers.get('prefer') ?? '');
  return json(wanted ? full : { id: full.id, status: full.status, links: full.links }, 201);
}

/** PayPal's standard US fee (3.49% + 0.49), for the seller receivable breakdown. */
export function paypalFee(amount: PayPalMoney): PayPalMoney {
  const minor = minorOf(amount);
  return moneyOf(scale(minor, '3.49', 100n) + 49n, amount.currency_code);
}

function captureBody(capture: SimulatedCapture, origin: string): JsonObject {
  const gross = capture.amount;
  const feeAmount = paypalFee(gross);
  return {
    id: capture.id,
    status: capture.status,
    amount: gross,
    final_capture: true,
    disbursement_mode: 'INSTANT',
    seller_protection: {
      status: 'ELIGIBLE',
      dispute_categories: ['ITEM_NOT_RECEIVED', 'UNAUTHORIZED_TRANSACTION'],
    },
    seller_receivable_breakdown: {
      gross_amount: gross,
      paypal_fee: feeAmount,
      net_amount: moneyOf(minorOf(gross) - minorOf(feeAmount), gross.currency_code),
    },
    ...(capture.invoiceId ? { invoice_id: capture.invoiceId } : {}),
    supplementary_data: { related_ids: { order_id: capture.orderId } },
    payee: { email_address: SIMULATED_MERCHANT.email, merchant_id: SIMULATED_MERCHANT.merchantId },
    create_time: iso(capture.createTime),
    update_time: iso(capture.updateTime),
    links: [
      link(`${origin}/v2/payments/captures/${capture.id}`, 'self'),
      link(`${origin}/v2/payments/captures/${capture.id}/refund`, 'refund', 'POST'),
      link(`${origin}/v2/checkout/orders/${capture.orderId}`, 'up'),
    ],
  };
}

function orderLinks(order: SimulatedOrder, origin: string) {
  const self = link(`${origin}/v2/checkout/orders/${order.id}`, 'self');
  switch (order.status) {
    case 'CREATED':
      return [
        self,
        link(`${CHECKOUT_HOST}/checkoutnow?token=${order.id}`, 'approve'),
        link(`${origin}/v2/checkout/orders/${order.id}`, 'update', 'PATCH'),
        link(`${origin}/v2/checkout/orders/${order.id}/capture`, 'capture', 'POST'),
      ];
    case 'PAYER_ACTION_REQUIRED':
      return [self, link(`${CHECKOUT_HOST}/checkoutnow?token=${order.id}`, 'payer-action')];
    case 'APPROVED':
      return [
        self,
        link(`${origin}/v2/checkout/orders/${order.id}`, 'update', 'PATCH'),
        link(`${origin}/v2/checkout/orders/${order.id}/capture`, 'capture', 'POST'),
      ];
    default:
      return [self];
  }
}

/** The full order, as `GET /v2/checkout/orders/{id}` answers it. */
export function orderBody(context: RouteContext, order: SimulatedOrder): JsonObject {
  const { state, origin } = context;
  return {
    id: order.id,
    intent: order.intent,
    status: order.status,
    ...(order.paymentSource ? { payment_source: order.paymentSource } : {}),
    purchase_units: order.purchaseUnits.map((unit) => {
      const captures = order.captureIds
        .map((id) => state.captures.get(id))
        .filter((capture): capture is SimulatedCapture => capture !== undefined);
      return {
        reference_id: unit.referenceId,
        amount: unit.amount,
        payee: unit.payee,
        ...(unit.items ? { items: unit.items } : {}),
        ...(unit.shipping ? { shipping: unit.shipping } : {}),
        ...(captures.length > 0
          ? { payments: { captures: captures.map((capture) => captureBody(capture, origin)) } }
          : {}),
      };
    }),
    ...(order.payer
      ? {
          payer: {
            name: { given_name: order.payer.givenName, surname: order.payer.surname },
            email_address: order.payer.email,
            payer_id: order.payer.payerId,
            address: { country_code: order.payer.countryCode },
          },
        }
      : {}),
    create_time: iso(order.createTime),
    update_time: iso(order.updateTime),
    links: orderLinks(order, origin),
  };
}

function refundBody(refund: SimulatedRefund, origin: string): JsonObject {
  return {
    id: refund.id,
    amount: refund.amount,
    status: refund.status,
    ...(refund.noteToPayer ? { note_to_payer: refund.noteToPayer } : {}),
    seller_payable_breakdown: {
      gross_amount: refund.amount,
      paypal_fee: moneyOf(0n, refund.amount.currency_code),
      net_amount: refund.amount,
      total_refunded_amount: refund.amount,
    },
    ...(refund.invoiceId ? { invoice_id: refund.invoiceId } : {}),
    create_time: iso(refund.createTime),
    update_time: iso(refund.createTime),
    links: [
      link(`${origin}/v2/payments/refunds/${refund.id}`, 'self'),
      link(`${origin}/v2/payments/captures/${refund.captureId}`, 'up'),
    ],
  };
}

function sumAmounts(values: unknown[], currency: string): bigint {
  return values.reduce<bigint>((total, value) => {
    if (!isObject(value) || typeof value.value !== 'string') return total;
    return total + minorOf({ currency_code: currency, value: value.value });
  }, 0n);
}

/** A purchase unit's amount, whose breakdown (when given) must add up to it. */
export function readUnitAmount(
  state: InternalState,
  value: unknown,
  field: string,
  referenceId: string,
): SimulatedPurchaseUnit['amount'] {
  const amount = readMoney(state, value, field);
  const breakdown = isObject(value) ? value.breakdown : undefined;
  if (isObject(breakdown)) {
    const currency = amount.currency_code;
    const plus = sumAmounts(
      [breakdown.item_total, breakdown.tax_total, breakdown.shipping, breakdown.handling],
      currency,
    );
    const minus = sumAmounts([breakdown.discount, breakdown.shipping_discount], currency);
    if (plus - minus !== minorOf(amount)) {
      throw unprocessable(
        state,
        'AMOUNT_MISMATCH',
        'Should equal item_total + tax_total + shipping + handling + insurance - shipping_discount - discount.',
        `/purchase_units/@reference_id=='${referenceId}'/amount/value`,
      );
    }
  }
  return { ...amount, ...(isObject(breakdown) ? { breakdown } : {}) };
}

function readPurchaseUnits(context: RouteContext, value: unknown): SimulatedPurchaseUnit[] {
  const { state } = context;
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid(
      state,
      'MISSING_REQUIRED_PARAMETER',
      'A required parameter is missing.',
      '/purchase_units',
    );
  }
  return value.map((raw, index) => {
    const unit = isObject(raw) ? raw : {};
    const referenceId = typeof unit.reference_id === 'string' ? unit.reference_id : 'default';
    return {
      referenceId,
      amount: readUnitAmount(state, unit.amount, `/purchase_units/${index}/amount`, referenceId),
      payee: {
        email_address: SIMULATED_MERCHANT.email,
        merchant_id: SIMULATED_MERCHANT.merchantId,
      },
      ...(Array.isArray(unit.items) ? { items: unit.items } : {}),
      ...(unit.shipping !== undefined ? { shipping: unit.shipping } : {}),
    };
  });
}

function order(context: RouteContext): SimulatedOrder {
  return resource(context, context.state.orders);
}

/** The Orders v2 and Payments v2 routes. */
export const orderRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v2/checkout/orders',
    requestIdRetentionMs: REQUEST_ID_RETENTION_MS.orders,
    async handle(context) {
      const { state, clock, request } = context;
      const body = await context.json();
      if (!isObject(body))
        throw invalid(state, 'INVALID_REQUEST', 'The request body is not an object.');
      if (body.intent !== 'CAPTURE' && body.intent !== 'AUTHORIZE') {
        throw invalid(
          state,
          'INVALID_PARAMETER_VALUE',
          'A parameter value is not valid.',
          '/intent',
        );
      }
      const now = clock.now();
      const paysWithPayPal = isObject(body.payment_source) && 'paypal' in body.payment_source;
      const created: SimulatedOrder = {
        id: state.idSource.transaction(),
        intent: body.intent,
        // With a PayPal payment source the payer must act on the payer-action link.
        status: paysWithPayPal ? 'PAYER_ACTION_REQUIRED' : 'CREATED',
        purchaseUnits: readPurchaseUnits(context, body.purchase_units),
        ...(body.payment_source ? { paymentSource: body.payment_source } : {}),
        captureIds: [],
        createTime: now,
        updateTime: now,
      };
      state.orders.set(created.id, created);
      return createdAnswer(request, orderBody(context, created));
    },
  },
  {
    method: 'GET',
    path: '/v2/checkout/orders/:id',
    handle: (context) => json(orderBody(context, order(context))),
  },
  {
    method: 'POST',
    path: '/v2/checkout/orders/:id/capture',
    requestIdRetentionMs: REQUEST_ID_RETENTION_MS.orders,
    handle(context) {
      const { state, clock } = context;
      const found = order(context);
      if (found.status === 'COMPLETED') {
        throw unprocessable(
          state,
          'ORDER_ALREADY_CAPTURED',
          "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed.",
        );
      }
      if (found.status !== 'APPROVED') {
        throw unprocessable(
          state,
          'ORDER_NOT_APPROVED',
          "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid `payment_source` in the request.",
        );
      }
      if (found.intent !== 'CAPTURE') {
        throw unprocessable(
          state,
          'ACTION_DOES_NOT_MATCH_INTENT',
          "Order was created with an intent to 'AUTHORIZE'. Please use v2/checkout/orders/order_id/authorize to complete the transaction or alternately Create an order with an intent of 'CAPTURE'.",
        );
      }
      const now = clock.now();
      const payer = found.payer ?? {
        payerId: state.idSource.payerId(),
        givenName: 'John',
        surname: 'Doe',
        email: 'customer@example.com',
        countryCode: 'US',
      };
      for (const unit of found.purchaseUnits) {
        const capture: SimulatedCapture = {
          id: state.idSource.transaction(),
          orderId: found.id,
          amount: { currency_code: unit.amount.currency_code, value: unit.amount.value },
          status: 'COMPLETED',
          payer,
          refundIds: [],
          createTime: now,
          updateTime: now,
        };
        state.captures.set(capture.id, capture);
        found.captureIds.push(capture.id);
      }
      found.payer = payer;
      found.status = 'COMPLETED';
      found.updateTime = now;
      return json(orderBody(context, found), 201);
    },
  },
  {
    method: 'GET',
    path: '/v2/payments/captures/:id',
    handle(context) {
      return json(captureBody(resource(context, context.state.captures), context.origin));
    },
  },
  {
    method: 'POST',
    path: '/v2/payments/captures/:id/refund',
    requestIdRetentionMs: REQUEST_ID_RETENTION_MS.payments,
    async handle(context) {
      const { state, request, origin } = context;
      const capture = resource(context, state.captures);
      const body = await context.json().catch(() => ({}));
      const request_ = isObject(body) ? body : {};
      if (capture.status === 'REFUNDED') {
        throw unprocessable(
          state,
          'CAPTURE_FULLY_REFUNDED',
          'The capture has already been fully refunded',
        );
      }
      const currency = capture.amount.currency_code;
      const refunded = capture.refundIds.reduce((total, id) => {
        const refund = state.refunds.get(id);
        return refund ? total + minorOf(refund.amount) : total;
      }, 0n);
      const remaining = minorOf(capture.amount) - refunded;
      let amount: PayPalMoney;
      if (request_.amount === undefined) {
        amount = moneyOf(remaining, currency);
      } else {
        amount = readMoney(state, request_.amount, '/amount');
        if (amount.currency_code !== currency) {
          throw unprocessable(
            state,
            'REFUND_CAPTURE_CURRENCY_MISMATCH',
            'Refund must be in the same currency as the capture',
            '/amount/currency_code',
          );
        }
        if (minorOf(amount) <= 0n) {
          throw unprocessable(
            state,
            'CANNOT_BE_ZERO_OR_NEGATIVE',
            'Must be greater than zero. If the currency supports decimals, only two decimal place precision is supported.',
            '/amount/value',
          );
        }
        if (minorOf(amount) > remaining) {
          throw unprocessable(
            state,
            'REFUND_AMOUNT_EXCEEDED',
            'The refund amount must be less than or equal to the capture amount that has not yet been refunded.',
          );
        }
      }
      const refund = refundCapture(context, capture, amount, {
        ...(typeof request_.note_to_payer === 'string'
          ? { noteToPayer: request_.note_to_payer }
          : {}),
        ...(typeof request_.invoice_id === 'string' ? { invoiceId: request_.invoice_id } : {}),
      });
      return createdAnswer(request, refundBody(refund, origin));
    },
  },
  {
    method: 'GET',
    path: '/v2/payments/refunds/:id',
    handle(context) {
      return json(refundBody(resource(context, context.state.refunds), context.origin));
    },
  },
];

/** Refunds `amount` of a capture: the refund endpoint, and an accepted dispute claim. */
export function refundCapture(
  context: RouteContext,
  capture: SimulatedCapture,
  amount: PayPalMoney,
  details: Pick<SimulatedRefund, 'noteToPayer' | 'invoiceId'>,
): SimulatedRefund {
  const { state, clock } = context;
  const now = clock.now();
  const refund: SimulatedRefund = {
    id: state.idSource.transaction(),
    captureId: capture.id,
    amount,
    status: 'COMPLETED',
    ...details,
    createTime: now,
  };
  state.refunds.set(refund.id, refund);
  capture.refundIds.push(refund.id);
  const refunded = capture.refundIds.reduce((total, id) => {
    const existing = state.refunds.get(id);
    return existing ? total + minorOf(existing.amount) : total;
  }, 0n);
  capture.status = refunded >= minorOf(capture.amount) ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
  capture.updateTime = now;
  return refund;
}
