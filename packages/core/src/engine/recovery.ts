import type { AuditEvent } from '../audit/audit-event.js';
import type { AuditFields } from '../audit/audit-log.js';
import type { ExecutionOutcome } from '../store/records.js';
import type { EngineContext } from './context.js';

/**
 * What an execution interrupted before its outcome was recorded answers from then on:
 * the outcome is unknown, so the caller checks with the provider instead of asking
 * again (a new authorization could move the money a second time).
 */
export function abandonedOutcome(tool: string): ExecutionOutcome & { status: 'failed' } {
  return {
    status: 'failed',
    code: 'PROVIDER_ERROR',
    message: `${tool} was interrupted before its outcome was recorded; its outcome is unknown: check with the provider before asking again`,
  };
}

/** How much longer than the execution timeout a call may run before it is abandoned. */
export const ABANDON_GRACE_MS = 1_000;

/**
 * Options of `engine.sweepAbandoned()`.
 *
 * @example
 * ```ts
 * import type { HandshakeEngine, SweepAbandonedOptions } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const options: SweepAbandonedOptions = { batch: 50 };
 * await engine.sweepAbandoned(options);
 * ```
 */
export interface SweepAbandonedOptions {
  /** Executions resolved per store call (default 100); the sweep goes on until none is left. */
  batch?: number;
}

/**
 * What a sweep resolved. `supported` is false when the store has no `resolveAbandoned`:
 * its abandoned executions are resolved only by their identical retries.
 *
 * @example
 * ```ts
 * import type { AbandonedSweep, HandshakeEngine } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const sweep: AbandonedSweep = await engine.sweepAbandoned();
 * for (const call of sweep.resolved) console.warn(`${call.tool} ${call.transactionId}: outcome unknown`);
 * ```
 */
export interface AbandonedSweep {
  supported: boolean;
  resolved: ReadonlyArray<{ transactionId: string; userId: string; tool: string }>;
}

/** Batches a store that misbehaves (answers full batches forever) may cost one sweep. */
const MAX_BATCHES = 1_000;

/**
 * Resolves, through the store, every execution still `executing` past the execution
 * timeout (and {@link ABANDON_GRACE_MS}): no live process can still be running it. Each
 * gets the outcome an identical retry would have got, its reservation stays counted,
 * and the audit trail records it as `abandoned`, so every written-ahead `started` event
 * is followed by its resolution even when nobody retries.
 */
export async function sweepAbandoned(
  ctx: EngineContext,
  options: SweepAbandonedOptions = {},
): Promise<AbandonedSweep> {
  const { store } = ctx;
  if (!store.resolveAbandoned) return { supported: false, resolved: [] };
  const tools = await ctx.registry.tools();
  const now = ctx.clock.now();
  const batch = options.batch ?? 100;
  if (!Number.isSafeInteger(batch) || batch < 1) {
    throw new RangeError('batch must be a whole number of at least 1');
  }
  const resolved: Array<{ transactionId: string; userId: string; tool: string }> = [];
  for (let round = 0; round < MAX_BATCHES; round += 1) {
    const found = await store.resolveAbandoned({
      now,
      consumedBefore: now - ctx.timings.executionTimeoutMs - ABANDON_GRACE_MS,
      limit: batch,
      // Each tombstone gets its own tool's message: resolved one store call per tool
      // would cost more than a message naming the tool generically.
      outcome: abandonedOutcome('The call'),
      retainMs: ctx.timings.retainMs,
    });
    for (const { tombstone } of found) {
      const tier = tools.get(tombstone.tool)?.tier;
      await ctx.audit.record({
        type: 'execute',
        outcome: 'abandoned',
        transactionId: tombstone.transactionId,
        userId: tombstone.userId,
        tool: tombstone.tool,
        ...(tier ? { tier } : {}),
        paramsHash: tombstone.paramsHash,
        detail: 'interrupted; outcome unknown; resolved by the sweep',
      });
      resolved.push({
        transactionId: tombstone.transactionId,
        userId: tombstone.userId,
        tool: tombstone.tool,
      });
    }
    if (found.length < batch) break;
  }
  return { supported: true, resolved };
}

/**
 * Records, for each `started` event a stopped process left unresolved, the
 * `execute`/`interrupted` event that resolves it in the audit trail.
 */
export async function resolveInterrupted(
  ctx: EngineContext,
  started: readonly AuditEvent[],
): Promise<void> {
  for (const event of started) await ctx.audit.record(interruptedFields(event));
}

function interruptedFields(started: AuditEvent): AuditFields {
  return {
    type: 'execute',
    outcome: 'interrupted',
    ...(started.transactionId !== undefined ? { transactionId: started.transactionId } : {}),
    ...(started.userId !== undefined ? { userId: started.userId } : {}),
    ...(started.tool !== undefined ? { tool: started.tool } : {}),
    ...(started.tier !== undefined ? { tier: started.tier } : {}),
    ...(started.paramsHash !== undefined ? { paramsHash: started.paramsHash } : {}),
    ...(started.amount !== undefined ? { amount: started.amount } : {}),
    detail: `the service stopped before recording the outcome of the call started at ${started.at} (chain ${started.chain}, seq ${started.seq}); outcome unknown`,
  };
}
