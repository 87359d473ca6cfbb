import {
  type ApprovalSummary,
  type DecisionChannel,
  type DecisionRequest,
  HandshakeError,
} from '@handshake/protocol';
import { limitsOf } from '../limits/spending-limits.js';
import { limitWindows } from '../limits/windows.js';
import type { ApprovalRecord } from '../store/records.js';
import type { StoreV1 } from '../store/store-v1.js';
import { readApproval } from './approvals.js';
import { type EngineContext, storeCall } from './context.js';
import { type ApproverIdentity, identifyApprover } from './identity.js';
import { partitionOf, reservationIdOf } from './keys.js';
import { reservationChanged } from './observer.js';
import { refuse, refuseWhileAuditFails } from './refusals.js';
import { approvalAuditFields, toSummary } from './views.js';

/**
 * An approver's decision on a pending approval, after the checks that make it final and
 * honest: a person's own credential decides only their requests and names the exact
 * parameters, nobody decides their own request, and a decided or expired approval
 * stays as it is.
 */
export async function decideApproval(
  ctx: EngineContext,
  approvalId: string,
  decision: DecisionRequest,
  credential: string | undefined,
): Promise<ApprovalSummary> {
  const approver = await identifyApprover(ctx, credential);
  const record = await readApproval(ctx, approvalId);
  if (!record) throw new HandshakeError('NOT_FOUND', 'No such approval');
  const fields = { userId: record.userId, tool: record.tool, tier: record.tier };
  refuseWhileAuditFails(ctx, fields, 'decide');
  const audited = { ...fields, paramsHash: record.paramsHash };
  if (approver.ownOnly && approver.userId !== record.userId) {
    void refuse(ctx, audited, 'FORBIDDEN', 'another user');
    throw new HandshakeError('FORBIDDEN', 'This credential decides only its own user’s requests');
  }
  if (approver.ownOnly && decision.paramsHash === undefined) {
    throw new HandshakeError('VALIDATION_ERROR', 'paramsHash is required with this credential', {
      path: 'paramsHash',
    });
  }
  if (decision.paramsHash !== undefined && decision.paramsHash !== record.paramsHash) {
    void refuse(ctx, audited, 'TRANSACTION_MISMATCH', 'other parameters');
    throw new HandshakeError(
      'TRANSACTION_MISMATCH',
      'The decision names other parameters than the request',
    );
  }
  if (!approver.ownOnly && approver.userId !== undefined && approver.userId === record.userId) {
    void refuse(ctx, audited, 'FORBIDDEN', 'self-approval');
    throw new HandshakeError('FORBIDDEN', 'Nobody may decide their own request');
  }
  if (record.status === 'expired') {
    throw new HandshakeError('APPROVAL_EXPIRED', 'The approval expired before a decision');
  }
  if (record.status !== 'pending') {
    throw new HandshakeError('APPROVAL_PENDING', `The approval was already ${record.status}`, {
      status: 409,
    });
  }
  const decided = await recordDecision(
    ctx,
    record,
    decision.decision,
    approver,
    decision.reason,
    decision.channel,
  );
  return toSummary(decided);
}

/**
 * Writes a decision on a pending approval to the store and the audit trail. Approving
 * keeps the call's spend counted until its token lapses (counting it now when no
 * reservation was made); denying gives it back. Whoever decided: a person through
 * {@link decideApproval}, or the configured approver at authorize.
 */
export async function recordDecision(
  ctx: EngineContext,
  record: ApprovalRecord,
  decision: 'approve' | 'deny',
  approver: ApproverIdentity,
  reason: string | undefined,
  channel?: DecisionChannel,
): Promise<ApprovalRecord> {
  const approvalId = record.approvalId;
  const now = ctx.clock.now();
  const tokenExpiresAt = now + ctx.timings.tokenTtlMs;
  const holdUntil = tokenExpiresAt + ctx.timings.executionTimeoutMs;
  let reservation: Parameters<StoreV1['decideApproval']>[0]['reservation'];
  if (decision === 'deny') {
    if (record.reservationId)
      reservation = { action: 'release', reservationId: record.reservationId };
  } else if (record.reservationId) {
    reservation = { action: 'extend', reservationId: record.reservationId, holdUntil };
  } else if (record.amountMinor !== undefined) {
    const limits = await limitsOf(ctx.options.limits, record.userId);
    if (limits) {
      reservation = {
        action: 'force',
        request: {
          reservationId: reservationIdOf(record.transactionId),
          amountMinor: BigInt(record.amountMinor),
          windows: limitWindows(limits, record.createdAt),
          holdUntil,
        },
      };
    }
  }
  const outcome = await storeCall(() =>
    ctx.store.decideApproval({
      partition: partitionOf(record.userId),
      approvalId,
      now,
      expectedStatus: 'pending',
      status: decision === 'approve' ? 'approved' : 'denied',
      decidedBy: approver.name,
      ...(reason !== undefined ? { reason } : {}),
      ...(decision === 'approve' ? { tokenExpiresAt } : {}),
      ...(reservation ? { reservation } : {}),
    }),
  );
  if (outcome.status === 'unknown') throw new HandshakeError('NOT_FOUND', 'No such approval');
  if (outcome.status === 'conflict') {
    throw new HandshakeError(
      'APPROVAL_PENDING',
      `The approval was already ${outcome.approval.status}`,
    );
  }
  const decided = outcome.approval;
  if (reservation?.action === 'force' || reservation?.action === 'release') {
    reservationChanged(ctx, {
      action: reservation.action === 'force' ? 'reserved' : 'released',
      reason: reservation.action === 'force' ? 'approval' : 'denied',
      amountMinor: record.amountMinor,
      currency: record.currency ?? '',
      tool: record.tool,
    });
  }
  await ctx.audit.record({
    type: 'approval.decided',
    outcome: decided.status,
    ...approvalAuditFields(decided),
    decidedBy: approver.name,
    ...(channel ? { channel } : {}),
    ...(decided.amount ? { amount: decided.amount } : {}),
  });
  return decided;
}
