import type { Tier } from '@handshake/protocol';
import type { ApproverV1 } from '../approvals/approver.js';
import type { AuditEvent, AuditSinkV1 } from '../audit/audit-event.js';
import type { ExchangeRateProviderV1, LimitsSource } from '../limits/spending-limits.js';
import type { SessionVerifierV1 } from '../sessions/session-verifier.js';
import type { KeyResolverV1 } from '../signing/key-resolver.js';
import type { OutcomeKey } from '../store/sealed-outcomes.js';
import type { StoreV1 } from '../store/store-v1.js';
import type { RandomSource } from '../tokens/token.js';
import type { ToolProviderV1 } from '../tools/tool-provider.js';
import type { Clock } from '../types/common.js';
import type { HandshakeObserverV1 } from './observer.js';

/**
 * Options of {@link createHandshake}. Everything but `tools` has a default.
 *
 * @example
 * ```ts
 * import {
 *   createHandshake,
 *   type HandshakeOptions,
 *   MemoryStore,
 *   memoryAuditSink,
 *   staticSessionVerifier,
 *   type ToolProviderV1,
 * } from '@handshake/core';
 * declare const tools: ToolProviderV1;
 *
 * const options: HandshakeOptions = {
 *   tools,
 *   store: new MemoryStore(),
 *   sessions: staticSessionVerifier({ 'session-alice': 'alice' }),
 *   approverCredentials: { 'approver-token': 'ops' },
 *   audit: memoryAuditSink(),
 *   limits: { currency: 'USD', timeZone: 'UTC', daily: '500.00' },
 *   tokenTtlMs: 30_000,
 * };
 * const engine = createHandshake(options);
 * ```
 */
export interface HandshakeOptions {
  /** Where tools come from; several providers may be combined (names must not clash). */
  tools: ToolProviderV1 | readonly ToolProviderV1[];
  /** Default: a new `MemoryStore`. */
  store?: StoreV1;
  /** Verifies bearer credentials. Without one, only PUBLIC tools can be called. */
  sessions?: SessionVerifierV1;
  /** Public keys for the INTERNAL tier's signatures. Without one, INTERNAL+ tools are refused. */
  keys?: KeyResolverV1;
  /** Decides RESTRICTED and over-limit calls. Default: a person, through the approvals API. */
  approver?: ApproverV1;
  /** Approver credentials (bearer token → approver name) for the approvals API. */
  approverCredentials?: Readonly<Record<string, string>>;
  /** Audit sinks. */
  audit?: AuditSinkV1 | readonly AuditSinkV1[];
  /** Called at each failed audit write; the event stays in the backlog and is retried. */
  onAuditError?: (error: unknown, event: AuditEvent) => void;
  /**
   * Watches policy checks, audit writes and spend reservations from inside, for metrics
   * and traces (`engineObserver()` of `@handshake/core/opentelemetry`).
   */
  observer?: HandshakeObserverV1;
  /**
   * What a failing audit sink does to calls, per tier. `closed`: the call is refused
   * with `AUDIT_UNAVAILABLE` unless its events can be written — authorize and decide
   * are refused while a sink is failing, and execute runs the tool only after its
   * `execute`/`started` event is written by every sink. `buffer`: calls go on; events
   * wait in `engine.auditBacklog()`, in order, and are retried until written.
   * Default `{ RESTRICTED: 'closed' }`; tiers not named buffer — except that a call that
   * changes state (CONFIDENTIAL and above, or any tool with an amount) always has its
   * `execute`/`started` event written by every sink before its token is consumed, unless
   * its tier is explicitly `buffer`.
   */
  auditFailure?: Partial<Record<Tier, 'closed' | 'buffer'>>;
  /** Delay before retry `attempt` (1, 2, …) of a failed audit write (default 100 ms × 2^(attempt − 1), at most 30 s). */
  auditRetryMs?: (attempt: number) => number;
  /** Raises tiers of named tools; lowering one is refused when the engine starts. */
  policy?: { tiers?: Readonly<Record<string, Tier>> };
  /** Spending limits; none means no limit. */
  limits?: LimitsSource;
  /** Needed when a tool's amount is not in the limits' currency. */
  exchangeRates?: ExchangeRateProviderV1;
  clock?: Clock;
  random?: RandomSource;
  /** Ephemeral token lifetime (default 30 s). */
  tokenTtlMs?: number;
  /** How long a pending approval waits for a decision (default 5 min). */
  approvalTtlMs?: number;
  /** How long a consumed token's result is kept for replay (default 10 min). */
  replayWindowMs?: number;
  /** A tool running longer is abandoned with `PROVIDER_ERROR` (default 30 s). */
  executionTimeoutMs?: number;
  /** Authorizations per user per window; `false` turns limiting off. Default 120 per minute. */
  rateLimit?: { limit: number; windowMs: number } | false;
  /** Name of this instance's audit chain (default: random). */
  instanceId?: string;
  /**
   * Keys sealing stored outcomes that hold secrets (a virtual card's number and CVC),
   * newest first; give every instance the same list. Default: a random key of this
   * process, so such a replay works only on the instance that ran the call.
   */
  outcomeKeys?: readonly OutcomeKey[];
  /**
   * Refusals of callers nobody identified (bad credentials, rate limits, callers without
   * a session) are written once per code, user and client address in this window, then
   * summed up in one event with their `count` (default 60 s); `false` writes each one.
   */
  refusalWindowMs?: number | false;
}

/**
 * What the HTTP surface knows of a caller besides its credential.
 *
 * @example
 * ```ts
 * import { type CallerContext, createHandshake, type ToolProviderV1 } from '@handshake/core';
 * declare const tools: ToolProviderV1;
 *
 * const engine = createHandshake({ tools });
 * const caller: CallerContext = { clientAddress: '203.0.113.7' };
 * await engine.authorize({ tool: 'get_rate', parameters: {} }, undefined, caller);
 * ```
 */
export interface CallerContext {
  /**
   * The client's address, as the handler resolved it: callers without a session are
   * rate-limited per address, and refusals are counted per address.
   */
  clientAddress?: string;
  /**
   * At execute: terms the caller settled for this execution beside the parameters,
   * handed to the tool as `ToolContext.terms` (e.g. the size of a card to issue for a
   * validated purchase). They are not hashed: the tool checks them against the
   * parameters the token was issued for.
   */
  terms?: unknown;
}
