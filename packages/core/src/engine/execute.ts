import {
  type ExecuteRequest,
  type ExecuteResponse,
  HandshakeError,
  hashParams,
  tierRank,
} from '@handshake/protocol';
import { amountBinding, moneyBinding } from '../store/amount-binding.js';
import type { ConsumeMismatchField } from '../store/store-v1.js';
import { tokenDigest } from '../tokens/token.js';
import { declaredAmount } from './amount.js';
import { type EngineContext, recordOutcome, storeCall } from './context.js';
import { resolveCall } from './identity.js';
import { partitionOf } from './keys.js';
import { observeStep, reservationChanged } from './observer.js';
import type { CallerContext } from './options.js';
import { auditUnavailable, type CallFields, codeOf, refuse } from './refusals.js';
import { answerUsedToken } from './replay.js';
import { runTool } from './run.js';
import { checkSignature } from './signature.js';
import { changesState } from './write-ahead.js';

/**
 * Phase two of the handshake: checks the signature an INTERNAL or higher tier asks,
 * writes a call that changes state ahead into the audit trail, consumes the token once
 * (it must match the user, tool, parameters and amount it was issued for) and runs the
 * tool. A token consumed before is answered by {@link answerUsedToken}.
 */
export async function execute(
  ctx: EngineContext,
  request: ExecuteRequest,
  credential: string | undefined,
  caller: CallerContext,
): Promise<ExecuteResponse> {
  const { registered, identity } = await resolveCall(ctx, request.tool, credential, caller);
  const { definition, tier } = registered;
  // The transaction named by the request goes into every event of this execute, so a
  // written-ahead `started` event is followed by its outcome or refusal under one id.
  const base: CallFields = {
    userId: identity.userId,
    tool: request.tool,
    tier,
    ...(request.transactionId ? { transactionId: request.transactionId } : {}),
  };
  if (!request.ephemeralToken) {
    throw new HandshakeError('TOKEN_INVALID', 'An ephemeral token is required');
  }
  let paramsHash: string;
  try {
    paramsHash = hashParams(request.parameters);
  } catch (error) {
    void refuse(ctx, base, codeOf(error), 'execute');
    throw error;
  }
  if (tierRank(tier) >= tierRank('INTERNAL')) {
    await observeStep(ctx, { kind: 'policy', check: 'signature' }, () =>
      checkSignature(ctx, request, identity, paramsHash, base),
    );
  }
  // An amount read from outside the parameters (an order at the provider) is read again
  // and bound into the consume: a changed amount leaves the token unused.
  const amountNow =
    definition.recheckAmount && definition.amount
      ? moneyBinding(
          await observeStep(ctx, { kind: 'policy', check: 'amount' }, () =>
            declaredAmount(ctx, definition, request.parameters, base),
          ),
        )
      : undefined;
  await writeAhead(ctx, registered.definition, base, paramsHash);
  const partition = partitionOf(identity.userId);
  const digest = tokenDigest(request.ephemeralToken);
  const now = ctx.clock.now();
  const consumed = await storeCall(
    () =>
      ctx.store.consume({
        partition,
        digest,
        now,
        expect: {
          userId: identity.userId,
          tool: request.tool,
          paramsHash,
          ...(request.transactionId !== undefined ? { transactionId: request.transactionId } : {}),
          ...(amountNow !== undefined ? { amount: amountNow } : {}),
        },
        sessionId: identity.sessionId,
        retainMs: ctx.timings.retainMs,
        // Counted as long as the tombstone lives: a dead process's call stays counted
        // until a retry resolves it.
        holdUntil: now + ctx.timings.retainMs,
      }),
    () => refuse(ctx, { ...base, paramsHash }, 'STORE_UNAVAILABLE', 'execute'),
  );
  switch (consumed.status) {
    case 'unknown':
      void refuse(ctx, { ...base, paramsHash }, 'TOKEN_INVALID', 'execute');
      throw new HandshakeError(
        'TOKEN_INVALID',
        'Execute refused: the ephemeral token is not valid',
      );
    case 'expired':
      void refuse(ctx, { ...base, paramsHash }, 'TOKEN_EXPIRED', 'execute');
      throw new HandshakeError('TOKEN_EXPIRED', 'Execute refused: the ephemeral token has expired');
    case 'mismatch':
      void refuse(
        ctx,
        { ...base, paramsHash },
        'TRANSACTION_MISMATCH',
        `execute: ${consumed.field}`,
      );
      throw new HandshakeError(
        'TRANSACTION_MISMATCH',
        `Execute refused: the ${describeField(consumed.field)} differs from what was authorized`,
      );
    case 'used':
      return answerUsedToken(
        ctx,
        {
          tombstone: consumed.tombstone,
          consumed: { partition, digest },
          identity,
          tool: request.tool,
          paramsHash,
          now,
        },
        base,
      );
    case 'ok':
      break;
  }
  const record = consumed.record;
  if (amountNow !== undefined && amountBinding(record) !== amountNow) {
    // The store did not compare the amount and consumed the token: the call still
    // does not run, and its reservation is given back.
    const message = 'Execute refused: the amount differs from what was authorized';
    const stored = await recordOutcome(
      ctx,
      { partition, digest },
      { status: 'failed', code: 'TRANSACTION_MISMATCH', message },
      record.reservationId ? { reservationId: record.reservationId, action: 'release' } : undefined,
    );
    if (stored && record.reservationId) {
      reservationChanged(ctx, {
        action: 'released',
        reason: 'mismatch',
        amountMinor: record.amountMinor,
        currency: record.currency ?? '',
        tool: record.tool,
      });
    }
    void refuse(
      ctx,
      { ...base, paramsHash, transactionId: record.transactionId },
      'TRANSACTION_MISMATCH',
      'execute: amount',
    );
    throw new HandshakeError('TRANSACTION_MISMATCH', message);
  }
  return runTool(
    ctx,
    registered,
    request,
    record,
    { partition, digest },
    base,
    paramsHash,
    caller.terms,
  );
}

/**
 * Writes the `execute`/`started` event before the token is touched, when the call
 * changes state (failing closed unless its tier is told to buffer) or its tier fails
 * closed: a crash after the provider ran then leaves the event behind, and a refusal
 * here leaves the token usable for a retry.
 */
async function writeAhead(
  ctx: EngineContext,
  definition: Parameters<typeof changesState>[1],
  base: CallFields,
  paramsHash: string,
): Promise<void> {
  const required = changesState(base.tier, definition)
    ? ctx.auditFailure[base.tier] !== 'buffer'
    : ctx.auditFailure[base.tier] === 'closed';
  if (!required) return;
  try {
    await ctx.audit.record(
      { type: 'execute', outcome: 'started', ...base, paramsHash },
      { required: true },
    );
  } catch {
    void refuse(ctx, { ...base, paramsHash }, 'AUDIT_UNAVAILABLE', 'execute');
    throw auditUnavailable(base.tier);
  }
}

function describeField(field: ConsumeMismatchField): string {
  return {
    userId: 'user',
    tool: 'tool',
    paramsHash: 'parameters hash',
    transactionId: 'transaction',
    amount: 'amount',
  }[field];
}
