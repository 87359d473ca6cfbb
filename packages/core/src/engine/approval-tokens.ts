import { HandshakeError } from '@handshake/protocol';
import type { SessionIdentity } from '../sessions/session-verifier.js';
import type { ApprovalRecord, TransactionRecord } from '../store/records.js';
import { generateToken, tokenDigest } from '../tokens/token.js';
import { type EngineContext, storeCall } from './context.js';
import { partitionOf } from './keys.js';
import { approvalAuditFields } from './views.js';

/**
 * Tokens of one approval live at once: each waiter of the session gets its own and none
 * revokes another, up to this many (then the oldest goes), which bounds what a session
 * reading in a loop can make the store hold.
 */
const LIVE_TOKENS_PER_APPROVAL = 32;

/**
 * Issues an ephemeral token for an approved call, to the session that asked: the token
 * binds the approved transaction exactly as authorize would have. Refused once the call
 * was executed (`TOKEN_ALREADY_USED`), when it lapsed (`TOKEN_EXPIRED`), or while the
 * approval is not granted (`APPROVAL_PENDING`).
 */
export async function issueApprovalToken(
  ctx: EngineContext,
  approval: ApprovalRecord,
  identity: SessionIdentity,
): Promise<string> {
  const token = generateToken('ephemeral', ctx.random);
  const now = ctx.clock.now();
  const partition = partitionOf(approval.userId);
  const record: TransactionRecord = {
    transactionId: approval.transactionId,
    userId: approval.userId,
    sessionId: identity.sessionId,
    tool: approval.tool,
    tier: approval.tier,
    paramsHash: approval.paramsHash,
    expiresAt: approval.tokenExpiresAt ?? now,
    createdAt: now,
    approvalId: approval.approvalId,
    ...(approval.reservationId ? { reservationId: approval.reservationId } : {}),
    ...(approval.amountMinor ? { amountMinor: approval.amountMinor } : {}),
    ...(approval.currency ? { currency: approval.currency } : {}),
    ...(approval.originalAmount ? { originalAmount: approval.originalAmount } : {}),
    ...(approval.exchangeRate ? { exchangeRate: approval.exchangeRate } : {}),
  };
  const outcome = await storeCall(() =>
    ctx.store.issueApprovalToken({
      partition,
      approvalId: approval.approvalId,
      now,
      token: { digest: tokenDigest(token), record },
      retainMs: ctx.timings.retainMs,
      maxLiveTokens: LIVE_TOKENS_PER_APPROVAL,
    }),
  );
  if (outcome.status === 'issued') {
    void ctx.audit.record({
      type: 'approval.token_issued',
      outcome: 'issued',
      ...approvalAuditFields(approval),
    });
    return token;
  }
  if (outcome.status === 'used') {
    throw new HandshakeError('TOKEN_ALREADY_USED', 'The approved call was already executed');
  }
  if (outcome.status === 'expired') {
    throw new HandshakeError('TOKEN_EXPIRED', 'The approved call was not executed in time');
  }
  throw new HandshakeError('APPROVAL_PENDING', 'The approval is not granted');
}
