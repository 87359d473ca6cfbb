import type { Money } from '@handshake/protocol';
import type { CaptureReservationOutcome } from '../store/capture-reservation.js';

/**
 * A payment provider's capture of a transaction's authorized amount, in whole or in
 * part, as the provider reports it after the call ran: a merchant's capture on a card
 * issued for the transaction (for Stripe Issuing, an `issuing_transaction.created`
 * event), or any authorize-then-capture payment.
 *
 * @example
 * ```ts
 * import type { HandshakeEngine, ReservationCapture } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const capture: ReservationCapture = {
 *   userId: 'alice',
 *   transactionId: 'tx_1',
 *   captured: { value: '24.00', currency: 'USD' },
 *   authorized: { value: '30.00', currency: 'USD' },
 *   payee: 'Example Books',
 *   attributes: { cardLast4: '4242' },
 * };
 * await engine.captureReservation(capture); // 24.00 stays counted, 6.00 is given back
 * ```
 */
export interface ReservationCapture {
  userId: string;
  /** The handshake transaction whose reservation is captured. */
  transactionId: string;
  /** What the payee captured, in the currency of `authorized`. */
  captured: Money;
  /**
   * The amount the provider authorized for the transaction (a card's spending limit),
   * of which `captured` is a share.
   */
  authorized: Money;
  /** The payee as the provider names it (a card network's merchant name). */
  payee?: string;
  /**
   * Short, non-secret facts for the audit event (e.g. `{ cardLast4: '4242' }`, never
   * a full card number), cleaned by `auditAttributes`.
   */
  attributes?: Record<string, string>;
}

/**
 * What {@link HandshakeEngine.captureReservation} did: the store's answer, or
 * `unsupported` when the store cannot count captures (the whole reserved amount then
 * stays counted).
 *
 * @example
 * ```ts
 * import type { ReservationCaptureOutcome } from '@handshake/core';
 * declare const outcome: ReservationCaptureOutcome;
 *
 * if (outcome.status === 'already_captured') console.log('a repeated delivery: nothing changed');
 * ```
 */
export type ReservationCaptureOutcome = CaptureReservationOutcome | { status: 'unsupported' };

/**
 * A payment provider's decision on a payee's attempt to charge what a transaction
 * authorized (a card issuer approving or declining a merchant's charge), for the audit
 * trail.
 *
 * @example
 * ```ts
 * import type { ChargeDecision, HandshakeEngine } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const decision: ChargeDecision = {
 *   userId: 'alice',
 *   transactionId: 'tx_1',
 *   approved: false,
 *   reason: 'merchant_mismatch',
 *   payee: 'Other Shop',
 *   amount: { value: '30.00', currency: 'USD' },
 *   attributes: { cardLast4: '4242' },
 * };
 * await engine.recordChargeDecision(decision);
 * ```
 */
export interface ChargeDecision {
  userId?: string;
  transactionId?: string;
  approved: boolean;
  /** Why it was declined (a short code, e.g. `merchant_mismatch`); `approved` otherwise. */
  reason: string;
  /** The payee as the provider names it (a card network's merchant name). */
  payee?: string;
  /** The payee's category, where known (a merchant category). */
  payeeCategory?: string;
  amount?: Money;
  /** Short, non-secret facts for the audit event (e.g. `{ cardLast4: '4242' }`). */
  attributes?: Record<string, string>;
}
