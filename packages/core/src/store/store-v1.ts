import type { LimitWindow } from '../limits/spending-limits.js';
import type { Awaitable } from '../types/common.js';
import type { AbandonedExecution, ResolveAbandonedOp } from './abandoned.js';
import type { CaptureReservationOp, CaptureReservationOutcome } from './capture-reservation.js';
import type {
  ApprovalRecord,
  ApprovalStatus,
  ExecutionOutcome,
  Tombstone,
  TransactionRecord,
} from './records.js';

/**
 * One calendar window of a spending limit, computed by the engine.
 *
 * @example
 * ```ts
 * import { type ReservationWindow, reservationWindows } from '@handshake/core';
 *
 * const windows: ReservationWindow[] = reservationWindows(Date.parse('2026-11-21T12:00:00Z'), 'UTC', { daily: 100_000n });
 * windows[0]?.key; // 'daily:2026-11-21'
 * ```
 */
export interface ReservationWindow {
  /** `daily`, `weekly`, `monthly`. */
  window: Exclude<LimitWindow, 'transaction'>;
  /** Unique key of this window instance, e.g. `daily:2026-11-21`. */
  key: string;
  /** The limit in minor units. */
  limitMinor: bigint;
  /** When the window ends (ms); its counters may be dropped after. */
  endsAt: number;
}

/**
 * A reservation the store must make atomically with the authorization.
 *
 * @example
 * ```ts
 * import type { ReservationRequest } from '@handshake/core';
 *
 * const request: ReservationRequest = {
 *   reservationId: 'r_1',
 *   amountMinor: 3_000n,
 *   windows: [{ window: 'daily', key: 'daily:2026-11-21', limitMinor: 100_000n, endsAt: Date.parse('2026-11-22T00:00:00Z') }],
 *   perTransactionMinor: 50_000n,
 *   holdUntil: Date.parse('2026-11-21T12:00:30Z'),
 * };
 * ```
 */
export interface ReservationRequest {
  reservationId: string;
  amountMinor: bigint;
  windows: readonly ReservationWindow[];
  /** Per-transaction limit in minor units, if enabled. */
  perTransactionMinor?: bigint;
  /** The reservation lapses (is released) at this time unless committed. */
  holdUntil: number;
}

/**
 * A fixed-window rate-limit hit, folded into the authorize operation.
 *
 * @example
 * ```ts
 * import type { RateLimitHit } from '@handshake/core';
 *
 * const hit: RateLimitHit = { limit: 120, windowMs: 60_000 }; // the engine's default
 * const windowStart = (now: number) => now - (now % hit.windowMs);
 * ```
 */
export interface RateLimitHit {
  /** Limit per window. */
  limit: number;
  windowMs: number;
  /**
   * A bucket of its own inside the partition, counted apart from the others: callers
   * without a session share one partition, and get a bucket per client address.
   */
  bucket?: string;
}

/** What an operation that stores a token carries. */
interface StoresToken {
  /** The token: its SHA-256 digest (stores never see the token itself) and its record. */
  token: { digest: string; record: TransactionRecord };
  /** How long a consumed token's tombstone (and the result for replay) is kept. */
  retainMs: number;
}

/**
 * Everything `authorize` stores, in one atomic operation: the token when the call needs
 * no approval, else the approval.
 *
 * @example
 * ```ts
 * import {
 *   type AuthorizeOp,
 *   type AuthorizeOutcome,
 *   exceededLimits,
 *   pendingApprovalRecord,
 * } from '@handshake/core';
 *
 * // The heart of a store's `authorize`, for one user, inside one transaction or lock.
 * function decide(op: AuthorizeOp, usedMinor: (windowKey: string) => bigint): AuthorizeOutcome {
 *   const exceeded = op.reservation ? exceededLimits(op.reservation, usedMinor) : [];
 *   if (op.requiresApproval || exceeded.length > 0) {
 *     const reserved = exceeded.length === 0 && op.reservation !== undefined;
 *     // … store this approval …
 *     const approval = pendingApprovalRecord(op, { reserved, exceeded });
 *     return { status: 'pending', reserved, exceeded, approval };
 *   }
 *   return { status: 'authorized', reserved: op.reservation !== undefined };
 * }
 * ```
 */
export interface AuthorizeOp extends StoresToken {
  /** Partition key (derived from the user); stores co-locate a user's keys by it. */
  partition: string;
  userId: string;
  now: number;
  rateLimit?: RateLimitHit;
  reservation?: ReservationRequest;
  /** When true the call needs approval whatever the limits say. */
  requiresApproval: boolean;
  /**
   * The approval record, stored if approval is needed or a limit is exceeded, as
   * {@link pendingApprovalRecord} completes it: a `{ kind: 'limit', window }` reason for
   * each exceeded limit, and the reservation's id only when the store reserved.
   */
  approval: ApprovalRecord;
}

/**
 * The outcome of {@link AuthorizeOp}.
 *
 * @example
 * ```ts
 * import type { AuthorizeOutcome, StoreV1 } from '@handshake/core';
 * declare const store: StoreV1;
 * declare const op: Parameters<StoreV1['authorize']>[0];
 *
 * const outcome: AuthorizeOutcome = await store.authorize(op);
 * if (outcome.status === 'rate_limited') console.log(`retry in ${outcome.retryAfterMs} ms`);
 * ```
 */
export type AuthorizeOutcome =
  | { status: 'authorized'; reserved: boolean }
  | {
      status: 'pending';
      reserved: boolean;
      /** Limits the amount would exceed (empty when approval is needed for the tier only). */
      exceeded: LimitWindow[];
      /** The approval as the store keeps it ({@link pendingApprovalRecord}). */
      approval: ApprovalRecord;
    }
  | { status: 'rate_limited'; retryAfterMs: number };

/**
 * Consume a token once, on the condition that it matches the request. When the token
 * belongs to an approval (`record.approvalId`), the same atomic step spends the
 * approval: it records `executedAt` and `executedDigest`, and every other token of that
 * approval answers `used` from then on (with the tombstone of the token that ran, while
 * it is kept), so an approval runs its call at most once whatever the lifetimes.
 *
 * @example
 * ```ts
 * import type { ConsumeOp } from '@handshake/core';
 *
 * const op: ConsumeOp = {
 *   partition: '0123456789abcdef',
 *   digest: 'b'.repeat(64), // SHA-256 of the token: stores never see the token itself
 *   now: Date.now(),
 *   expect: { userId: 'alice', tool: 'create_refund', paramsHash: 'a'.repeat(64) },
 *   sessionId: 's:1',
 *   retainMs: 10 * 60_000,
 * };
 * ```
 */
export interface ConsumeOp {
  partition: string;
  digest: string;
  now: number;
  expect: {
    userId: string;
    tool: string;
    paramsHash: string;
    transactionId?: string;
    /**
     * The amount the call moves now, as `amountBinding` writes it (`''` for none). Given
     * for tools whose amount lives outside their parameters (an order at PayPal): a
     * record authorized for another amount is a `mismatch` on `amount`, and stays live.
     */
    amount?: string;
  };
  sessionId: string;
  retainMs: number;
  /**
   * Keep the token's reservation (`record.reservationId`), if it is still held,
   * held until at least this time, in the same step as the consume: an execute whose
   * process dies stays counted until it is resolved.
   */
  holdUntil?: number;
}

/**
 * What a consume found different from the record; the token stays live.
 *
 * @example
 * ```ts
 * import type { ConsumeMismatchField } from '@handshake/core';
 *
 * const field: ConsumeMismatchField = 'amount'; // the order's amount changed at the provider
 * ```
 */
export type ConsumeMismatchField = 'userId' | 'tool' | 'paramsHash' | 'transactionId' | 'amount';

/**
 * The outcome of {@link ConsumeOp}.
 *
 * @example
 * ```ts
 * import type { ConsumeOutcome } from '@handshake/core';
 *
 * function explain(outcome: ConsumeOutcome): string {
 *   switch (outcome.status) {
 *     case 'ok': return `run ${outcome.record.tool}`;
 *     case 'mismatch': return `refused: ${outcome.field} differs; the token is still valid`;
 *     case 'used': return `already used at ${outcome.tombstone.consumedAt}`;
 *     case 'expired': return 'expired';
 *     case 'unknown': return 'no such token';
 *   }
 * }
 * ```
 */
export type ConsumeOutcome =
  | { status: 'ok'; record: TransactionRecord }
  /** The token exists but the request does not match it; the token was NOT consumed. */
  | { status: 'mismatch'; field: ConsumeMismatchField }
  | { status: 'used'; tombstone: Tombstone }
  | { status: 'expired' }
  | { status: 'unknown' };

/**
 * Record the outcome of an execute and settle its reservation.
 *
 * @example
 * ```ts
 * import type { CompleteOp } from '@handshake/core';
 *
 * const op: CompleteOp = {
 *   partition: '0123456789abcdef',
 *   digest: 'b'.repeat(64),
 *   now: Date.now(),
 *   outcome: { status: 'completed', result: { refund_id: 'R-1' } },
 *   retainMs: 10 * 60_000,
 *   reservation: { reservationId: 'r_1', action: 'commit' },
 * };
 * ```
 */
export interface CompleteOp {
  partition: string;
  digest: string;
  now: number;
  outcome: ExecutionOutcome;
  retainMs: number;
  /** `commit` keeps the reserved amount counted; `release` gives it back. */
  reservation?: { reservationId: string; action: 'commit' | 'release' };
}

/**
 * Decide an approval by compare-and-set on its status.
 *
 * @example
 * ```ts
 * import type { DecideOp } from '@handshake/core';
 *
 * const op: DecideOp = {
 *   partition: '0123456789abcdef',
 *   approvalId: 'apr_0123456789abcdef_x',
 *   now: Date.now(),
 *   expectedStatus: 'pending', // compare-and-set: a decided approval is never decided again
 *   status: 'denied',
 *   decidedBy: 'ops',
 *   reason: 'not this customer',
 *   reservation: { action: 'release', reservationId: 'r_1' },
 * };
 * ```
 */
export interface DecideOp {
  partition: string;
  approvalId: string;
  now: number;
  /** Only a record in this status is changed (normally `pending`). */
  expectedStatus: ApprovalStatus;
  status: 'approved' | 'denied' | 'expired' | 'withdrawn';
  decidedBy?: string;
  reason?: string;
  /** For approvals: when the token minted now stops being valid. */
  tokenExpiresAt?: number;
  /**
   * Reservation settlement: on approval of an over-limit call, reserve the amount without
   * checking limits (the person said yes); on denial, expiry or withdrawal, release it.
   */
  reservation?:
    | { action: 'force'; request: ReservationRequest }
    | { action: 'extend'; reservationId: string; holdUntil: number }
    | { action: 'release'; reservationId: string };
}

/**
 * The outcome of {@link DecideOp}.
 *
 * @example
 * ```ts
 * import type { DecideOutcome } from '@handshake/core';
 * declare const outcome: DecideOutcome;
 *
 * if (outcome.status === 'conflict') console.log(`already ${outcome.approval.status}`);
 * ```
 */
export type DecideOutcome =
  | { status: 'ok'; approval: ApprovalRecord }
  | { status: 'conflict'; approval: ApprovalRecord }
  | { status: 'unknown' };

/**
 * Issue a token of an approved request to its session. Several waiters of one session
 * each get a token of their own and none revokes another: up to `maxLiveTokens` tokens
 * of one approval are live at once (beyond that the oldest is revoked), and consuming
 * any one of them spends the approval, after which every other one answers `used` and
 * nothing is issued again (`used`), whatever the token lifetime and replay window.
 *
 * @example
 * ```ts
 * import type { IssueOp, TransactionRecord } from '@handshake/core';
 * declare const record: TransactionRecord;
 *
 * const op: IssueOp = {
 *   partition: '0123456789abcdef',
 *   approvalId: 'apr_0123456789abcdef_x',
 *   now: Date.now(),
 *   token: { digest: 'c'.repeat(64), record }, // live beside the tokens issued before
 *   retainMs: 10 * 60_000,
 *   maxLiveTokens: 32, // beyond this many, the oldest live token is revoked
 * };
 * ```
 */
export interface IssueOp extends StoresToken {
  partition: string;
  approvalId: string;
  now: number;
  /** How many tokens of one approval may be live at once (at least 1). */
  maxLiveTokens: number;
}

/**
 * The outcome of {@link IssueOp}.
 *
 * @example
 * ```ts
 * import type { IssueOutcome } from '@handshake/core';
 * declare const outcome: IssueOutcome;
 *
 * if (outcome.status === 'issued') console.log(`token valid until ${outcome.approval.tokenExpiresAt}`);
 * ```
 */
export type IssueOutcome =
  | { status: 'issued'; approval: ApprovalRecord }
  /** A token of this approval was already consumed: the approval is spent. */
  | { status: 'used'; approval: ApprovalRecord }
  | { status: 'expired'; approval: ApprovalRecord }
  | { status: 'not_approved'; approval: ApprovalRecord }
  | { status: 'unknown' };

/**
 * The amount counted per window: committed reservations plus live ones.
 *
 * @example
 * ```ts
 * import type { ReservationUsage, StoreV1 } from '@handshake/core';
 * declare const store: StoreV1;
 *
 * const usage: ReservationUsage = await store.reservationUsage({
 *   partition: '0123456789abcdef',
 *   userId: 'alice',
 *   now: Date.now(),
 *   windows: [{ window: 'daily', key: 'daily:2026-11-21', limitMinor: 100_000n, endsAt: Date.parse('2026-11-22T00:00:00Z') }],
 * });
 * usage.used['daily:2026-11-21']; // committed plus live reservations, minor units
 * ```
 */
export interface ReservationUsage {
  /** Window key → minor units used (committed plus live reservations). */
  used: Record<string, bigint>;
}

/**
 * Read how much of each of a user's windows is used: the {@link ReservationUsage}.
 *
 * @example
 * ```ts
 * import type { ReservationUsageOp } from '@handshake/core';
 *
 * const op: ReservationUsageOp = {
 *   partition: '0123456789abcdef',
 *   userId: 'alice',
 *   now: Date.now(),
 *   windows: [{ window: 'daily', key: 'daily:2026-11-21', limitMinor: 100_000n, endsAt: Date.parse('2026-11-22T00:00:00Z') }],
 * };
 * ```
 */
export interface ReservationUsageOp {
  partition: string;
  userId: string;
  now: number;
  windows: readonly ReservationWindow[];
}

/**
 * A change of an approval, delivered to subscribers (on every instance, for shared stores).
 *
 * @example
 * ```ts
 * import type { ApprovalEvent, StoreV1 } from '@handshake/core';
 * declare const store: StoreV1;
 *
 * const stop = store.subscribeApprovals?.((event: ApprovalEvent) => {
 *   console.log(`${event.approvalId} is now ${event.status} (version ${event.version})`);
 * });
 * stop?.();
 * ```
 */
export interface ApprovalEvent {
  approvalId: string;
  status: ApprovalStatus;
  version: number;
}

/**
 * Everything that must be atomic. Each method is one atomic step; implementations
 * must never let two concurrent `consume` calls both see `ok` for one digest, nor let
 * concurrent `authorize` calls together reserve more than a window's limit.
 *
 * Failures to reach the backing service are thrown as
 * `HandshakeError('STORE_UNAVAILABLE', …)`; the engine answers them with 503.
 *
 * Run `storeConformance` from `@handshake/core/testing` against an implementation.
 *
 * @example
 * ```ts
 * import { MemoryStore, type StoreV1 } from '@handshake/core';
 *
 * const store: StoreV1 = new MemoryStore();
 * ```
 */
export interface StoreV1 {
  readonly specificationVersion: 'v1';
  authorize(op: AuthorizeOp): Awaitable<AuthorizeOutcome>;
  consume(op: ConsumeOp): Awaitable<ConsumeOutcome>;
  complete(op: CompleteOp): Awaitable<void>;
  getApproval(partition: string, approvalId: string): Awaitable<ApprovalRecord | undefined>;
  /** Approvals across users, newest first, for approvers. */
  listApprovals(filter: {
    status?: ApprovalStatus;
    limit: number;
  }): Awaitable<readonly ApprovalRecord[]>;
  decideApproval(op: DecideOp): Awaitable<DecideOutcome>;
  issueApprovalToken(op: IssueOp): Awaitable<IssueOutcome>;
  reservationUsage(op: ReservationUsageOp): Awaitable<ReservationUsage>;
  /**
   * Counts a committed (or still reserved) card purchase at the amount captured, once.
   * Optional: a store without it leaves the whole reserved amount counted.
   */
  captureReservation?(op: CaptureReservationOp): Awaitable<CaptureReservationOutcome>;
  /**
   * Resolves executions a dead process left `executing` (see {@link ResolveAbandonedOp}),
   * across partitions, and returns those this call resolved. Optional: without it, an
   * abandoned execution is resolved only when its identical retry comes.
   */
  resolveAbandoned?(op: ResolveAbandonedOp): Awaitable<readonly AbandonedExecution[]>;
  /**
   * Hears approval changes from every writer. Optional: without it, waiters poll.
   * Returns a function that unsubscribes. `onGap`, when given, is called whenever
   * changes may have been missed (a subscription's connection was lost and is back).
   */
  subscribeApprovals?(listener: (event: ApprovalEvent) => void, onGap?: () => void): () => void;
  /**
   * True when {@link subscribeApprovals} hears every decision, or calls its `onGap`
   * whenever it may have missed one. A requester's live stream then reads again only
   * on a gap, instead of polling as a safety net.
   */
  readonly approvalEventsComplete?: boolean;
  /** Releases connections and timers. */
  close?(): Awaitable<void>;
}
