import type * as wire from '@handshake/protocol';
import type { AuditEvent } from '../audit/audit-event.js';
import type { SessionIdentity } from '../sessions/session-verifier.js';
import type { StoreV1 } from '../store/store-v1.js';
import type { Clock } from '../types/common.js';
import { ApprovalDesk } from './approval-desk.js';
import { authorize } from './authorize.js';
import { captureReservation, recordChargeDecision } from './captures.js';
import { createEngineContext, type EngineContext } from './context.js';
import { execute } from './execute.js';
import { type ApproverIdentity, identify, identifyApprover } from './identity.js';
import { type LimitsView, limitsView } from './limits.js';
import type { HandshakeObserverV1 } from './observer.js';
import type { CallerContext, HandshakeOptions } from './options.js';
import {
  type AbandonedSweep,
  resolveInterrupted,
  type SweepAbandonedOptions,
  sweepAbandoned,
} from './recovery.js';
import type { RegisteredTool } from './registry.js';
import type {
  ChargeDecision,
  ReservationCapture,
  ReservationCaptureOutcome,
} from './reservation-capture.js';

// A façade over steps in files of their own, each given the one EngineContext built here.
// One call: identity.ts → authorize.ts (policy/, limits/, store, audit) → review.ts →
// execute.ts (signature.ts, store) → run.ts or replay.ts. Approvals (approval-desk.ts, the
// class this one extends): approvals.ts reads, decisions.ts decides, approval-tokens.ts
// issues their tokens.

/**
 * The handshake engine: `authorize` binds one exact call to a single-use token,
 * `execute` consumes it once and runs the tool. Tiers are cumulative; spending limits
 * are reserved at authorize and settled at execute; every step is audited.
 *
 * Most users reach it through `createHandshakeHandler` (HTTP); in-process callers use
 * these methods directly, passing the caller's bearer credential.
 *
 * @example
 * ```ts
 * import { createHandshake, staticSessionVerifier } from '@handshake/core';
 *
 * const engine = createHandshake({
 *   tools: {
 *     specificationVersion: 'v1',
 *     listTools: () => [{ name: 'get_rate', description: 'Read an exchange rate', tier: 'PUBLIC' }],
 *     execute: () => ({ rate: '1.08' }),
 *   },
 *   sessions: staticSessionVerifier({ 'session-alice': 'alice' }),
 * });
 * const authorized = await engine.authorize({ tool: 'get_rate', parameters: { pair: 'EURUSD' } });
 * if (authorized.status === 'authorized') {
 *   const done = await engine.execute({
 *     tool: 'get_rate',
 *     parameters: { pair: 'EURUSD' },
 *     ephemeralToken: authorized.ephemeralToken,
 *   });
 *   console.log(done.result); // { rate: '1.08' }
 * }
 * ```
 */
export class HandshakeEngine extends ApprovalDesk {
  readonly store: StoreV1;
  readonly clock: Clock;
  /** The `observer` option: what the HTTP surface tells of live streams and deliveries. */
  readonly observer: HandshakeObserverV1 | undefined;
  readonly #ctx: EngineContext;

  constructor(options: HandshakeOptions) {
    const ctx = createEngineContext(options);
    super(ctx);
    this.#ctx = ctx;
    this.store = this.#ctx.store;
    this.clock = this.#ctx.clock;
    this.observer = options.observer;
  }

  /** Loads the tools of every provider and checks the policy against them. */
  ready(): Promise<Map<string, RegisteredTool>> {
    return this.#ctx.registry.tools();
  }

  /** The tools this engine serves, with their effective tiers. */
  listTools(): Promise<wire.ToolListing[]> {
    return this.#ctx.registry.listings();
  }

  /** Resolves a bearer credential; throws `UNAUTHORIZED` when it is missing or invalid. */
  identify(credential: string | undefined): Promise<SessionIdentity> {
    return identify(this.#ctx, credential);
  }

  /** Resolves an approver credential (configured approver token or a session with the approve scope). */
  identifyApprover(credential: string | undefined): Promise<ApproverIdentity> {
    return identifyApprover(this.#ctx, credential);
  }

  /**
   * Phase one: binds `tool` and the canonical hash of `parameters` to a single-use
   * token, after the tier's checks. Answers `pending` when someone must approve first.
   *
   * @example
   * ```ts
   * import { createHandshake, MemoryStore } from '@handshake/core';
   * declare const engine: ReturnType<typeof createHandshake>;
   *
   * const answer = await engine.authorize({ tool: 'get_order', parameters: { id: 'O-1' } }, 'dev-token');
   * if (answer.status === 'authorized') console.log(answer.transactionId);
   * ```
   */
  authorize(
    request: wire.AuthorizeRequest,
    credential?: string,
    caller: CallerContext = {},
  ): Promise<wire.AuthorizeResponse> {
    return authorize(this.#ctx, request, credential, caller);
  }

  /**
   * Phase two: consumes the token once and runs the tool. An identical retry by the
   * same session gets the stored outcome with `replayed: true`; the tool never runs
   * twice.
   *
   * @example
   * ```ts
   * import type { HandshakeEngine } from '@handshake/core';
   * declare const engine: HandshakeEngine;
   * declare const token: string;
   *
   * const done = await engine.execute(
   *   { ephemeralToken: token, tool: 'get_order', parameters: { id: 'O-1' } },
   *   'dev-token',
   * );
   * console.log(done.result, done.replayed === true);
   * ```
   */
  execute(
    request: wire.ExecuteRequest,
    credential?: string,
    caller: CallerContext = {},
  ): Promise<wire.ExecuteResponse> {
    return execute(this.#ctx, request, credential, caller);
  }

  /** Remaining spend for a user, reservations counted. Undefined when no limit applies. */
  limits(credential: string | undefined): Promise<LimitsView | undefined> {
    return limitsView(this.#ctx, credential);
  }

  /**
   * Counts a transaction at what its payee captured (a merchant's capture on a card
   * issued for it): the captured share of its reservation stays counted, the rest is
   * given back. Once per transaction (a repeat answers `already_captured`); audited,
   * never with a card number. {@link ReservationCapture} shows one.
   */
  captureReservation(capture: ReservationCapture): Promise<ReservationCaptureOutcome> {
    return captureReservation(this.#ctx, capture);
  }

  /**
   * Records a payment provider's decision on a payee's charge (a card issuer's on a
   * merchant's) in the audit trail: the decision, its reason, the payee and the amount;
   * never a card number. {@link ChargeDecision} shows one.
   */
  recordChargeDecision(decision: ChargeDecision): Promise<void> {
    return recordChargeDecision(this.#ctx, decision);
  }

  /**
   * Resolves the executions a dead process left running — consumed longer ago than the
   * execution timeout (and a second) with no outcome recorded — through the store's
   * `resolveAbandoned`: each answers its identical retry that its outcome is unknown,
   * keeps its reservation counted, and gets an `execute`/`abandoned` audit event. Run it
   * on an interval (the reference service does, `HANDSHAKE_SWEEP_SECONDS`); an identical
   * retry resolves an abandoned execution the same way without it.
   * {@link AbandonedSweep} shows one.
   */
  sweepAbandoned(options: SweepAbandonedOptions = {}): Promise<AbandonedSweep> {
    return sweepAbandoned(this.#ctx, options);
  }

  /**
   * Records, for each `started` audit event a stopped process left unresolved (see
   * `unresolvedExecutions`), an `execute`/`interrupted` event saying its outcome is
   * unknown, so everything started is accounted for. Run it once at start-up, before
   * serving (the reference service does, from its JSON-lines audit file).
   *
   * @example
   * ```ts
   * import { type AuditEvent, type HandshakeEngine, unresolvedExecutions } from '@handshake/core';
   * declare const engine: HandshakeEngine;
   * declare const previousTrail: AuditEvent[];
   *
   * await engine.resolveInterrupted(await unresolvedExecutions(previousTrail));
   * ```
   */
  resolveInterrupted(started: readonly AuditEvent[]): Promise<void> {
    return resolveInterrupted(this.#ctx, started);
  }

  /** Waits until every audit event recorded so far is written. */
  flushAudit(): Promise<void> {
    return this.#ctx.audit.flush();
  }

  /**
   * Audit events not yet written by every sink, in chain order: while a sink fails,
   * events wait here and are retried until written. Empty when the trail is up to date.
   *
   * @example
   * ```ts
   * import type { HandshakeEngine } from '@handshake/core';
   * declare const engine: HandshakeEngine;
   *
   * const waiting = engine.auditBacklog();
   * if (waiting.length > 0) console.warn(`${waiting.length} audit events not yet written`);
   * ```
   */
  auditBacklog(): AuditEvent[] {
    return this.#ctx.audit.backlog();
  }

  /**
   * Writes the audit trail (stopping retries once only failing sinks are left; their
   * events stay in `auditBacklog()`) and closes the store.
   */
  async close(): Promise<void> {
    await this.#ctx.refusals?.close();
    await this.#ctx.audit.close();
    await this.#ctx.store.close?.();
  }
}

/**
 * Creates the handshake engine (see {@link HandshakeEngine} for one whole call).
 *
 * @example
 * ```ts
 * import { createHandshake, MemoryStore, type ToolProviderV1 } from '@handshake/core';
 * declare const tools: ToolProviderV1;
 *
 * const engine = createHandshake({ tools, store: new MemoryStore() });
 * ```
 */
export function createHandshake(options: HandshakeOptions): HandshakeEngine {
  return new HandshakeEngine(options);
}
