// Customer Disputes v1: list, show, accept claim. Shapes follow PayPal's Disputes v1
// reference (dispute summaries in `items`, details with `disputed_transactions`).
import {
  invalid,
  isObject,
  json,
  link,
  type Route,
  type RouteContext,
  resource,
  unprocessable,
} from './http.js';
import { refundCapture } from './orders.js';
import { iso, type JsonObject, SIMULATED_MERCHANT, type SimulatedDispute } from './state.js';

const DAY = 86_400_000;

function summary(dispute: SimulatedDispute, origin: string): JsonObject {
  return {
    dispute_id: dispute.id,
    create_time: iso(dispute.createTime),
    update_time: iso(dispute.updateTime),
    reason: dispute.reason,
    status: dispute.status,
    dispute_state: dispute.disputeState,
    dispute_amount: dispute.amount,
    dispute_life_cycle_stage: dispute.lifeCycleStage,
    dispute_channel: dispute.channel,
    links: [link(`${origin}/v1/customer/disputes/${dispute.id}`, 'self')],
  };
}

function detail(context: RouteContext, dispute: SimulatedDispute): JsonObject {
  const { state, origin } = context;
  const capture = state.captures.get(dispute.captureId);
  const base = `${origin}/v1/customer/disputes/${dispute.id}`;
  const open = dispute.disputeState === 'REQUIRED_ACTION';
  return {
    ...summary(dispute, origin),
    disputed_transactions: [
      {
        seller_transaction_id: dispute.captureId,
        create_time: iso(capture?.createTime ?? dispute.createTime),
        transaction_status: 'COMPLETED',
        gross_amount: capture?.amount ?? dispute.amount,
        buyer: { name: dispute.buyerName },
        seller: {
          email: SIMULATED_MERCHANT.email,
          merchant_id: SIMULATED_MERCHANT.merchantId,
          name: 'Larusso Consulting',
        },
      },
    ],
    ...(dispute.outcome ? { dispute_outcome: dispute.outcome } : {}),
    ...(open ? { seller_response_due_date: iso(dispute.createTime + 10 * DAY) } : {}),
    messages: [
      {
        posted_by: 'BUYER',
        time_posted: iso(dispute.createTime),
        content: 'The item does not match its description.',
      },
    ],
    links: [
      link(base, 'self'),
      ...(open
        ? [
            link(`${base}/accept-claim`, 'accept_claim', 'POST'),
            link(`${base}/provide-evidence`, 'provide_evidence', 'POST'),
          ]
        : []),
    ],
  };
}

function dispute(context: RouteContext): SimulatedDispute {
  return resource(context, context.state.disputes);
}

/** The Customer Disputes v1 routes. */
export const disputeRoutes: Route[] = [
  {
    method: 'GET',
    path: '/v1/customer/disputes',
    handle(context) {
      const { state, url, origin } = context;
      const stateFilter = url.searchParams.get('dispute_state');
      const transaction = url.searchParams.get('disputed_transaction_id');
      const size = Math.min(
        50,
        Math.max(1, Number.parseInt(url.searchParams.get('page_size') ?? '10', 10) || 10),
      );
      const items = [...state.disputes.values()]
        .filter((item) => !stateFilter || item.disputeState === stateFilter)
        .filter((item) => !transaction || item.captureId === transaction)
        .sort((a, b) => b.createTime - a.createTime)
        .slice(0, size);
      return json({
        items: items.map((item) => summary(item, origin)),
        links: [link(`${origin}/v1/customer/disputes`, 'self')],
      });
    },
  },
  {
    method: 'GET',
    path: '/v1/customer/disputes/:id',
    handle: (context) => json(detail(context, dispute(context))),
  },
  {
    method: 'POST',
    path: '/v1/customer/disputes/:id/accept-claim',
    async handle(context) {
      const { state, clock, origin } = context;
      const found = dispute(context);
      const body = await context.json();
      const note = isObject(body) ? body.note : undefined;
      if (typeof note !== 'string' || note === '') {
        throw invalid(
          state,
          'MISSING_REQUIRED_PARAMETER',
          'A required parameter is missing.',
          '/note',
        );
      }
      if (found.disputeState !== 'REQUIRED_ACTION') {
        throw unprocessable(
          state,
          'CANNOT_ACCEPT_CLAIM',
          'The claim cannot be accepted in the current state of the dispute.',
        );
      }
      // Accepting liability refunds the buyer from the merchant's balance.
      const capture = state.captures.get(found.captureId);
      if (capture) refundCapture(context, capture, found.amount, { noteToPayer: note });
      found.status = 'RESOLVED';
      found.disputeState = 'RESOLVED';
      found.outcome = { outcome_code: 'RESOLVED_BUYER_FAVOUR', amount_refunded: found.amount };
      found.updateTime = clock.now();
      return json({ links: [link(`${origin}/v1/customer/disputes/${found.id}`, 'self')] });
    },
  },
];
