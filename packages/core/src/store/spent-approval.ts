import type { ApprovalRecord, Tombstone } from './records.js';

/**
 * The tombstone a store answers for a token of a spent approval once the tombstone of
 * the token that ran is no longer kept: `completed`, without an outcome, so the engine
 * refuses it with `TOKEN_ALREADY_USED` instead of running the call again. Stores use it
 * in `consume` (see `StoreV1`); while the tombstone of the token that ran is kept, they
 * answer that one, so an identical retry of the same session still gets the result.
 *
 * @example
 * ```ts
 * import { type ApprovalRecord, spentApprovalTombstone } from '@handshake/core';
 * declare const approval: ApprovalRecord;
 *
 * if (approval.executedAt !== undefined) {
 *   const tombstone = spentApprovalTombstone(approval);
 *   console.log(tombstone.state, tombstone.outcome === undefined); // 'completed' true
 * }
 * ```
 */
export function spentApprovalTombstone(approval: ApprovalRecord): Tombstone {
  return {
    transactionId: approval.transactionId,
    userId: approval.userId,
    sessionId: approval.sessionId,
    tool: approval.tool,
    paramsHash: approval.paramsHash,
    state: 'completed',
    consumedAt: approval.executedAt ?? approval.createdAt,
  };
}
