import type { Awaitable } from '../types/common.js';
import type {
  ApprovalRecord,
  ApprovalStatus,
  ExecutionOutcome,
  Tombstone,
  TransactionRecord,
} from './records.js';

/** One calendar window of a spending limit, computed by the engine. */
export interface SpendWindow {
  /** `daily`, `weekly`, `monthly`. */
  window: 'daily' | 'weekly' | 'monthly';
  /** Unique key of this window instance, e.g. `daily:2026-11-21`. */
  key: string;
  /** The limit in minor units. */
  limitMinor: bigint;
  /** When the window ends (ms); its counters may be dropped after. */
  endsAt: number;
}

/** A spend reservation the store must make atomically with the authorization. */
export interface SpendRequest {
  reservationId: string;
  amountMinor: bigint;
  windows: readonly SpendWindow[];
  /** Per-transaction limit in minor units, if enabled. */
  perTransactionMinor?: bigint;
  /** The reservation lapses (is released) at this time unless committed. */
  holdUntil: number;
}

/** A fixed-window rate-limit hit, folded into the authorize operation. */
export interface RateLimitHit {
  /** Limit per window. */
  limit: number;
  windowMs: number;
}

/** Everything `authorize` stores, in one atomic operation. */
export interface AuthorizeOp {
  /** Partition key (derived from the user); stores co-locate a user's keys by it. */
  partition: string;
  userId: string;
  now: number;
  rateLimit?: RateLimitHit;
  spend?: SpendRequest;
  /** When true the call needs approval whatever the limits say. */
  requiresApproval: boolean;
  /** The token record, stored if no approval is needed. */
  token: { digest: string; record: TransactionRecord };
  /**
   * The approval record, stored if approval is needed or a limit is exceeded. The store
   * appends `{ kind: 'limit', window }` to its `reasons` for each exceeded limit.
   */
  approval: ApprovalRecord;
  /** How long a consumed token's tombstone (and the result for replay) is kept. */
  retainMs: number;
}

/** The outcome of {@link AuthorizeOp}. */
export type AuthorizeOutcome =
  | { status: 'authorized'; reserved: boolean }
  | {
      status: 'pending';
      reserved: boolean;
      /** Limits the amount would exceed (empty when approval is needed for the tier only). */
      exceeded: Array<'daily' | 'weekly' | 'monthly' | 'transaction'>;
    }
  | { status: 'rate_limited'; retryAfterMs: number };

/** Consume a token once, on the condition that it matches the request. */
export interface ConsumeOp {
  partition: string;
  digest: string;
  now: number;
  expect: { userId: string; tool: string; paramsHash: string; transactionId?: string };
  sessionId: string;
  retainMs: number;
}

/** The outcome of {@link ConsumeOp}. */
export type ConsumeOutcome =
  | { status: 'ok'; record: TransactionRecord }
  /** The token exists but the request does not match it; the token was NOT consumed. */
  | { status: 'mismatch'; field: 'userId' | 'tool' | 'paramsHash' | 'transactionId' }
  | { status: 'used'; tombstone: Tombstone }
  | { status: 'expired' }
  | { status: 'unknown' };

/** Record the outcome of an execute and settle its spend reservation. */
export interface CompleteOp {
  partition: string;
  digest: string;
  now: number;
  outcome: ExecutionOutcome;
  retainMs: number;
  /** `commit` keeps the reserved amount counted; `release` gives it back. */
  spend?: { reservationId: string; action: 'commit' | 'release' };
}

/** Decide an approval by compare-and-set on its status. */
export interface DecideOp {
  partition: string;
  approvalId: string;
  now: number;
  /** Only a record in this status is changed (normally `pending`). */
  expectedStatus: ApprovalStatus;
  status: 'approved' | 'denied' | 'expired';
  decidedBy?: string;
  reason?: string;
  /** For approvals: when the token minted now stops being valid. */
  tokenExpiresAt?: number;
  /**
   * Spend settlement: on approval of an over-limit call, reserve the amount without
   * checking limits (the person said yes); on denial or expiry, release it.
   */
  spend?:
    | { action: 'force'; request: SpendRequest }
    | { action: 'extend'; reservationId: string; holdUntil: number }
    | { action: 'release'; reservationId: string };
}

/** The outcome of {@link DecideOp}. */
export type DecideOutcome =
  | { status: 'ok'; approval: ApprovalRecord }
  | { status: 'conflict'; approval: ApprovalRecord }
  | { status: 'unknown' };

/**
 * Issue (or re-issue) the token of an approved request to its session. A new token
 * replaces the previous one, which stops working, so a lost response never strands
 * an approval and two live tokens never exist for one approval.
 */
export interface IssueOp {
  partition: string;
  approvalId: string;
  now: number;
  token: { digest: string; record: TransactionRecord };
  retainMs: number;
}

/** The outcome of {@link IssueOp}. */
export type IssueOutcome =
  | { status: 'issued'; approval: ApprovalRecord }
  /** The token issued earlier was already consumed: the approval is spent. */
  | { status: 'used'; approval: ApprovalRecord }
  | { status: 'expired'; approval: ApprovalRecord }
  | { status: 'not_approved'; approval: ApprovalRecord }
  | { status: 'unknown' };

/** Current spend counted per window, reservations included. */
export interface SpendUsage {
  /** Window key → minor units used (committed plus live reservations). */
  used: Record<string, bigint>;
}

/** A change of an approval, delivered to subscribers (on every instance, for shared stores). */
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
  spendUsage(op: {
    partition: string;
    userId: string;
    now: number;
    windows: readonly SpendWindow[];
  }): Awaitable<SpendUsage>;
  /**
   * Hears approval changes from every writer. Optional: without it, waiters poll.
   * Returns a function that unsubscribes.
   */
  subscribeApprovals?(listener: (event: ApprovalEvent) => void): () => void;
  /** Releases connections and timers. */
  close?(): Awaitable<void>;
}
