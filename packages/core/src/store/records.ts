import type { Tier } from '../types/common.js';

/**
 * The transaction an ephemeral token authorizes, stored under the token's digest.
 * Amounts are minor units as decimal strings so records stay JSON.
 */
export interface TransactionRecord {
  transactionId: string;
  userId: string;
  /** Identifies the session that authorized; replays are answered to it only. */
  sessionId: string;
  tool: string;
  tier: Tier;
  paramsHash: string;
  /** Milliseconds since the epoch after which the token is refused. */
  expiresAt: number;
  createdAt: number;
  /** The spend reservation held for this call, if it moves money. */
  reservationId?: string;
  /** The amount counted against limits, in the limits' currency, minor units. */
  amountMinor?: string;
  currency?: string;
  /** The original amount and the exchange rate bound into the authorization. */
  originalAmount?: { value: string; currency: string };
  exchangeRate?: string;
  approvalId?: string;
}

/** What remains of a consumed token: enough to answer replays and in-progress retries. */
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

/** The stored outcome of an execute, replayed to an identical retry. */
export type ExecutionOutcome =
  | { status: 'completed'; result: unknown }
  | { status: 'failed'; code: 'PROVIDER_ERROR'; message: string };

/** Why an approval was asked for. */
export type ApprovalReason =
  | { kind: 'tier' }
  | { kind: 'limit'; window: 'daily' | 'weekly' | 'monthly' | 'transaction' };

/** Status of an approval. `approved`, `denied` and `expired` are final. */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

/** A request waiting for (or decided by) an approver. */
export interface ApprovalRecord {
  approvalId: string;
  transactionId: string;
  userId: string;
  sessionId: string;
  tool: string;
  tier: Tier;
  paramsHash: string;
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
  /** Digest of the token currently issued to the requesting session. */
  tokenDigest?: string;
  /** Increments each time the status changes; the `id:` of SSE events. */
  version: number;
}
