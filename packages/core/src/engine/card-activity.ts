import type { Money } from '@handshake/protocol';
import type { CaptureSpendOutcome } from '../store/capture-spend.js';

/**
 * A merchant's capture on a card issued for a transaction, as the card issuer reports
 * it (for Stripe Issuing, an `issuing_transaction.created` event).
 *
 * @example
 * ```ts
 * import type { CardCapture, HandshakeEngine } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const capture: CardCapture = {
 *   userId: 'alice',
 *   transactionId: 'tx_1',
 *   captured: { value: '24.00', currency: 'USD' },
 *   cardLimit: { value: '30.00', currency: 'USD' },
 *   merchantName: 'Example Books',
 *   attributes: { cardLast4: '4242' },
 * };
 * await engine.captureCardSpend(capture); // 24.00 stays counted, 6.00 is given back
 * ```
 */
export interface CardCapture {
  userId: string;
  /** The handshake transaction the card was issued for. */
  transactionId: string;
  /** What the merchant captured, in the card's currency. */
  captured: Money;
  /** The card's spending limit, in the same currency. */
  cardLimit: Money;
  merchantName?: string;
  /**
   * Short, non-secret facts for the audit event (e.g. `{ cardLast4: '4242' }`, never
   * the full number), cleaned by `auditAttributes`.
   */
  attributes?: Record<string, string>;
}

/**
 * What {@link HandshakeEngine.captureCardSpend} did: the store's answer, or
 * `unsupported` when the store cannot count captures (the whole reserved amount then
 * stays counted).
 *
 * @example
 * ```ts
 * import type { CardCaptureOutcome } from '@handshake/core';
 * declare const outcome: CardCaptureOutcome;
 *
 * if (outcome.status === 'already_captured') console.log('a repeated delivery: nothing changed');
 * ```
 */
export type CardCaptureOutcome = CaptureSpendOutcome | { status: 'unsupported' };

/**
 * An issuer's decision on a merchant's attempt to charge a card, for the audit trail.
 *
 * @example
 * ```ts
 * import type { CardAuthorizationDecision, HandshakeEngine } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const decision: CardAuthorizationDecision = {
 *   userId: 'alice',
 *   transactionId: 'tx_1',
 *   approved: false,
 *   reason: 'merchant_mismatch',
 *   merchantName: 'Other Shop',
 *   amount: { value: '30.00', currency: 'USD' },
 *   attributes: { cardLast4: '4242' },
 * };
 * await engine.recordCardAuthorization(decision);
 * ```
 */
export interface CardAuthorizationDecision {
  userId?: string;
  transactionId?: string;
  approved: boolean;
  /** Why it was declined (a short code, e.g. `merchant_mismatch`); `approved` otherwise. */
  reason: string;
  /** The merchant as the card network names it. */
  merchantName?: string;
  /** The merchant's category, where known. */
  merchantCategory?: string;
  amount?: Money;
  /** Short, non-secret facts for the audit event (e.g. `{ cardLast4: '4242' }`). */
  attributes?: Record<string, string>;
}
