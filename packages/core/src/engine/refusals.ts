import { HandshakeError, type Tier } from '@handshake/protocol';
import type { AuditFields } from '../audit/audit-log.js';
import { isReservedUserId } from '../sessions/session-verifier.js';
import type { EngineContext } from './context.js';
import type { CallerContext } from './options.js';

/** The audit fields every event of one call shares. */
export interface CallFields {
  userId: string;
  tool: string;
  tier: Tier;
  transactionId?: string;
}

/**
 * Audits a refused call. Refusals of callers nobody identified are counted per source,
 * not written one by one (when the engine sums them up at all).
 */
export function refuse(
  ctx: EngineContext,
  fields: Partial<AuditFields>,
  code: string,
  detail?: string,
): Promise<void> {
  ctx.refusalCounts.add(code, ctx.clock.now());
  const event: AuditFields = {
    type: 'refusal',
    outcome: code,
    ...fields,
    ...(detail ? { detail } : {}),
  };
  const unidentified =
    code === 'UNAUTHORIZED' ||
    code === 'RATE_LIMITED' ||
    event.userId === undefined ||
    isReservedUserId(event.userId);
  return ctx.refusals && unidentified ? ctx.refusals.record(event) : ctx.audit.record(event);
}

/** Refuses a step of a tier that fails closed while an audit sink is failing. */
export function refuseWhileAuditFails(ctx: EngineContext, fields: CallFields, step: string): void {
  if (ctx.auditFailure[fields.tier] !== 'closed' || !ctx.audit.failing) return;
  void refuse(ctx, fields, 'AUDIT_UNAVAILABLE', step);
  throw auditUnavailable(fields.tier);
}

/** The error of a call refused because its audit events cannot be written. */
export function auditUnavailable(tier: Tier): HandshakeError {
  return new HandshakeError(
    'AUDIT_UNAVAILABLE',
    `The audit trail cannot be written; ${tier} calls are refused until it can`,
    { retryAfterSeconds: 1 },
  );
}

/** The code a refusal is audited under: the error's own, or `INTERNAL_ERROR`. */
export function codeOf(error: unknown): string {
  return HandshakeError.isInstance(error) ? error.code : 'INTERNAL_ERROR';
}

/** The caller's address as an audit `source`, when the handler knows it. */
export function sourceOf(caller: CallerContext): { source?: string } {
  return caller.clientAddress ? { source: caller.clientAddress } : {};
}
