import type { StoreV1 } from '../store/store-v1.js';
import type { Clock } from '../types/common.js';
import { UnsupportedSpecificationVersionError } from '../types/specification-version.js';
import { instrument, METRICS } from './metrics.js';
import { meterOf, type TelemetryOptions } from './options.js';

/**
 * Options of {@link observePendingApprovals}.
 *
 * @example
 * ```ts
 * import { MemoryStore } from '@handshake/core';
 * import {
 *   observePendingApprovals,
 *   type PendingApprovalsOptions,
 * } from '@handshake/core/opentelemetry';
 *
 * const options: PendingApprovalsOptions = { limit: 5_000 };
 * const stop = observePendingApprovals(new MemoryStore(), options);
 * ```
 */
export interface PendingApprovalsOptions extends TelemetryOptions {
  /** Most pending approvals read at each collection (default 1000); the count stops there. */
  limit?: number;
  /** Default: the system clock. */
  clock?: Clock;
}

/**
 * Reports, at each metric collection, the approvals waiting for a decision in the store
 * (`handshake.approvals.pending`) and how long the oldest of them has waited
 * (`handshake.approvals.pending.oldest_age`, seconds; 0 when none wait). The store is
 * shared, so every instance reports the same values: aggregate them with `max`, not
 * `sum`. Approvals past their deadline, which the engine expires when next read, are
 * not counted. Returns a function that stops the reporting.
 *
 * @example
 * ```ts
 * import { type HandshakeEngine } from '@handshake/core';
 * import { observePendingApprovals } from '@handshake/core/opentelemetry';
 * declare const engine: HandshakeEngine;
 *
 * const stop = observePendingApprovals(engine.store);
 * // … at shutdown:
 * stop();
 * ```
 */
export function observePendingApprovals(
  store: StoreV1,
  options: PendingApprovalsOptions = {},
): () => void {
  UnsupportedSpecificationVersionError.check('store', store);
  const meter = meterOf(options);
  const limit = options.limit ?? 1000;
  const now = () => (options.clock ?? Date).now();
  const pending = instrument(meter, METRICS.pendingApprovals);
  const oldest = instrument(meter, METRICS.oldestPendingAge);
  const observe = async (result: { observe(instrument: typeof pending, value: number): void }) => {
    const at = now();
    const waiting = (await store.listApprovals({ status: 'pending', limit })).filter(
      (approval) => approval.expiresAt > at,
    );
    result.observe(pending, waiting.length);
    const first = Math.min(...waiting.map((approval) => approval.createdAt));
    result.observe(oldest, waiting.length === 0 ? 0 : Math.max(0, at - first) / 1000);
  };
  meter.addBatchObservableCallback(observe, [pending, oldest]);
  return () => meter.removeBatchObservableCallback(observe, [pending, oldest]);
}
