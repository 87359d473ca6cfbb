import { parseMoney } from '@handshake/protocol';
import type Stripe from 'stripe';
import { type HandshakeCardTerms, readCardTerms } from '../issuer/card-metadata.js';

/**
 * Why the webhook declined an authorization. It is written on the authorization's
 * Stripe metadata (`handshake_decision`) and in the audit trail.
 *
 * @example
 * ```ts
 * import type { DeclineReason } from '@handshake/stripe';
 *
 * const reason: DeclineReason = 'merchant_mismatch';
 * ```
 */
export type DeclineReason =
  | 'unknown_card'
  | 'card_inactive'
  | 'card_expired'
  | 'card_used'
  | 'merchant_mismatch'
  | 'category_mismatch'
  | 'currency_mismatch'
  | 'amount_exceeds_limit'
  | 'deadline_exceeded';

/** The metadata key the decision is recorded under on the authorization. */
export const DECISION_METADATA_KEY = 'handshake_decision';

/**
 * Compares the merchant a card was approved for with the merchant a card network
 * names. Networks write names in capitals, with punctuation and spacing of their own.
 *
 * @example
 * ```ts
 * import type { MerchantMatcher } from '@handshake/stripe';
 *
 * // Accept the approved name followed by a location, as some networks append one.
 * const matcher: MerchantMatcher = (approved, network) =>
 *   network.toUpperCase().startsWith(approved.toUpperCase());
 * ```
 */
export type MerchantMatcher = (approvedName: string, networkName: string) => boolean;

const normalized = (name: string) =>
  name
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');

/**
 * The built-in {@link MerchantMatcher}: equal once case, spacing and punctuation are
 * ignored ("Example Books" matches "EXAMPLE BOOKS" and "Example-Books", not "Example
 * Books Outlet").
 *
 * @example
 * ```ts
 * import { sameMerchant } from '@handshake/stripe';
 *
 * sameMerchant('Example Books', 'EXAMPLE BOOKS'); // true
 * sameMerchant('Example Books', 'OTHER SHOP'); // false
 * ```
 */
export const sameMerchant: MerchantMatcher = (approved, network) => {
  const a = normalized(approved);
  return a !== '' && a === normalized(network);
};

/** The outcome of {@link decideAuthorization}. */
export type AuthorizationDecision =
  | { approved: true; terms: HandshakeCardTerms }
  | { approved: false; reason: DeclineReason; terms?: HandshakeCardTerms };

/**
 * Decides an `issuing_authorization.request` from what Stripe sent alone: the card's
 * own terms (its metadata), its status and age, whether it was used, the merchant, the
 * amount and the currency. No network call, so the answer is immediate.
 */
export function decideAuthorization(
  authorization: Stripe.Issuing.Authorization,
  context: {
    now: number;
    lifetimeMs: number;
    used: (cardId: string) => boolean;
    merchantMatches: MerchantMatcher;
  },
): AuthorizationDecision {
  const card = authorization.card;
  const terms = readCardTerms(card.metadata);
  if (!terms) return { approved: false, reason: 'unknown_card' };
  const decline = (reason: DeclineReason): AuthorizationDecision => ({
    approved: false,
    reason,
    terms,
  });
  if (card.status !== 'active') return decline('card_inactive');
  if (context.now >= card.created * 1000 + context.lifetimeMs) return decline('card_expired');
  if (context.used(card.id)) return decline('card_used');
  const merchant = authorization.merchant_data;
  if (!context.merchantMatches(terms.merchantName, merchant.name ?? '')) {
    return decline('merchant_mismatch');
  }
  if (
    terms.merchantCategories.length > 0 &&
    !terms.merchantCategories.includes(merchant.category)
  ) {
    return decline('category_mismatch');
  }
  const request = authorization.pending_request;
  const currency = (request?.currency ?? authorization.currency).toUpperCase();
  const merchantCurrency = (
    request?.merchant_currency ?? authorization.merchant_currency
  ).toUpperCase();
  if (currency !== terms.spendingLimit.currency || merchantCurrency !== currency) {
    return decline('currency_mismatch');
  }
  const amount = BigInt(request?.amount ?? authorization.amount);
  const limit = parseMoney(terms.spendingLimit.value, terms.spendingLimit.currency);
  if (amount <= 0n || amount > limit) return decline('amount_exceeds_limit');
  return { approved: true, terms };
}
