// Shipment Tracking v1: batch add, list by transaction, update one tracker.
import {
  invalid,
  isObject,
  json,
  link,
  noContent,
  notFound,
  type Route,
  type RouteContext,
} from './http.js';
import { iso, type JsonObject, type SimulatedTracker } from './state.js';

const STATUSES = ['SHIPPED', 'ON_HOLD', 'DELIVERED', 'CANCELLED', 'LOCAL_PICKUP'];

function trackerLinks(tracker: SimulatedTracker, origin: string) {
  const href = `${origin}/v1/shipping/trackers/${tracker.transactionId}-${tracker.trackingNumber}`;
  return [link(href, 'self'), link(href, 'replace', 'PUT')];
}

function trackerBody(tracker: SimulatedTracker, origin: string): JsonObject {
  return {
    transaction_id: tracker.transactionId,
    tracking_number: tracker.trackingNumber,
    status: tracker.status,
    ...(tracker.carrier ? { carrier: tracker.carrier } : {}),
    create_time: iso(tracker.createTime),
    update_time: iso(tracker.updateTime),
    links: trackerLinks(tracker, origin),
  };
}

function isKnownTransaction(context: RouteContext, id: string) {
  return context.state.captures.has(id);
}

/** The Shipment Tracking v1 routes. */
export const shippingRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/shipping/trackers-batch',
    async handle(context) {
      const { state, clock, origin } = context;
      const body = await context.json();
      const trackers = isObject(body) && Array.isArray(body.trackers) ? body.trackers : undefined;
      if (!trackers || trackers.length === 0) {
        throw invalid(
          state,
          'MISSING_REQUIRED_PARAMETER',
          'A required parameter is missing.',
          '/trackers',
        );
      }
      const identifiers: JsonObject[] = [];
      const errors: JsonObject[] = [];
      for (const raw of trackers) {
        const input = isObject(raw) ? raw : {};
        const transactionId = typeof input.transaction_id === 'string' ? input.transaction_id : '';
        const status = typeof input.status === 'string' ? input.status : 'SHIPPED';
        if (!isKnownTransaction(context, transactionId) || !STATUSES.includes(status)) {
          errors.push({
            name: 'INVALID_REQUEST',
            message: 'Request is not well-formed, syntactically incorrect, or violates schema.',
            details: [
              {
                field: transactionId ? 'status' : 'transaction_id',
                value: '',
                location: 'body',
                issue: transactionId ? 'INVALID_TRACKING_STATUS' : 'INVALID_TRANSACTION_ID',
                description: 'The transaction or its tracking status is not valid.',
              },
            ],
          });
          continue;
        }
        const now = clock.now();
        const tracker: SimulatedTracker = {
          transactionId,
          trackingNumber:
            typeof input.tracking_number === 'string' && input.tracking_number !== ''
              ? input.tracking_number
              : state.idSource.chars('0123456789', 12),
          status,
          ...(typeof input.carrier === 'string' ? { carrier: input.carrier } : {}),
          createTime: now,
          updateTime: now,
        };
        state.trackers.set(`${tracker.transactionId}-${tracker.trackingNumber}`, tracker);
        identifiers.push({
          transaction_id: tracker.transactionId,
          tracking_number: tracker.trackingNumber,
          links: trackerLinks(tracker, origin),
        });
      }
      return json({ tracker_identifiers: identifiers, errors, links: [] });
    },
  },
  {
    method: 'GET',
    path: '/v1/shipping/trackers',
    handle(context) {
      const { state, url, origin } = context;
      const transactionId = url.searchParams.get('transaction_id');
      if (!transactionId) {
        throw invalid(
          state,
          'MISSING_REQUIRED_PARAMETER',
          'A required parameter is missing.',
          'transaction_id',
        );
      }
      const trackers = [...state.trackers.values()].filter(
        (tracker) => tracker.transactionId === transactionId,
      );
      return json({
        trackers: trackers.map((tracker) => trackerBody(tracker, origin)),
        links: [link(`${origin}/v1/shipping/trackers?transaction_id=${transactionId}`, 'self')],
      });
    },
  },
  {
    method: 'PUT',
    path: '/v1/shipping/trackers/:id',
    async handle(context) {
      const { state, clock } = context;
      const key = context.params.id ?? '';
      const tracker = state.trackers.get(key);
      if (!tracker) throw notFound(state);
      const body = await context.json();
      const input = isObject(body) ? body : {};
      if (typeof input.status !== 'string' || !STATUSES.includes(input.status)) {
        throw invalid(
          state,
          'INVALID_PARAMETER_VALUE',
          'A parameter value is not valid.',
          '/status',
        );
      }
      tracker.status = input.status;
      if (typeof input.carrier === 'string') tracker.carrier = input.carrier;
      if (typeof input.new_tracking_number === 'string' && input.new_tracking_number !== '') {
        state.trackers.delete(key);
        tracker.trackingNumber = input.new_tracking_number;
        state.trackers.set(`${tracker.transactionId}-${tracker.trackingNumber}`, tracker);
      }
      tracker.updateTime = clock.now();
      return noContent();
    },
  },
];
