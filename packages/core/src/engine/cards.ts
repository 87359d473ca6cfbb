import { HandshakeError, parseMoney } from '@handshake/protocol';
import { auditAttributes } from '../audit/audit-attributes.js';
import type {
  CardAuthorizationDecision,
  CardCapture,
  CardCaptureOutcome,
} from './card-activity.js';
import { type EngineContext, storeCall } from './context.js';
import { partitionOf, reservationIdOf } from './keys.js';

/**
 * Counts a card purchase at what the merchant captured: the captured share of the
 * transaction's reservation stays counted, the rest is given back. Once per
 * transaction; audited with the merchant and last four digits, never the card number.
 */
export async function captureCardSpend(
  ctx: EngineContext,
  capture: CardCapture,
): Promise<CardCaptureOutcome> {
  const { currency } = capture.cardLimit;
  if (capture.captured.currency !== currency) {
    throw new HandshakeError('VALIDATION_ERROR', `A capture must be in the card's currency`);
  }
  const share = {
    part: parseMoney(capture.captured.value, currency, { allowZero: true }),
    whole: parseMoney(capture.cardLimit.value, currency),
  };
  const store = ctx.store;
  const outcome: CardCaptureOutcome = store.captureSpend
    ? await storeCall(() =>
        store.captureSpend!({
          partition: partitionOf(capture.userId),
          reservationId: reservationIdOf(capture.transactionId),
          now: ctx.clock.now(),
          share,
        }),
      )
    : { status: 'unsupported' };
  if (outcome.status !== 'already_captured') {
    const attributes = auditAttributes(capture.attributes);
    await ctx.audit.record({
      type: 'card.capture',
      outcome: outcome.status,
      userId: capture.userId,
      transactionId: capture.transactionId,
      amount: capture.captured,
      ...(capture.merchantName !== undefined ? { merchant: capture.merchantName } : {}),
      ...(attributes ? { attributes } : {}),
      ...(outcome.status === 'captured'
        ? { detail: `released ${outcome.releasedMinor} minor units of the counted spend` }
        : {}),
    });
  }
  return outcome;
}

/** Audits a card issuer's decision on a merchant's charge; never the card number. */
export function recordCardAuthorization(
  ctx: EngineContext,
  decision: CardAuthorizationDecision,
): Promise<void> {
  const merchant = [decision.merchantName, decision.merchantCategory]
    .filter((part) => part !== undefined)
    .join(' / ');
  const attributes = auditAttributes(decision.attributes);
  return ctx.audit.record({
    type: 'card.authorization',
    outcome: decision.approved ? 'approved' : 'declined',
    detail: decision.reason,
    ...(decision.userId !== undefined ? { userId: decision.userId } : {}),
    ...(decision.transactionId !== undefined ? { transactionId: decision.transactionId } : {}),
    ...(merchant !== '' ? { merchant } : {}),
    ...(decision.amount !== undefined ? { amount: decision.amount } : {}),
    ...(attributes ? { attributes } : {}),
  });
}
