import type { Attributes } from '@opentelemetry/api';
import type { StoreV1 } from '../store/store-v1.js';
import { UnsupportedSpecificationVersionError } from '../types/specification-version.js';
import { instrument, METRICS } from './metrics.js';
import { type TelemetryOptions, telemetryOf } from './options.js';
import { timedCall } from './span.js';

/**
 * Options of {@link instrumentStore}.
 *
 * @example
 * ```ts
 * import { MemoryStore } from '@handshake/core';
 * import { type InstrumentStoreOptions, instrumentStore } from '@handshake/core/opentelemetry';
 *
 * const options: InstrumentStoreOptions = { name: 'memory' };
 * const store = instrumentStore(new MemoryStore(), options);
 * ```
 */
export interface InstrumentStoreOptions extends TelemetryOptions {
  /** The store's name in the `handshake.store` attribute, e.g. `redis` or `dynamodb`. */
  name: string;
}

/** The operations measured; `subscribeApprovals` and `close` are passed through. */
const OPERATIONS = [
  'authorize',
  'consume',
  'complete',
  'getApproval',
  'listApprovals',
  'decideApproval',
  'issueApprovalToken',
  'reservationUsage',
  'captureReservation',
  'resolveAbandoned',
] as const;

/**
 * Wraps a store so that each operation is timed in `handshake.store.operation.duration`
 * (seconds, by `handshake.store`, `handshake.store.operation` and, when it failed,
 * `error.type`) and traced as a child span of the call that made it. Operations
 * the store lacks stay absent, so the engine sees the same capabilities.
 *
 * @example
 * ```ts
 * import { createHandshake, MemoryStore, type ToolProviderV1 } from '@handshake/core';
 * import { instrumentStore } from '@handshake/core/opentelemetry';
 * declare const tools: ToolProviderV1;
 *
 * const store = instrumentStore(new MemoryStore(), { name: 'memory' });
 * const engine = createHandshake({ tools, store });
 * ```
 */
export function instrumentStore(store: StoreV1, options: InstrumentStoreOptions): StoreV1 {
  UnsupportedSpecificationVersionError.check('store', store);
  const { meter, tracer, recording } = telemetryOf(options);
  const duration = instrument(meter, METRICS.storeOperationDuration);
  const wrapped: Record<string, unknown> = {
    specificationVersion: 'v1',
  };
  for (const operation of OPERATIONS) {
    const method = store[operation] as ((...args: unknown[]) => unknown) | undefined;
    if (typeof method !== 'function') continue;
    wrapped[operation] = (...args: unknown[]) => {
      if (!recording()) return method.apply(store, args);
      const attributes: Attributes = {
        'handshake.store': options.name,
        'handshake.store.operation': operation,
      };
      return timedCall(tracer, duration, `handshake.store ${operation}`, attributes, async () =>
        method.apply(store, args),
      );
    };
  }
  if (store.subscribeApprovals) {
    wrapped.subscribeApprovals = store.subscribeApprovals.bind(store);
  }
  if (store.approvalEventsComplete !== undefined) {
    wrapped.approvalEventsComplete = store.approvalEventsComplete;
  }
  if (store.close) wrapped.close = store.close.bind(store);
  return wrapped as unknown as StoreV1;
}
