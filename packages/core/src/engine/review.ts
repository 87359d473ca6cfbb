import { type AuthorizeResponse, HandshakeError, parseMoney } from '@handshake/protocol';
import type { ApprovalRequest, ApprovalVerdict } from '../approvals/approver.js';
import type { SessionIdentity } from '../sessions/session-verifier.js';
import type { ApprovalRecord } from '../store/records.js';
import { issueApprovalToken } from './approval-tokens.js';
import type { EngineContext } from './context.js';
import { recordDecision } from './decisions.js';
import { iso } from './views.js';

/** A call authorize has just stored as pending, as the configured approver reviews it. */
export interface PendingCall {
  /** The stored approval, with its reasons. */
  approval: ApprovalRecord;
  identity: SessionIdentity;
  /** True when a spending limit is exceeded: then only a person may approve. */
  overLimit: boolean;
  /** What authorize answers while the call waits for a person. */
  pending: AuthorizeResponse;
  now: number;
}

/**
 * Lets a confirmation agent or rules decide a pending call at once; a person decides
 * only if they escalate. Approved, the call is answered with its token; denied, it is
 * refused with `APPROVAL_DENIED`. A human approver leaves every call pending.
 */
export async function reviewAtOnce(
  ctx: EngineContext,
  call: PendingCall,
): Promise<AuthorizeResponse> {
  const approver = ctx.approver;
  if (approver.kind === 'human' || !approver.review) return call.pending;
  const { approval } = call;
  const verdict = await review(
    ctx,
    {
      approvalId: approval.approvalId,
      transactionId: approval.transactionId,
      userId: approval.userId,
      tool: approval.tool,
      tier: approval.tier,
      parameters: approval.parameters,
      paramsHash: approval.paramsHash,
      ...(approval.amount ? { amount: approval.amount } : {}),
      ...(approval.payee ? { payee: approval.payee } : {}),
      reasons: approval.reasons,
    },
    call.overLimit,
  );
  if (verdict.decision === 'escalate') return call.pending;
  const decided = await recordDecision(
    ctx,
    approval,
    verdict.decision,
    { name: approver.name },
    verdict.reason,
  );
  if (decided.status !== 'approved') {
    throw new HandshakeError('APPROVAL_DENIED', `${approver.name} denied ${approval.tool}`);
  }
  const issued = await issueApprovalToken(ctx, decided, call.identity);
  return {
    status: 'authorized',
    transactionId: approval.transactionId,
    ephemeralToken: issued,
    expiresAt: iso(decided.tokenExpiresAt ?? call.now),
    tier: approval.tier,
    paramsHash: approval.paramsHash,
    approvalId: approval.approvalId,
  };
}

/**
 * The approver's verdict, held to what it may decide alone: a failing approver, a call
 * over a spending limit, or an amount above `maxAutoApprove` goes to a person.
 */
async function review(
  ctx: EngineContext,
  request: ApprovalRequest,
  overLimit: boolean,
): Promise<ApprovalVerdict> {
  let verdict: ApprovalVerdict;
  try {
    verdict = (await ctx.approver.review?.(request)) ?? { decision: 'escalate' };
  } catch {
    // An approver that fails leaves the decision to a person.
    return { decision: 'escalate', reason: 'the approver failed' };
  }
  if (verdict.decision !== 'approve') return verdict;
  if (overLimit) return { decision: 'escalate', reason: 'over a spending limit' };
  const max = ctx.approver.maxAutoApprove;
  if (max && request.amount) {
    if (
      request.amount.currency !== max.currency ||
      parseMoney(request.amount.value, request.amount.currency, { allowZero: true }) >
        parseMoney(max.value, max.currency, { allowZero: true })
    ) {
      return { decision: 'escalate', reason: 'above what the approver may approve alone' };
    }
  }
  return verdict;
}
