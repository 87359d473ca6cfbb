import type {
  Counter,
  Histogram,
  Meter,
  MetricOptions,
  ObservableGauge,
  UpDownCounter,
} from '@opentelemetry/api';

/** The instrument each kind of metric is recorded with. */
interface Instruments {
  counter: Counter;
  upDownCounter: UpDownCounter;
  histogram: Histogram;
  gauge: ObservableGauge;
}

/** One metric: its name, kind, unit and description, and a histogram's buckets. */
interface Metric<K extends keyof Instruments> {
  name: string;
  kind: K;
  unit: string;
  description: string;
  /** A histogram's bucket boundaries, in its unit. */
  buckets?: number[];
}

/** A metric's definition, its kind kept in its type. */
const metric = <K extends keyof Instruments>(definition: Metric<K>): Metric<K> => definition;

/**
 * Buckets in seconds for calls that take milliseconds to a few seconds
 * (OpenTelemetry's recommendation for `http.server.request.duration`).
 */
const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** Buckets in seconds for the wait for a person's decision: seconds to an hour. */
const DECISION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

/** A histogram of durations in seconds, with the {@link DURATION_BUCKETS}. */
const duration = (name: string, description: string) =>
  metric({ name, kind: 'histogram', unit: 's', description, buckets: DURATION_BUCKETS });

/** Every metric of the instrumentation (see docs/observability.md). */
export const METRICS = {
  authorizations: metric({
    name: 'handshake.authorizations',
    kind: 'counter',
    unit: '{authorization}',
    description: 'Authorizations answered, by tool, tier and outcome (authorized or pending).',
  }),
  executions: metric({
    name: 'handshake.executions',
    kind: 'counter',
    unit: '{execution}',
    description: 'Executions that ended, by tool, tier and outcome.',
  }),
  decisions: metric({
    name: 'handshake.approval.decisions',
    kind: 'counter',
    unit: '{decision}',
    description: 'Approval decisions, by decision, channel, tool and tier.',
  }),
  decisionDuration: metric({
    name: 'handshake.approval.decision.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Time from an approval request to its decision.',
    buckets: DECISION_BUCKETS,
  }),
  pendingApprovals: metric({
    name: 'handshake.approvals.pending',
    kind: 'gauge',
    unit: '{approval}',
    description: 'Approvals waiting for a decision, across instances.',
  }),
  oldestPendingAge: metric({
    name: 'handshake.approvals.pending.oldest_age',
    kind: 'gauge',
    unit: 's',
    description: 'How long the oldest approval waiting for a decision has waited.',
  }),
  openLiveStreams: metric({
    name: 'handshake.live_streams.open',
    kind: 'upDownCounter',
    unit: '{stream}',
    description: 'Live approval streams open now, by who listens.',
  }),
  waitDuration: metric({
    name: 'handshake.approval.wait.duration',
    kind: 'histogram',
    unit: 's',
    description:
      'Time from an approval request until the requester received its final status, by outcome and channel.',
    buckets: DECISION_BUCKETS,
  }),
  refusals: metric({
    name: 'handshake.refusals',
    kind: 'counter',
    unit: '{refusal}',
    description: 'Refused calls, by error code.',
  }),
  spendReserved: metric({
    name: 'handshake.spend.reserved',
    kind: 'counter',
    unit: '{currency_unit}',
    description: 'Spend reserved against limits, in the currency’s unit, by currency.',
  }),
  spendCommitted: metric({
    name: 'handshake.spend.committed',
    kind: 'counter',
    unit: '{currency_unit}',
    description: 'Reserved spend kept as spent, in the currency’s unit, by currency.',
  }),
  spendReleased: metric({
    name: 'handshake.spend.released',
    kind: 'counter',
    unit: '{currency_unit}',
    description: 'Reserved spend given back, in the currency’s unit, by currency and reason.',
  }),
  cardAuthorizations: metric({
    name: 'handshake.card.authorizations',
    kind: 'counter',
    unit: '{authorization}',
    description: "A card issuer's decisions on merchants' charges, by outcome.",
  }),
  authorizeDuration: duration(
    'handshake.authorize.duration',
    'Duration of authorize calls, by outcome.',
  ),
  executeDuration: duration('handshake.execute.duration', 'Duration of execute calls, by outcome.'),
  decideDuration: duration('handshake.decide.duration', 'Duration of decide calls, by outcome.'),
  toolDuration: duration(
    'handshake.tool.duration',
    'Duration of tool calls at their provider, by tool and error type.',
  ),
  storeOperationDuration: duration(
    'handshake.store.operation.duration',
    'Duration of store operations, by store, operation and error type.',
  ),
  auditWriteFailures: metric({
    name: 'handshake.audit.write_failures',
    kind: 'counter',
    unit: '{failure}',
    description: 'Failed attempts to write an audit event, by event type and error type.',
  }),
  httpRequestDuration: duration(
    'http.server.request.duration',
    'Duration of HTTP requests, by method, route template and status.',
  ),
};

const CREATE: {
  [K in keyof Instruments]: (meter: Meter, name: string, options: MetricOptions) => Instruments[K];
} = {
  counter: (meter, name, options) => meter.createCounter(name, options),
  upDownCounter: (meter, name, options) => meter.createUpDownCounter(name, options),
  histogram: (meter, name, options) => meter.createHistogram(name, options),
  gauge: (meter, name, options) => meter.createObservableGauge(name, options),
};

/** The instrument that records `definition` on `meter`. */
export function instrument<K extends keyof Instruments>(
  meter: Meter,
  definition: Metric<K>,
): Instruments[K] {
  const { name, kind, unit, description, buckets } = definition;
  const options: MetricOptions = { description, unit };
  if (buckets) options.advice = { explicitBucketBoundaries: buckets };
  return CREATE[kind](meter, name, options);
}
