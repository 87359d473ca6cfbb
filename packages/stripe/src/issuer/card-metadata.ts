import type { Money } from '@handshake/protocol';

/**
 * What a card issued by `stripeCardIssuer` carries in its Stripe metadata: enough for
 * the authorization webhook to decide alone, within Stripe's 2-second deadline, and for
 * the capture to be counted. (Its lifetime runs from the card's `created` time, so a
 * retried creation sends exactly the same request.) Metadata can only be written with the secret key, so it is
 * as trustworthy as the card itself. It holds no card number.
 *
 * @example
 * ```ts
 * import { type HandshakeCardTerms, readCardTerms } from '@handshake/stripe';
 *
 * const terms: HandshakeCardTerms | undefined = readCardTerms({
 *   handshake_transaction: 'tx_1',
 *   handshake_user: 'alice',
 *   handshake_merchant: 'Example Books',
 *   handshake_limit: '30.00',
 *   handshake_currency: 'USD',
 * });
 * ```
 */
export interface HandshakeCardTerms {
  transactionId: string;
  userId: string;
  merchantName: string;
  /** Merchant categories the card is restricted to (Stripe's names); empty for any. */
  merchantCategories: string[];
  spendingLimit: Money;
}

const KEYS = {
  transactionId: 'handshake_transaction',
  userId: 'handshake_user',
  merchantName: 'handshake_merchant',
  merchantCategories: 'handshake_categories',
  limit: 'handshake_limit',
  currency: 'handshake_currency',
} as const;

/** The metadata written on a card for `terms`. */
export function cardTermsMetadata(terms: HandshakeCardTerms): Record<string, string> {
  return {
    [KEYS.transactionId]: terms.transactionId,
    [KEYS.userId]: terms.userId,
    [KEYS.merchantName]: terms.merchantName,
    ...(terms.merchantCategories.length > 0
      ? { [KEYS.merchantCategories]: terms.merchantCategories.join(',') }
      : {}),
    [KEYS.limit]: terms.spendingLimit.value,
    [KEYS.currency]: terms.spendingLimit.currency,
  };
}

/**
 * The terms of a card from its Stripe metadata; `undefined` for a card that
 * `stripeCardIssuer` did not issue (which the webhook declines).
 *
 * @example
 * ```ts
 * import { readCardTerms } from '@handshake/stripe';
 *
 * readCardTerms({ note: 'issued by hand' }); // undefined
 * ```
 */
export function readCardTerms(
  metadata: Record<string, string> | null | undefined,
): HandshakeCardTerms | undefined {
  if (!metadata) return undefined;
  const transactionId = metadata[KEYS.transactionId];
  const userId = metadata[KEYS.userId];
  const merchantName = metadata[KEYS.merchantName];
  const value = metadata[KEYS.limit];
  const currency = metadata[KEYS.currency];
  if (!transactionId || !userId || !merchantName || !value || !currency) return undefined;
  const categories = metadata[KEYS.merchantCategories];
  return {
    transactionId,
    userId,
    merchantName,
    merchantCategories: categories ? categories.split(',').filter(Boolean) : [],
    spendingLimit: { value, currency },
  };
}
