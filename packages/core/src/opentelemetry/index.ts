// OpenTelemetry instrumentation of the engine, its store and its HTTP handler (a card
// issuer's is in `@handshake/cards/opentelemetry`). It needs `@opentelemetry/api` (an optional peer dependency of this package)
// and records into whatever SDK the application registered; without one it is a no-op.
export {
  auditFailureMetrics,
  type MetricsAuditSinkOptions,
  metricsAuditSink,
} from './audit-metrics.js';
export { instrumentEngine } from './engine.js';
export { type InstrumentHandlerOptions, instrumentHandler } from './handler.js';
export { engineObserver } from './observer.js';
export type { TelemetryOptions } from './options.js';
export { observePendingApprovals, type PendingApprovalsOptions } from './pending-approvals.js';
export { type InstrumentStoreOptions, instrumentStore } from './store.js';
export { instrumentToolProvider } from './tool-provider.js';
