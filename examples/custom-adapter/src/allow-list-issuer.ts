import type { CardIssuerV1 } from '@handshake/cards';
import { HandshakeError } from '@handshake/protocol';

/** Options of {@link allowListIssuer}. */
export interface AllowListIssuerOptions {
  /** The issuer that really creates cards (your card program, or the simulated one). */
  issuer: CardIssuerV1;
  /** Merchants cards may be issued for, compared case-insensitively. */
  merchants: readonly string[];
  /** Hears every card issued: last four digits only, for reconciliation. */
  onIssued?: (card: {
    userId: string;
    transactionId: string;
    merchant: string;
    last4: string;
  }) => void;
}

/**
 * A `CardIssuerV1` that refuses cards for merchants outside an allow-list, then
 * delegates to another issuer. The refusal happens after the person approved, at the
 * moment a card would exist — the last line of defence, not the first.
 *
 * @example
 * ```ts
 * import { simulatedCardIssuer } from '@handshake/cards/testing';
 * import { allowListIssuer } from './allow-list-issuer.js';
 *
 * const issuer = allowListIssuer({ issuer: simulatedCardIssuer(), merchants: ['Example Books'] });
 * ```
 */
export function allowListIssuer(options: AllowListIssuerOptions): CardIssuerV1 {
  const allowed = new Set(options.merchants.map((merchant) => merchant.toLowerCase()));
  const { issuer } = options;
  return {
    specificationVersion: 'v1',
    async issueCard(request) {
      if (!allowed.has(request.merchantName.toLowerCase())) {
        throw new HandshakeError('PROVIDER_ERROR', 'Cards are not issued for this merchant');
      }
      const card = await issuer.issueCard(request);
      options.onIssued?.({
        userId: request.userId,
        transactionId: request.transactionId,
        merchant: request.merchantName,
        last4: card.last4,
      });
      return card;
    },
    ...(issuer.simulateCharge
      ? { simulateCharge: (request) => issuer.simulateCharge!(request) }
      : {}),
  };
}
