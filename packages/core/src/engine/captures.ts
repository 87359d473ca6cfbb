import { HandshakeError, parseMoney } from '@handshake/protocol';
import { auditAttributes } from '../audit/audit-attributes.js';
import { limitsOf } from '../limits/spending-limits.js';
import { type EngineContext, storeCall } from './context.js';
import { partitionOf, reservationIdOf } from './keys.js';
import { reservationChanged } from './observer.js';
import type {
  ChargeDecision,
  ReservationCapture,
  ReservationCaptureOutcome,
} from './reservation-capture.js';

// A payment that runs after its call (a card charged at a merchant, an authorization
// captured later) settles the transaction's reservation here. The audit events keep
// their names (`card.capture`, `card.authorization`): the trail, its dashboards and
// the audit metrics read the same as before these operations were named generically.

/**
 * Counts a transaction at what the payee captured: the captured share of the
 * transaction's reservation stays counted, the rest is given back. Once per
 * transaction; audited with the payee and the caller's attributes, never a card number.
 */
export async function captureReservation(
  ctx: EngineContext,
  capture: ReservationCapture,
): Promise<ReservationCaptureOutcome> {
  const { currency } = capture.authorized;
  if (capture.captured.currency !== currency) {
    throw new HandshakeError(
      'VALIDATION_ERROR',
      'A capture must be in the currency of the authorized amount',
    );
  }
  const share = {
    part: parseMoney(capture.captured.value, currency, { allowZero: true }),
    whole: parseMoney(capture.authorized.value, currency),
  };
  const store = ctx.store;
  const outcome: ReservationCaptureOutcome = store.captureReservation
    ? await storeCall(() =>
        store.captureReservation!({
          partition: partitionOf(capture.userId),
          reservationId: reservationIdOf(capture.transactionId),
          now: ctx.clock.now(),
          share,
        }),
      )
    : { status: 'unsupported' };
  if (
    outcome.status === 'captured' &&
    outcome.releasedMinor > 0n &&
    ctx.options.observer?.reservation
  ) {
    // The store counts in the limits' currency, which the capture does not name.
    const limits = await limitsOf(ctx.options.limits, capture.userId).catch(() => undefined);
    if (limits) {
      reservationChanged(ctx, {
        action: 'released',
        reason: 'capture',
        amountMinor: outcome.releasedMinor,
        currency: limits.currency,
      });
    }
  }
  if (outcome.status !== 'already_captured') {
    const attributes = auditAttributes(capture.attributes);
    await ctx.audit.record({
      type: 'card.capture',
      outcome: outcome.status,
      userId: capture.userId,
      transactionId: capture.transactionId,
      amount: capture.captured,
      ...(capture.payee !== undefined ? { merchant: capture.payee } : {}),
      ...(attributes ? { attributes } : {}),
      ...(outcome.status === 'captured'
        ? { detail: `released ${outcome.releasedMinor} minor units of the counted spend` }
        : {}),
    });
  }
  return outcome;
}

/** Audits a payment provider's decision on a payee's charge; never a card number. */
export function recordChargeDecision(ctx: EngineContext, decision: ChargeDecision): Promise<void> {
  const payee = [decision.payee, decision.payeeCategory]
    .filter((part) => part !== undefined)
    .join(' / ');
  const attributes = auditAttributes(decision.attributes);
  return ctx.audit.record({
    type: 'card.authorization',
    outcome: decision.approved ? 'approved' : 'declined',
    detail: decision.reason,
    ...(decision.userId !== undefined ? { userId: decision.userId } : {}),
    ...(decision.transactionId !== undefined ? { transactionId: decision.transactionId } : {}),
    ...(payee !== '' ? { merchant: payee } : {}),
    ...(decision.amount !== undefined ? { amount: decision.amount } : {}),
    ...(attributes ? { attributes } : {}),
  });
}
