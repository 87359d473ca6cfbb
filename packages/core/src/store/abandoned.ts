import type { ExecutionOutcome, Tombstone } from './records.js';

/**
 * Resolve the executions a dead process abandoned: every token consumed before
 * `consumedBefore` whose tombstone is still `executing` (and still kept at `now`) gets
 * `outcome` stored on its tombstone, as `complete` would store it, and the spend
 * reservation of its record, if still held, committed — the call may have moved money,
 * so its amount stays counted. Each execution is changed in one atomic step that
 * succeeds only while it is still `executing`: of two sweeps (or a sweep and a
 * `complete`) that race for one, only one changes it, and only that one returns it.
 *
 * @example
 * ```ts
 * import type { ResolveAbandonedOp } from '@handshake/core';
 *
 * const now = Date.now();
 * const op: ResolveAbandonedOp = {
 *   now,
 *   consumedBefore: now - 31_000, // older than the execution timeout, and a second
 *   limit: 100,
 *   outcome: { status: 'failed', code: 'PROVIDER_ERROR', message: 'outcome unknown' },
 *   retainMs: 10 * 60_000,
 * };
 * ```
 */
export interface ResolveAbandonedOp {
  now: number;
  /** Only executions consumed strictly before this time are resolved. */
  consumedBefore: number;
  /** At most this many are resolved by one call (oldest first where the store can tell). */
  limit: number;
  /** What an identical retry hears from then on. */
  outcome: ExecutionOutcome;
  /** How long the resolved tombstone is kept from `now`, as for `complete`. */
  retainMs: number;
}

/**
 * One execution resolved by `resolveAbandoned`: its partition, and its tombstone as it
 * was found (`state: 'executing'`).
 *
 * @example
 * ```ts
 * import type { AbandonedExecution } from '@handshake/core';
 * declare const resolved: readonly AbandonedExecution[];
 *
 * for (const { tombstone } of resolved) {
 *   console.log(`${tombstone.transactionId} (${tombstone.tool}) was abandoned`);
 * }
 * ```
 */
export interface AbandonedExecution {
  partition: string;
  tombstone: Tombstone;
}
