import { type ExecuteResponse, HandshakeError } from '@handshake/protocol';
import type { SessionIdentity } from '../sessions/session-verifier.js';
import type { Tombstone } from '../store/records.js';
import { type EngineContext, recordOutcome } from './context.js';
import { reservationIdOf } from './keys.js';
import { ABANDON_GRACE_MS, abandonedOutcome } from './recovery.js';
import { type CallFields, refuse } from './refusals.js';
import { type ConsumedToken, NOT_STORED } from './run.js';

/** An execute that found its token already consumed, as the tombstone tells it. */
export interface UsedToken {
  tombstone: Tombstone;
  consumed: ConsumedToken;
  identity: SessionIdentity;
  tool: string;
  paramsHash: string;
  now: number;
}

/**
 * Answers an execute whose token was consumed before. The identical request of the
 * same session hears the stored outcome (`replayed: true`) or that the call is still
 * running; any other request, or a spent approval whose result is no longer kept, is
 * refused with `TOKEN_ALREADY_USED`. The tool never runs twice.
 */
export async function answerUsedToken(
  ctx: EngineContext,
  used: UsedToken,
  base: CallFields,
): Promise<ExecuteResponse> {
  const { tombstone: t, identity, paramsHash } = used;
  const identical =
    t.sessionId === identity.sessionId &&
    t.userId === identity.userId &&
    t.tool === used.tool &&
    t.paramsHash === paramsHash;
  // A spent approval whose result is no longer kept: it ran once, never again.
  const spent = t.state === 'completed' && !t.outcome;
  if (!identical || spent) {
    void refuse(
      ctx,
      { ...base, paramsHash, transactionId: t.transactionId },
      'TOKEN_ALREADY_USED',
      'execute',
    );
    throw new HandshakeError(
      'TOKEN_ALREADY_USED',
      spent
        ? 'Execute refused: the approved call was already executed'
        : 'Execute refused: the ephemeral token was already used',
    );
  }
  if (
    t.state === 'executing' &&
    used.now - t.consumedAt > ctx.timings.executionTimeoutMs + ABANDON_GRACE_MS
  ) {
    // Older than any execute may run: the process running it died before recording
    // an outcome. Resolve it once, as a timeout would have: the outcome is unknown,
    // the amount stays counted, the audit says so, and retries hear it.
    return resolveAbandoned(ctx, t, used.consumed, base, paramsHash);
  }
  if (t.state === 'executing' || !t.outcome) {
    throw new HandshakeError(
      'EXECUTION_IN_PROGRESS',
      'This call is still running; retry the identical request to receive its result',
      { retryAfterSeconds: 1 },
    );
  }
  await ctx.audit.record({
    type: 'execute',
    outcome: 'replayed',
    transactionId: t.transactionId,
    ...base,
    paramsHash,
  });
  if (t.outcome.status === 'failed') {
    throw new HandshakeError(t.outcome.code, t.outcome.message);
  }
  return {
    status: 'completed',
    transactionId: t.transactionId,
    result: t.outcome.result,
    replayed: true,
  };
}

async function resolveAbandoned(
  ctx: EngineContext,
  t: Tombstone,
  consumed: ConsumedToken,
  base: CallFields,
  paramsHash: string,
): Promise<never> {
  const outcome = abandonedOutcome(t.tool);
  const stored = await recordOutcome(ctx, consumed, outcome, {
    reservationId: reservationIdOf(t.transactionId),
    action: 'commit',
  });
  await ctx.audit.record({
    type: 'execute',
    outcome: 'abandoned',
    ...base,
    transactionId: t.transactionId,
    paramsHash,
    detail: `interrupted; outcome unknown${stored ? '' : NOT_STORED}`,
  });
  throw new HandshakeError('PROVIDER_ERROR', outcome.message);
}
