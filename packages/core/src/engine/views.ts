import type { ApprovalSummary, ApprovalView } from '@handshake/protocol';
import type { ApprovalRecord } from '../store/records.js';

// Stored records → the shapes the wire carries. Instants are epoch milliseconds in the
// store and ISO 8601 strings on the wire.

/** An instant as the wire carries it. */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** An approval as the requesting user sees it (without a token: the caller adds one). */
export function toView(record: ApprovalRecord): ApprovalView {
  return {
    approvalId: record.approvalId,
    transactionId: record.transactionId,
    status: record.status,
    tool: record.tool,
    tier: record.tier,
    paramsHash: record.paramsHash,
    expiresAt: iso(record.expiresAt),
    ...(record.tokenExpiresAt !== undefined ? { tokenExpiresAt: iso(record.tokenExpiresAt) } : {}),
    ...(record.executedAt !== undefined
      ? { executed: true, executedAt: iso(record.executedAt) }
      : {}),
    ...(record.reason !== undefined ? { reason: record.reason } : {}),
    ...(record.amount ? { amount: record.amount } : {}),
    reasons: record.reasons,
  };
}

/** An approval as approvers see it: who asked, the (redacted) parameters, the decision. */
export function toSummary(record: ApprovalRecord): ApprovalSummary {
  const { ephemeralToken: _none, ...view } = toView(record);
  return {
    ...view,
    userId: record.userId,
    parameters: record.parameters,
    createdAt: iso(record.createdAt),
    ...(record.payee !== undefined ? { payee: record.payee } : {}),
    ...(record.decidedAt !== undefined ? { decidedAt: iso(record.decidedAt) } : {}),
    ...(record.decidedBy !== undefined ? { decidedBy: record.decidedBy } : {}),
    ...(record.originalAmount ? { originalAmount: record.originalAmount } : {}),
  };
}

/** The audit fields of an event about an approval. */
export function approvalAuditFields(record: ApprovalRecord) {
  return {
    transactionId: record.transactionId,
    approvalId: record.approvalId,
    userId: record.userId,
    tool: record.tool,
    tier: record.tier,
    paramsHash: record.paramsHash,
  };
}
