import type { AuditEventType } from '../audit/audit-event.js';
import type { EngineContext } from './context.js';

/**
 * One inner step of a call that an observer may wrap: a policy check, or the write of
 * an audit event (from the moment it is recorded until every sink has written it or
 * kept it for retry). Steps name only bounded facts, never a user, parameter or amount.
 *
 * - `policy` `parameters`: the canonical hash and, from CONFIDENTIAL on, the tool's
 *   schema and rules; `amount`: the tool's amount for the parameters, converted to the
 *   limits' currency (limits themselves are counted atomically in the store's
 *   `authorize`); `signature`: the request signature an INTERNAL or higher tier asks.
 * - `audit`: one event of type `event`.
 *
 * @example
 * ```ts
 * import type { EngineStep } from '@handshake/core';
 *
 * function spanName(step: EngineStep): string {
 *   return step.kind === 'policy' ? `handshake.policy ${step.check}` : `handshake.audit ${step.event}`;
 * }
 * ```
 */
export type EngineStep =
  | { kind: 'policy'; check: 'parameters' | 'amount' | 'signature' }
  | { kind: 'audit'; event: AuditEventType };

/**
 * A change of a spend reservation, after the store made it. Reservations exist only for
 * calls with an amount and a user with spending limits, in the limits' currency.
 *
 * - `reserved`: held against the limits, at authorize (`reason` `authorize`) or when a
 *   person approves an over-limit call (`approval`).
 * - `committed`: kept as spend when the call completed (`completed`) or timed out
 *   (`timeout`: the payment may have gone through).
 * - `released`: given back when the call failed at its provider (`failed`), its amount
 *   changed (`mismatch`), its approval was denied (`denied`) or expired (`expired`), or
 *   a payee captured less than was authorized (`capture`: the part not captured).
 *
 * A token never used lets its reservation lapse at its deadline without any store
 * operation, and an execution abandoned by a stopped process stays counted; neither is
 * reported.
 *
 * @example
 * ```ts
 * import type { ReservationChange } from '@handshake/core';
 *
 * const change: ReservationChange = {
 *   action: 'released',
 *   reason: 'denied',
 *   amountMinor: 2_500n,
 *   currency: 'USD',
 *   tool: 'create_refund',
 * };
 * ```
 */
export interface ReservationChange {
  action: 'reserved' | 'committed' | 'released';
  reason:
    | 'authorize'
    | 'approval'
    | 'completed'
    | 'timeout'
    | 'failed'
    | 'mismatch'
    | 'denied'
    | 'expired'
    | 'withdrawn'
    | 'capture';
  /** Minor units of `currency`. */
  amountMinor: bigint;
  /** The limits' currency (ISO 4217). */
  currency: string;
  /** The tool of the call, when the engine knows it (not for a capture). */
  tool?: string;
}

/**
 * Who listens on a live stream of approvals: a requester waiting for its decision
 * (`GET /approvals/{id}` as events), approvers (`GET /approvals` as events, the console),
 * or a card validation waiting for a person (the spend API).
 *
 * @example
 * ```ts
 * import type { LiveStreamKind } from '@handshake/core';
 *
 * const open: Record<LiveStreamKind, number> = { requester: 0, approver: 0, validation: 0 };
 * ```
 */
export type LiveStreamKind = 'requester' | 'approver' | 'validation';

/**
 * A requester received the final status of its approval: through a live stream
 * (`sse`) or an ordinary read (`poll`), `waitedMs` after the approval was requested,
 * on the engine's clock.
 *
 * @example
 * ```ts
 * import type { DecisionDelivery } from '@handshake/core';
 *
 * const delivery: DecisionDelivery = { outcome: 'approved', channel: 'sse', waitedMs: 42_000 };
 * ```
 */
export interface DecisionDelivery {
  outcome: 'approved' | 'denied' | 'expired' | 'withdrawn';
  channel: 'sse' | 'poll';
  waitedMs: number;
}

/**
 * Watches an engine from inside, for metrics and traces: `step` runs each policy check
 * and audit write (it must call `work` once and answer what it answers, e.g. inside a
 * span), and `reservation` hears each change of a spend reservation. The engine's HTTP
 * surface tells `liveStream` of each live stream it opens and `decisionDelivered` of each
 * final status a requester receives. None may change what the engine does; an observer
 * that throws from `reservation`, `liveStream` or `decisionDelivered` is ignored.
 * `engineObserver()` of `@handshake/core/opentelemetry` is one.
 *
 * @example
 * ```ts
 * import { createHandshake, type HandshakeObserverV1, type ToolProviderV1 } from '@handshake/core';
 * declare const tools: ToolProviderV1;
 *
 * const held = new Map<string, bigint>();
 * const observer: HandshakeObserverV1 = {
 *   specificationVersion: 'v1',
 *   reservation(change) {
 *     const sign = change.action === 'reserved' ? 1n : change.action === 'released' ? -1n : 0n;
 *     held.set(change.currency, (held.get(change.currency) ?? 0n) + sign * change.amountMinor);
 *   },
 * };
 * const engine = createHandshake({ tools, observer });
 * ```
 */
export interface HandshakeObserverV1 {
  readonly specificationVersion: 'v1';
  step?<T>(step: EngineStep, work: () => Promise<T>): Promise<T>;
  reservation?(change: ReservationChange): void;
  /**
   * A live stream opened (`kind` says who listens); the function it answers is called
   * once, when the stream closes.
   */
  liveStream?(kind: LiveStreamKind): () => void;
  /** A requester received the final status of its approval. */
  decisionDelivered?(delivery: DecisionDelivery): void;
}

/** Runs `work` as an observed step, or as it is when nobody observes steps. */
export function observeStep<T>(
  ctx: EngineContext,
  step: EngineStep,
  work: () => Promise<T>,
): Promise<T> {
  const observer = ctx.options.observer;
  return observer?.step ? observer.step(step, work) : work();
}

/** Tells the observer of a reservation change; an observer's failure is its own. */
export function reservationChanged(
  ctx: EngineContext,
  change: Omit<ReservationChange, 'amountMinor'> & { amountMinor: bigint | string | undefined },
): void {
  const observer = ctx.options.observer;
  if (!observer?.reservation || change.amountMinor === undefined) return;
  try {
    observer.reservation({ ...change, amountMinor: BigInt(change.amountMinor) });
  } catch {
    // Observing must never change a call's outcome.
  }
}
