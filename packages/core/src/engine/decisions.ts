import {
  type ApprovalSummary,
  type ApprovalView,
  type DecisionChannel,
  type DecisionRequest,
  HandshakeError,
} from '@handshake/protocol';
import { limitsOf } from '../limits/spending-limits.js';
import { limitWindows } from '../limits/windows.js';
import type { ApprovalRecord } from '../store/records.js';
import type { StoreV1 } from '../store/store-v1.js';
import { readApproval, requesterApproval } from './approvals.js';
import { type EngineContext, storeCall } from './context.js';
import { type ApproverIdentity, identifyApprover } from './identity.js';
import { partitionOf, reservationIdOf } from './keys.js';
import { reservationChanged } from './observer.js';
import { refuse, refuseWhileAuditFails } from './refusals.js';
import { approvalAuditFields, toSummary, toView } from './views.js';

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
  if (record.status !== 'pending') throw alreadyFinal(record.status);
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
 * The requester withdraws its own pending approval (its caller cancelled or went away):
 * it becomes `withdrawn`, final, and gives back its spend as a denial does. Another
 * user's approval answers as one that does not exist; withdrawing a withdrawn approval
 * answers it again, and a decided or expired one stays as it is.
 */
export async function withdrawApproval(
  ctx: EngineContext,
  approvalId: string,
  credential: string | undefined,
): Promise<ApprovalView> {
  const { identity, record } = await requesterApproval(ctx, approvalId, credential);
  if (record.status === 'withdrawn') return toView(record);
  if (record.status !== 'pending') throw alreadyFinal(record.status);
  refuseWhileAuditFails(
    ctx,
    { userId: record.userId, tool: record.tool, tier: record.tier },
    'withdraw',
  );
  const withdrawn = await recordDecision(
    ctx,
    record,
    'withdraw',
    { name: identity.userId, userId: identity.userId },
    undefined,
  );
  return toView(withdrawn);
}

/** The status each way of ending a pending approval leaves it in. */
const FINAL_STATUS = { approve: 'approved', deny: 'denied', withdraw: 'withdrawn' } as const;

/** The refusal of a decision or withdrawal on an approval that is no longer pending. */
function alreadyFinal(status: ApprovalRecord['status']): HandshakeError {
  if (status === 'expired') {
    return new HandshakeError('APPROVAL_EXPIRED', 'The approval expired before a decision');
  }
  const why = status === 'withdrawn' ? ': its requester cancelled the call' : '';
  return new HandshakeError('APPROVAL_PENDING', `The approval was already ${status}${why}`, {
    status: 409,
  });
}

/**
 * Writes the end of a pending approval to the store and the audit trail. Approving
 * keeps the call's spend counted until its token lapses (counting it now when no
 * reservation was made); denying or withdrawing gives it back. Whoever decided: a person
 * through {@link decideApproval}, the configured approver at authorize, or the requester
 * through {@link withdrawApproval}.
 */
export async function recordDecision(
  ctx: EngineContext,
  record: ApprovalRecord,
  decision: 'approve' | 'deny' | 'withdraw',
  approver: ApproverIdentity,
  reason: string | undefined,
  channel?: DecisionChannel,
): Promise<ApprovalRecord> {
  const approvalId = record.approvalId;
  const now = ctx.clock.now();
  const tokenExpiresAt = now + ctx.timings.tokenTtlMs;
  const holdUntil = tokenExpiresAt + ctx.timings.executionTimeoutMs;
  let reservation: Parameters<StoreV1['decideApproval']>[0]['reservation'];
  if (decision !== 'approve') {
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
      status: FINAL_STATUS[decision],
      decidedBy: approver.name,
      ...(reason !== undefined ? { reason } : {}),
      ...(decision === 'approve' ? { tokenExpiresAt } : {}),
      ...(reservation ? { reservation } : {}),
    }),
  );
  if (outcome.status === 'unknown') throw new HandshakeError('NOT_FOUND', 'No such approval');
  if (outcome.status === 'conflict') {
    // Two withdrawals of one approval both end as the requester asked.
    if (decision === 'withdraw' && outcome.approval.status === 'withdrawn') return outcome.approval;
    throw alreadyFinal(outcome.approval.status);
  }
  const decided = outcome.approval;
  if (reservation?.action === 'force' || reservation?.action === 'release') {
    reservationChanged(ctx, {
      action: reservation.action === 'force' ? 'reserved' : 'released',
      reason:
        reservation.action === 'force'
          ? 'approval'
          : decision === 'withdraw'
            ? 'withdrawn'
            : 'denied',
      amountMinor: record.amountMinor,
      currency: record.currency ?? '',
      tool: record.tool,
    });
  }
  await ctx.audit.record({
    type: decision === 'withdraw' ? 'approval.withdrawn' : 'approval.decided',
    outcome: decided.status,
    ...approvalAuditFields(decided),
    decidedBy: approver.name,
    ...(channel ? { channel } : {}),
    ...(decided.amount ? { amount: decided.amount } : {}),
  });
  return decided;
}
