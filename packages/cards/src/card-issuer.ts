import type { Awaitable } from '@handshake/core';
import type { Money } from '@handshake/protocol';
import type { CustomerDetails } from '@handshake/protocol/cards';

/**
 * What the issuer is asked for: one single-use card for one approved purchase.
 *
 * @example
 * ```ts
 * import type { CardIssueRequest } from '@handshake/cards';
 * import { simulatedCardIssuer } from '@handshake/cards/testing';
 *
 * const request: CardIssueRequest = {
 *   userId: 'alice',
 *   transactionId: 'tx_1',
 *   merchantName: 'Example Books',
 *   spendingLimit: { value: '30.00', currency: 'USD' },
 * };
 * const card = await simulatedCardIssuer().issueCard(request);
 * ```
 */
export interface CardIssueRequest {
  /** The user the card is for. */
  userId: string;
  /** The handshake transaction the card pays for; one card per transaction. */
  transactionId: string;
  /** The merchant the purchase was validated for. */
  merchantName: string;
  /** The card's spending limit: the approved amount, in the card's currency. */
  spendingLimit: Money;
  /** The cardholder's details, for issuers that register cardholders. */
  customer?: CustomerDetails;
  /**
   * Merchant categories the card may be used at, where the approval names them (the
   * issuer's own category names, e.g. Stripe's `book_stores`); none means any.
   */
  merchantCategories?: readonly string[];
  /** Aborted when the engine gives up on the call. */
  signal?: AbortSignal;
}

/**
 * A card the issuer created. `cardNumber` and `cvc` are secrets: they are handed to
 * the agent once, in the card response, and never written to logs, errors or the
 * audit trail (which keeps `last4` at most).
 *
 * @example
 * ```ts
 * import type { IssuedCard } from '@handshake/cards';
 *
 * function describe(card: IssuedCard): string {
 *   // never log cardNumber or cvc
 *   return `${card.brand} ending ${card.last4}, ${card.spendingLimit.value} ${card.spendingLimit.currency}`;
 * }
 * ```
 */
export interface IssuedCard {
  cardId: string;
  /** The primary account number, digits only. */
  cardNumber: string;
  cvc: string;
  expMonth: number;
  expYear: number;
  /** When the card stops working (ms since the epoch), well before its printed expiry. */
  expiresAt: number;
  spendingLimit: Money;
  /** The last four digits of `cardNumber`. */
  last4: string;
  /** Card network, e.g. `visa`. */
  brand: string;
}

/**
 * A merchant's attempt to charge a card, as the mock checkout makes it.
 *
 * @example
 * ```ts
 * import type { CardChargeRequest } from '@handshake/cards';
 * import { simulatedCardIssuer } from '@handshake/cards/testing';
 *
 * const issuer = simulatedCardIssuer();
 * const card = await issuer.issueCard({
 *   userId: 'alice',
 *   transactionId: 'tx_1',
 *   merchantName: 'Example Books',
 *   spendingLimit: { value: '30.00', currency: 'USD' },
 * });
 * const charge: CardChargeRequest = {
 *   cardNumber: card.cardNumber,
 *   cvc: card.cvc,
 *   expMonth: card.expMonth,
 *   expYear: card.expYear,
 *   amount: { value: '24.99' },
 * };
 * await issuer.simulateCharge(charge);
 * ```
 */
export interface CardChargeRequest {
  cardNumber: string;
  cvc: string;
  expMonth: number;
  expYear: number;
  /**
   * Default: the card's whole spending limit. A JSON number is converted exactly (as
   * `parseMoney` does); the currency defaults to the card's.
   */
  amount?: { value: string | number; currency?: string };
  /**
   * The merchant charging the card (default: the merchant it was issued for). A card
   * is locked to its merchant: another merchant is declined.
   */
  merchant?: { name: string; category?: string };
  /** Used to describe the purchase on the charge; never needed to authorize it. */
  description?: string;
}

/**
 * An accepted charge.
 *
 * @example
 * ```ts
 * import type { CardCharge } from '@handshake/cards';
 *
 * function receipt(charge: CardCharge): string {
 *   return `${charge.merchantName}: ${charge.amount.value} ${charge.amount.currency} (auth ${charge.authorizationCode})`;
 * }
 * ```
 */
export interface CardCharge {
  chargeId: string;
  cardId: string;
  last4: string;
  brand: string;
  amount: Money;
  merchantName: string;
  /** Issuer's authorization code, as printed on receipts. */
  authorizationCode: string;
  /** When it was charged (ms since the epoch). */
  chargedAt: number;
}

/**
 * Issues single-use virtual cards for approved purchases. Implementations: the
 * built-in `simulatedCardIssuer` (Luhn-valid test numbers, nothing leaves the
 * process); a real one (e.g. Stripe Issuing) comes as its own package behind this
 * interface. Methods may be sync or async.
 *
 * @example
 * ```ts
 * import type { CardIssuerV1 } from '@handshake/cards';
 *
 * const issuer: CardIssuerV1 = {
 *   specificationVersion: 'v1',
 *   issueCard: async (request) => {
 *     throw new Error(`connect your issuer to pay ${request.merchantName}`);
 *   },
 * };
 * ```
 */
export interface CardIssuerV1 {
  readonly specificationVersion: 'v1';
  /** Creates a card whose spending limit is `request.spendingLimit`. */
  issueCard(request: CardIssueRequest): Awaitable<IssuedCard>;
  /**
   * Simulates a merchant charging a card (the spend API's mock checkout). Optional:
   * real issuers settle through the card network. Refusals are `HandshakeError`s:
   * `VALIDATION_ERROR` (unknown card, wrong CVC or expiry), `TOKEN_EXPIRED` (card past
   * its lifetime), `TOKEN_ALREADY_USED` (single use spent), `INSUFFICIENT_BALANCE`
   * (amount above the spending limit). Messages never contain the card number or CVC.
   */
  simulateCharge?(request: CardChargeRequest): Awaitable<CardCharge>;
}
