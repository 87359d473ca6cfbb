import type { Tier } from '@handshake/protocol';
import type { LimitWindow } from '../limits/spending-limits.js';

/** The call an authorization is bound to: who asked it, in which session, and what it is. */
interface BoundCall {
  transactionId: string;
  userId: string;
  /** Identifies the session that authorized; replays are answered to it only. */
  sessionId: string;
  tool: string;
  tier: Tier;
  paramsHash: string;
}

/**
 * The transaction an ephemeral token authorizes, stored under the token's digest.
 * Amounts are minor units as decimal strings so records stay JSON.
 *
 * @example
 * ```ts
 * import type { TransactionRecord } from '@handshake/core';
 *
 * const record: TransactionRecord = {
 *   transactionId: 'tx_1',
 *   userId: 'alice',
 *   sessionId: 's:1',
 *   tool: 'create_refund',
 *   tier: 'RESTRICTED',
 *   paramsHash: 'a'.repeat(64),
 *   createdAt: Date.parse('2026-03-02T10:00:00Z'),
 *   expiresAt: Date.parse('2026-03-02T10:00:30Z'),
 *   amountMinor: '1250', // minor units as a decimal string, so the record stays JSON
 *   currency: 'USD',
 * };
 * ```
 */
export interface TransactionRecord extends BoundCall {
  /** Milliseconds since the epoch after which the token is refused. */
  expiresAt: number;
  createdAt: number;
  /** The reservation held for this call, if it moves money. */
  reservationId?: string;
  /** The amount counted against limits, in the limits' currency, minor units. */
  amountMinor?: string;
  currency?: string;
  /** The original amount and the exchange rate bound into the authorization. */
  originalAmount?: { value: string; currency: string };
  exchangeRate?: string;
  approvalId?: string;
}

/**
 * What remains of a consumed token: enough to answer replays and in-progress retries.
 *
 * @example
 * ```ts
 * import type { ConsumeOutcome } from '@handshake/core';
 * declare const outcome: ConsumeOutcome;
 *
 * if (outcome.status === 'used') {
 *   const { tombstone } = outcome;
 *   console.log(tombstone.state, tombstone.consumedAt, tombstone.outcome?.status);
 * }
 * ```
 */
export interface Tombstone {
  transactionId: string;
  userId: string;
  sessionId: string;
  tool: string;
  paramsHash: string;
  state: 'executing' | 'completed';
  consumedAt: number;
  outcome?: ExecutionOutcome;
}

/**
 * The stored outcome of an execute, replayed to an identical retry.
 *
 * @example
 * ```ts
 * import type { ExecutionOutcome } from '@handshake/core';
 *
 * const completed: ExecutionOutcome = { status: 'completed', result: { refund_id: 'R-1' } };
 * const failed: ExecutionOutcome = { status: 'failed', code: 'PROVIDER_ERROR', message: 'The provider refused the call' };
 * ```
 */
export type ExecutionOutcome =
  | { status: 'completed'; result: unknown }
  | {
      status: 'failed';
      /** `TRANSACTION_MISMATCH` when the amount changed and the store consumed the token anyway. */
      code: 'PROVIDER_ERROR' | 'TRANSACTION_MISMATCH';
      message: string;
    };

/**
 * Why an approval was asked for.
 *
 * @example
 * ```ts
 * import type { ApprovalReason } from '@handshake/core';
 *
 * const reasons: ApprovalReason[] = [{ kind: 'tier' }, { kind: 'limit', window: 'daily' }];
 * ```
 */
export type ApprovalReason = { kind: 'tier' } | { kind: 'limit'; window: LimitWindow };

/**
 * Status of an approval. `approved`, `denied`, `expired` and `withdrawn` (the requester
 * withdrew it while pending) are final.
 *
 * @example
 * ```ts
 * import type { ApprovalStatus } from '@handshake/core';
 *
 * const final = (status: ApprovalStatus) => status !== 'pending';
 * ```
 */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'withdrawn';

/**
 * A request waiting for (or decided by) an approver.
 *
 * @example
 * ```ts
 * import type { ApprovalRecord } from '@handshake/core';
 *
 * function summary(approval: ApprovalRecord): string {
 *   const amount = approval.amount ? ` ${approval.amount.value} ${approval.amount.currency}` : '';
 *   return `${approval.userId} asks ${approval.tool}${amount} (v${approval.version}, ${approval.status})`;
 * }
 * ```
 */
export interface ApprovalRecord extends BoundCall {
  approvalId: string;
  /** The parameters, for the approver to read; sensitive fields are redacted before storage. */
  parameters: unknown;
  status: ApprovalStatus;
  reasons: ApprovalReason[];
  createdAt: number;
  /** Deadline for a decision. */
  expiresAt: number;
  amount?: { value: string; currency: string };
  amountMinor?: string;
  currency?: string;
  originalAmount?: { value: string; currency: string };
  exchangeRate?: string;
  payee?: string;
  /** Reservation held while pending (within limits) or made at approval (over limits). */
  reservationId?: string;
  decidedAt?: number;
  decidedBy?: string;
  reason?: string;
  /** When the token minted at approval stops being valid. */
  tokenExpiresAt?: number;
  /**
   * Digests of the tokens issued to the requesting session and still live, oldest
   * first; at most the issuer's bound (the oldest is revoked beyond it).
   */
  tokenDigests?: string[];
  /**
   * When a token of this approval was consumed: the approval is spent. Set in the same
   * atomic step as the consume; once set, no token is ever issued again.
   */
  executedAt?: number;
  /** Digest of the token whose consume spent the approval (its tombstone answers replays). */
  executedDigest?: string;
  /** Increments each time the status changes; the `id:` of SSE events. */
  version: number;
}
