import { type ApprovalSummary, type ApprovalView, HandshakeError } from '@handshake/protocol';
import type { SessionIdentity } from '../sessions/session-verifier.js';
import type { ApprovalRecord } from '../store/records.js';
import { issueApprovalToken } from './approval-tokens.js';
import { type EngineContext, storeCall } from './context.js';
import { identify, identifyApprover } from './identity.js';
import { partitionOf, partitionOfApproval } from './keys.js';
import { reservationChanged } from './observer.js';
import { approvalAuditFields, toSummary, toView } from './views.js';

// Reading approvals: every read goes through `readApproval`, which finds the record by
// the partition its id names and expires it when its deadline has passed.

/**
 * The approval `approvalId`, expired first if its deadline passed; `undefined` when there
 * is none or, with `owner`, when it is not that user's.
 */
export async function readApproval(
  ctx: EngineContext,
  approvalId: string,
  owner?: string,
): Promise<ApprovalRecord | undefined> {
  const partition = partitionOfApproval(approvalId);
  if (partition === undefined) return undefined;
  if (owner !== undefined && partition !== partitionOf(owner)) return undefined;
  const record = await storeCall(() => ctx.store.getApproval(partition, approvalId));
  if (!record || (owner !== undefined && record.userId !== owner)) return undefined;
  return expireIfDue(ctx, record);
}

/** A pending approval past its deadline, expired (once, audited) and its spend released. */
export async function expireIfDue(
  ctx: EngineContext,
  record: ApprovalRecord,
): Promise<ApprovalRecord> {
  if (record.status !== 'pending' || ctx.clock.now() < record.expiresAt) return record;
  const partition = partitionOf(record.userId);
  const outcome = await storeCall(() =>
    ctx.store.decideApproval({
      partition,
      approvalId: record.approvalId,
      now: ctx.clock.now(),
      expectedStatus: 'pending',
      status: 'expired',
      reason: 'no decision before the deadline',
      ...(record.reservationId
        ? { reservation: { action: 'release' as const, reservationId: record.reservationId } }
        : {}),
    }),
  );
  if (outcome.status === 'unknown') return record;
  if (outcome.status === 'ok') {
    if (record.reservationId) {
      reservationChanged(ctx, {
        action: 'released',
        reason: 'expired',
        amountMinor: record.amountMinor,
        currency: record.currency ?? '',
        tool: record.tool,
      });
    }
    void ctx.audit.record({
      type: 'approval.decided',
      outcome: 'expired',
      ...approvalAuditFields(record),
    });
  }
  return outcome.approval;
}

const notFound = () => new HandshakeError('NOT_FOUND', 'No such approval');

/**
 * The session's identity and one of its user's approvals; another user's approval
 * answers `NOT_FOUND`, as one that does not exist.
 */
export async function requesterApproval(
  ctx: EngineContext,
  approvalId: string,
  credential: string | undefined,
): Promise<{ identity: SessionIdentity; record: ApprovalRecord }> {
  const identity = await identify(ctx, credential);
  const record = await readApproval(ctx, approvalId, identity.userId);
  if (!record) throw notFound();
  return { identity, record };
}

/** The requesting user's view of an approval, with a fresh token for the session that asked. */
export async function approvalStatus(
  ctx: EngineContext,
  approvalId: string,
  credential: string | undefined,
): Promise<ApprovalView> {
  const { identity, record } = await requesterApproval(ctx, approvalId, credential);
  const view = toView(record);
  if (record.status === 'approved' && record.sessionId === identity.sessionId) {
    try {
      view.ephemeralToken = await issueApprovalToken(ctx, record, identity);
    } catch (error) {
      if (!HandshakeError.isInstance(error) || error.code === 'STORE_UNAVAILABLE') throw error;
      // Spent or lapsed: the status stays `approved`, without a token.
    }
  }
  return view;
}

/** The approval's record for streaming; `undefined` when the session may not see it. */
export function approvalForSession(
  ctx: EngineContext,
  approvalId: string,
  identity: SessionIdentity,
): Promise<ApprovalRecord | undefined> {
  return readApproval(ctx, approvalId, identity.userId);
}

/** Approvals for approvers, newest first. */
export async function listApprovals(
  ctx: EngineContext,
  filter: { status?: ApprovalRecord['status']; limit?: number },
  credential: string | undefined,
): Promise<ApprovalSummary[]> {
  const approver = await identifyApprover(ctx, credential);
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 200);
  const records = await storeCall(() =>
    ctx.store.listApprovals({ ...(filter.status ? { status: filter.status } : {}), limit }),
  );
  const out: ApprovalSummary[] = [];
  for (const record of records) {
    const current = await expireIfDue(ctx, record);
    if (filter.status && current.status !== filter.status) continue;
    if (approver.ownOnly && current.userId !== approver.userId) continue;
    out.push(toSummary(current));
  }
  return out;
}

/** One approval as approvers see it. */
export async function approvalSummary(
  ctx: EngineContext,
  approvalId: string,
  credential: string | undefined,
): Promise<ApprovalSummary> {
  const approver = await identifyApprover(ctx, credential);
  const record = await readApproval(
    ctx,
    approvalId,
    approver.ownOnly ? approver.userId : undefined,
  );
  if (!record) throw notFound();
  return toSummary(record);
}
