import {
  type AuthorizeRequest,
  type AuthorizeResponse,
  formatMoney,
  HandshakeError,
  hashParams,
  redactSensitive,
  tierRank,
} from '@handshake/protocol';
import { limitsOf } from '../limits/spending-limits.js';
import { reservationOf } from '../limits/windows.js';
import { checkRules, validateStrict } from '../policy/validate.js';
import type { SessionIdentity } from '../sessions/session-verifier.js';
import type { ApprovalRecord, TransactionRecord } from '../store/records.js';
import { generateTokens, tokenDigest } from '../tokens/token.js';
import { resolveAmount } from './amount.js';
import { type EngineContext, storeCall } from './context.js';
import { ANONYMOUS, resolveCall } from './identity.js';
import { approvalIdOf, clientBucket, partitionOf, reservationIdOf } from './keys.js';
import { observeStep, reservationChanged } from './observer.js';
import type { CallerContext } from './options.js';
import { type CallFields, codeOf, refuse, refuseWhileAuditFails, sourceOf } from './refusals.js';
import type { RegisteredTool } from './registry.js';
import { reviewAtOnce } from './review.js';
import { iso } from './views.js';

/**
 * Phase one of the handshake: checks the call as its tier asks (parameters validated
 * from CONFIDENTIAL on), counts its amount against the caller's limits, and stores a
 * single-use token bound to the tool and the canonical hash of the parameters — or,
 * when someone must approve first, a pending approval.
 */
export async function authorize(
  ctx: EngineContext,
  request: AuthorizeRequest,
  credential: string | undefined,
  caller: CallerContext,
): Promise<AuthorizeResponse> {
  const { registered, identity } = await resolveCall(ctx, request.tool, credential, caller);
  const { definition, tier } = registered;
  const now = ctx.clock.now();
  const base: CallFields = { userId: identity.userId, tool: request.tool, tier };
  refuseWhileAuditFails(ctx, base, 'authorize');
  const paramsHash = await observeStep(ctx, { kind: 'policy', check: 'parameters' }, () =>
    checkParameters(ctx, registered, request, base),
  );
  const amount = definition.amount
    ? await observeStep(ctx, { kind: 'policy', check: 'amount' }, () =>
        resolveAmount(ctx, definition, request.parameters, base),
      )
    : undefined;
  const limits = await limitsOf(ctx.options.limits, identity.userId);
  const partition = partitionOf(identity.userId);
  const [transactionId, approvalToken, token] = generateTokens(
    ['transaction', 'approval', 'ephemeral'],
    ctx.random,
  ) as [string, string, string];
  const requiresApproval = tier === 'RESTRICTED';
  const approvalDeadline = now + ctx.timings.approvalTtlMs;
  const tokenExpiresAt = now + ctx.timings.tokenTtlMs;
  // Held until the token (or the decision) lapses, plus the time a tool may run.
  const holdUntil =
    (requiresApproval ? approvalDeadline : tokenExpiresAt) + ctx.timings.executionTimeoutMs;
  const reservation =
    amount && limits
      ? reservationOf(reservationIdOf(transactionId), amount.minor, limits, now, holdUntil)
      : undefined;
  const amountFields = amount
    ? {
        amountMinor: amount.minor.toString(),
        currency: amount.currency,
        // The original amount and the rate are kept only when a conversion happened.
        ...(amount.rate ? { originalAmount: amount.original, exchangeRate: amount.rate } : {}),
      }
    : {};
  // What the token and the approval both bind: this call of this session.
  const call = {
    transactionId,
    userId: identity.userId,
    sessionId: identity.sessionId,
    tool: request.tool,
    tier,
    paramsHash,
  };
  const record: TransactionRecord = {
    ...call,
    expiresAt: tokenExpiresAt,
    createdAt: now,
    ...(reservation ? { reservationId: reservation.reservationId } : {}),
    ...amountFields,
  };
  // The approval record is stored only when someone must decide: the tier asks for it
  // or, with an amount to count, a limit is exceeded. Otherwise no store keeps it, so the
  // redacted copy of the parameters (a walk of the whole body) and the payee are skipped.
  const mayNeedApproval = requiresApproval || reservation !== undefined;
  const payee = mayNeedApproval ? await definition.payee?.(request.parameters) : undefined;
  const money = amount
    ? { value: formatMoney(amount.minor, amount.currency), currency: amount.currency }
    : undefined;
  const approval: ApprovalRecord = {
    approvalId: approvalIdOf(partition, approvalToken),
    ...call,
    parameters: mayNeedApproval ? redactSensitive(request.parameters) : {},
    status: 'pending',
    reasons: requiresApproval ? [{ kind: 'tier' }] : [],
    createdAt: now,
    expiresAt: approvalDeadline,
    version: 1,
    ...(reservation ? { reservationId: reservation.reservationId } : {}),
    ...(money ? { amount: money } : {}),
    ...amountFields,
    ...(payee ? { payee } : {}),
  };
  const rateLimit = rateLimitFor(ctx, identity, caller);
  const outcome = await storeCall(
    () =>
      ctx.store.authorize({
        partition,
        userId: identity.userId,
        now,
        ...(rateLimit ? { rateLimit } : {}),
        ...(reservation ? { reservation } : {}),
        requiresApproval,
        token: { digest: tokenDigest(token), record },
        approval,
        retainMs: ctx.timings.retainMs,
      }),
    () => refuse(ctx, { ...base, paramsHash, transactionId }, 'STORE_UNAVAILABLE', 'authorize'),
  );
  const amountField = money ? { amount: money } : {};
  if (outcome.status !== 'rate_limited' && outcome.reserved && reservation) {
    reservationChanged(ctx, {
      action: 'reserved',
      reason: 'authorize',
      amountMinor: reservation.amountMinor,
      currency: amount!.currency,
      tool: request.tool,
    });
  }
  if (outcome.status === 'rate_limited') {
    void refuse(ctx, { ...base, paramsHash, ...sourceOf(caller) }, 'RATE_LIMITED', 'authorize');
    const seconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
    throw new HandshakeError('RATE_LIMITED', `Too many authorizations; retry in ${seconds} s`, {
      retryAfterSeconds: seconds,
    });
  }
  if (outcome.status === 'authorized') {
    await ctx.audit.record({
      type: 'authorize',
      outcome: 'authorized',
      transactionId,
      ...base,
      paramsHash,
      ...amountField,
    });
    return {
      status: 'authorized',
      transactionId,
      ephemeralToken: token,
      expiresAt: iso(tokenExpiresAt),
      tier,
      paramsHash,
    };
  }
  // The approval as the store keeps it: its reasons and reservation come from there.
  const stored = outcome.approval;
  const reasons = stored.reasons;
  await ctx.audit.record({
    type: 'approval.requested',
    outcome: 'pending',
    transactionId,
    approvalId: approval.approvalId,
    ...base,
    paramsHash,
    ...amountField,
    detail: reasons.map((r) => (r.kind === 'tier' ? 'tier' : `limit:${r.window}`)).join(','),
  });
  return reviewAtOnce(ctx, {
    approval: stored,
    identity,
    overLimit: outcome.exceeded.length > 0,
    pending: {
      status: 'pending',
      transactionId,
      approvalId: approval.approvalId,
      expiresAt: iso(approvalDeadline),
      tier,
      paramsHash,
      reasons,
    },
    now,
  });
}

/**
 * The canonical hash of the parameters, after the checks of a CONFIDENTIAL or higher
 * tier (the tool's schema, strictly, and its rules). A refusal is audited.
 */
async function checkParameters(
  ctx: EngineContext,
  { definition, tier }: RegisteredTool,
  request: AuthorizeRequest,
  base: CallFields,
): Promise<string> {
  try {
    const paramsHash = hashParams(request.parameters);
    if (tierRank(tier) >= tierRank('CONFIDENTIAL')) {
      if (definition.inputSchema) {
        await validateStrict(request.tool, definition.inputSchema, request.parameters);
      }
      if (definition.rules) checkRules(request.tool, definition.rules, request.parameters);
    }
    return paramsHash;
  } catch (error) {
    void refuse(ctx, base, codeOf(error), 'authorize');
    throw error;
  }
}

/** The rate limit of this caller: callers without a session count per client address. */
function rateLimitFor(ctx: EngineContext, identity: SessionIdentity, caller: CallerContext) {
  const configured =
    ctx.options.rateLimit === false
      ? undefined
      : (ctx.options.rateLimit ?? { limit: 120, windowMs: 60_000 });
  return configured && identity === ANONYMOUS && caller.clientAddress
    ? { ...configured, bucket: clientBucket(caller.clientAddress) }
    : configured;
}
