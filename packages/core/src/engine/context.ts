import { HandshakeError, type Tier } from '@handshake/protocol';
import type { ApproverV1 } from '../approvals/approver.js';
import { humanApprover } from '../approvals/approver.js';
import type { AuditEventType, AuditSinkV1 } from '../audit/audit-event.js';
import { AuditLog } from '../audit/audit-log.js';
import { RefusalAggregator } from '../audit/refusal-aggregator.js';
import type { SessionVerifierV1 } from '../sessions/session-verifier.js';
import { MemoryStore } from '../store/memory-store.js';
import { sealOutcomes } from '../store/sealed-outcomes.js';
import type { CompleteOp, StoreV1 } from '../store/store-v1.js';
import { generateToken, type RandomSource, tokenDigest } from '../tokens/token.js';
import { type Clock, systemClock } from '../types/common.js';
import { UnsupportedSpecificationVersionError } from '../types/specification-version.js';
import type { HandshakeObserverV1 } from './observer.js';
import type { HandshakeOptions } from './options.js';
import { RefusalCounts } from './refusal-counts.js';
import { ToolRegistry } from './registry.js';

/** How long each thing the engine hands out lives, resolved from the options. */
export interface EngineTimings {
  /** An ephemeral token's lifetime. */
  readonly tokenTtlMs: number;
  /** How long a pending approval waits for a decision. */
  readonly approvalTtlMs: number;
  /** How long a consumed token's outcome is kept for replay. */
  readonly retainMs: number;
  /** How long a tool may run before it is abandoned. */
  readonly executionTimeoutMs: number;
}

/**
 * Everything one engine's steps share: its options, the store, the clock, the audit
 * trail and the tool registry. Built once by the engine and passed to every step, so
 * each step is a plain function of `(context, request)`.
 */
export interface EngineContext {
  readonly options: HandshakeOptions;
  /** The store, with outcomes that hold secrets sealed before it sees them. */
  readonly store: StoreV1;
  readonly clock: Clock;
  readonly audit: AuditLog;
  /** Refusals of callers nobody identified, summed up per window; absent when turned off. */
  readonly refusals: RefusalAggregator | undefined;
  /** Every refusal of the last hour, counted by code per minute (the approvers' overview). */
  readonly refusalCounts: RefusalCounts;
  readonly registry: ToolRegistry;
  readonly sessions: SessionVerifierV1 | undefined;
  readonly approver: ApproverV1;
  /** Digest of each configured approver credential → the approver's name. */
  readonly approverCredentials: ReadonlyMap<string, string>;
  readonly random: RandomSource | undefined;
  readonly timings: EngineTimings;
  readonly auditFailure: Partial<Record<Tier, 'closed' | 'buffer'>>;
}

/** Resolves the options into the context every step of one engine shares. */
export function createEngineContext(options: HandshakeOptions): EngineContext {
  checkProviders(options);
  // Outcomes holding secrets are sealed before any store sees them.
  const store = sealOutcomes(
    options.store ?? new MemoryStore(),
    options.outcomeKeys,
    options.random,
  );
  const clock = options.clock ?? systemClock;
  const timings: EngineTimings = {
    tokenTtlMs: positive(options.tokenTtlMs ?? 30_000, 'tokenTtlMs'),
    approvalTtlMs: positive(options.approvalTtlMs ?? 300_000, 'approvalTtlMs'),
    retainMs: positive(options.replayWindowMs ?? 600_000, 'replayWindowMs'),
    executionTimeoutMs: positive(options.executionTimeoutMs ?? 30_000, 'executionTimeoutMs'),
  };
  const sinks: readonly AuditSinkV1[] =
    options.audit === undefined
      ? []
      : Array.isArray(options.audit)
        ? (options.audit as readonly AuditSinkV1[])
        : [options.audit as AuditSinkV1];
  const audit = new AuditLog(sinks, {
    clock,
    chain: options.instanceId ?? generateToken('transaction', options.random).slice(3, 15),
    ...(options.onAuditError ? { onError: options.onAuditError } : {}),
    ...(options.auditRetryMs ? { retryMs: options.auditRetryMs } : {}),
    ...(options.observer?.step ? { around: auditStep(options.observer) } : {}),
  });
  const refusals =
    options.refusalWindowMs === false
      ? undefined
      : new RefusalAggregator({
          windowMs: positive(options.refusalWindowMs ?? 60_000, 'refusalWindowMs'),
          now: () => clock.now(),
          write: (fields) => audit.record(fields),
        });
  return {
    options,
    store,
    clock,
    audit,
    refusals,
    refusalCounts: new RefusalCounts(),
    registry: new ToolRegistry(options),
    sessions: options.sessions,
    approver: options.approver ?? humanApprover(),
    approverCredentials: new Map(
      Object.entries(options.approverCredentials ?? {}).map(([credential, name]) => [
        tokenDigest(credential),
        name,
      ]),
    ),
    random: options.random,
    timings,
    auditFailure: options.auditFailure ?? { RESTRICTED: 'closed' },
  };
}

/**
 * Runs one store operation: a failure that is not already a `HandshakeError` becomes
 * `STORE_UNAVAILABLE` (retry shortly), after `onFailure` has had its say.
 */
export async function storeCall<T>(call: () => T | Promise<T>, onFailure?: () => void): Promise<T> {
  try {
    return await call();
  } catch (error) {
    onFailure?.();
    if (HandshakeError.isInstance(error)) throw error;
    throw new HandshakeError('STORE_UNAVAILABLE', 'The state store is unavailable; retry shortly', {
      cause: error,
      retryAfterSeconds: 1,
    });
  }
}

/**
 * Records the outcome of a finished execute for its identical retries, and settles its
 * reservation when it has one; false when the store could not.
 */
export async function recordOutcome(
  ctx: EngineContext,
  consumed: { partition: string; digest: string },
  outcome: CompleteOp['outcome'],
  reservation: CompleteOp['reservation'],
): Promise<boolean> {
  try {
    await ctx.store.complete({
      ...consumed,
      now: ctx.clock.now(),
      outcome,
      retainMs: ctx.timings.retainMs,
      ...(reservation ? { reservation } : {}),
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses, before any is used, a provider that implements a specification version this
 * engine does not know (or declares none): `UnsupportedSpecificationVersionError`.
 */
function checkProviders(options: HandshakeOptions): void {
  const check = UnsupportedSpecificationVersionError.check;
  for (const provider of [options.tools].flat()) check('tool provider', provider);
  check('store', options.store);
  check('session verifier', options.sessions);
  check('key resolver', options.keys);
  check('approver', options.approver);
  for (const sink of [options.audit ?? []].flat()) check('audit sink', sink);
  check('observer', options.observer);
  check('exchange rate provider', options.exchangeRates);
}

/** The audit log's hook that runs each write as an observed `audit` step. */
function auditStep(observer: HandshakeObserverV1) {
  return (event: AuditEventType, write: () => Promise<void>) =>
    observer.step!({ kind: 'audit', event }, write);
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number`);
  }
  return value;
}
