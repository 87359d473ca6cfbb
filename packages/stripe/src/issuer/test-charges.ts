import type { CardCharge, CardChargeRequest } from '@handshake/cards';
import { type Clock, timingSafeEqualString } from '@handshake/core';
import {
  formatMoney,
  HandshakeError,
  type Money,
  parseMoney,
  sha256Hex,
} from '@handshake/protocol';
import type Stripe from 'stripe';
import { DECISION_METADATA_KEY, type DeclineReason } from '../webhook/authorization-decision.js';

interface TestCard {
  cardId: string;
  cvcDigest: string;
  expMonth: number;
  expYear: number;
  last4: string;
  brand: string;
  transactionId: string;
  spendingLimit: Money;
  merchantName: string;
}

/** The mock checkout's charges through Stripe's test helpers, for test mode. */
export interface TestCharges {
  remember(
    card: Stripe.Issuing.Card,
    terms: { transactionId: string; spendingLimit: Money; merchantName: string },
  ): void;
  charge(request: CardChargeRequest): Promise<CardCharge>;
}

type MerchantCategory = NonNullable<
  Parameters<Stripe['testHelpers']['issuing']['authorizations']['create']>[0]['merchant_data']
>['category'];

const cardKey = (number: string) => sha256Hex(`handshake:stripe-card:${number}`);

/** What a decline reason from the webhook means to the checkout. */
const DECLINE_CODES: Partial<
  Record<DeclineReason, 'TOKEN_EXPIRED' | 'TOKEN_ALREADY_USED' | 'INSUFFICIENT_BALANCE'>
> = {
  card_expired: 'TOKEN_EXPIRED',
  card_used: 'TOKEN_ALREADY_USED',
  amount_exceeds_limit: 'INSUFFICIENT_BALANCE',
};

/**
 * Charges a card as a merchant would, in Stripe test mode: a test-helper authorization
 * (which Stripe puts to the real-time authorization webhook), captured when approved.
 * Cards are known by a digest of their number (never the number itself), with a digest
 * of the CVC, as the built-in simulated issuer keeps them.
 */
export function testCharges(context: {
  stripe: Stripe;
  clock: Clock;
  call<T>(what: string, run: () => Promise<T>): Promise<T>;
}): TestCharges {
  const cards = new Map<string, TestCard>();
  const { stripe } = context;
  return {
    remember(card, terms) {
      if (!card.number || !card.cvc) return;
      cards.set(cardKey(card.number), {
        cardId: card.id,
        cvcDigest: sha256Hex(`handshake:cvc:${card.id}:${card.cvc}`),
        expMonth: card.exp_month,
        expYear: card.exp_year,
        last4: card.last4,
        brand: card.brand.toLowerCase(),
        ...terms,
      });
    },
    async charge(request) {
      const declined = (message: string) => new HandshakeError('VALIDATION_ERROR', message);
      const number =
        typeof request.cardNumber === 'string' ? request.cardNumber.replace(/[ -]/g, '') : '';
      const card = cards.get(cardKey(number));
      if (!card) throw declined('The card was declined: it was not issued by this issuer');
      const cvcDigest = sha256Hex(`handshake:cvc:${card.cardId}:${String(request.cvc)}`);
      if (!timingSafeEqualString(cvcDigest, card.cvcDigest)) {
        throw declined('The card was declined: the security code (CVC) does not match');
      }
      if (Number(request.expMonth) !== card.expMonth || Number(request.expYear) !== card.expYear) {
        throw declined('The card was declined: the expiry date does not match');
      }
      const currency = request.amount?.currency ?? card.spendingLimit.currency;
      const amountMinor = request.amount
        ? parseMoney(request.amount.value, currency)
        : parseMoney(card.spendingLimit.value, currency);
      const merchantName = request.merchant?.name ?? card.merchantName;
      const authorization = await context.call('test authorization', () =>
        stripe.testHelpers.issuing.authorizations.create({
          card: card.cardId,
          amount: Number(amountMinor),
          currency: currency.toLowerCase(),
          merchant_data: {
            name: merchantName,
            ...(request.merchant?.category
              ? {
                  category: request.merchant.category as MerchantCategory,
                }
              : {}),
          },
        }),
      );
      if (!authorization.approved) {
        // The webhook's reason, or Stripe's own when it declined first (spending controls, a cancelled card).
        const reason = (authorization.metadata?.[DECISION_METADATA_KEY] ??
          authorization.request_history.at(-1)?.reason) as DeclineReason | undefined;
        const code = (reason && DECLINE_CODES[reason]) ?? 'VALIDATION_ERROR';
        throw new HandshakeError(code, `The card was declined (${reason ?? 'declined_by_issuer'})`);
      }
      const captured = await context.call('test capture', () =>
        stripe.testHelpers.issuing.authorizations.capture(authorization.id),
      );
      return {
        chargeId: captured.id,
        cardId: card.cardId,
        last4: card.last4,
        brand: card.brand,
        amount: { value: formatMoney(amountMinor, currency), currency },
        merchantName,
        authorizationCode: captured.id.slice(-6).toUpperCase(),
        chargedAt: context.clock.now(),
      };
    },
  };
}
