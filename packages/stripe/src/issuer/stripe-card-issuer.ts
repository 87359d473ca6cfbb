import type { CardIssueRequest, CardIssuerV1, IssuedCard } from '@handshake/cards';
import {
  type Clock,
  systemClock,
  systemTimers,
  type TimerScheduler,
  UnsupportedSpecificationVersionError,
} from '@handshake/core';
import { formatMoney, HandshakeError, parseMoney, sha256Hex } from '@handshake/protocol';
import type Stripe from 'stripe';
import { cardTermsMetadata } from './card-metadata.js';
import {
  type CardholderDirectoryV1,
  cardholderResolver,
  memoryCardholderDirectory,
} from './cardholders.js';
import {
  isStripeAuthenticationFailure,
  stripeFailure,
  withRateLimitRetry,
} from './stripe-errors.js';
import { type TestCharges, testCharges } from './test-charges.js';

/**
 * Options of {@link stripeCardIssuer}.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe';
 * import { type StripeCardIssuerOptions, stripeCardIssuer } from '@handshake/stripe';
 *
 * const options: StripeCardIssuerOptions = {
 *   stripe: new Stripe(process.env.STRIPE_SECRET_KEY ?? ''),
 *   lifetimeMs: 5 * 60_000,
 * };
 * const issuer = stripeCardIssuer(options);
 * ```
 */
export interface StripeCardIssuerOptions {
  /** The official client, made with your secret key (`new Stripe(key)`). */
  stripe: Stripe;
  /** How long a card works (default 5 minutes); it is cancelled at Stripe then. */
  lifetimeMs?: number;
  /** Remembers each user's cardholder (default: in memory, found again through Stripe). */
  cardholders?: CardholderDirectoryV1;
  /** Retries of a rate-limited Stripe call (default 3). */
  rateLimitRetries?: number;
  /** Pause before retry `attempt` (default 250 ms × 2^(attempt − 1)). */
  retryDelayMs?: (attempt: number) => number;
  /** Waits out a back-off pause (default: a timer); injected by tests. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Let the spend API's mock checkout charge cards through Stripe's test helpers
   * (`/v1/test_helpers/issuing/authorizations`). Test mode only (default false).
   */
  testCharges?: boolean;
  clock?: Clock;
  /** Timers for the cancellation at the end of a card's lifetime; injected by tests. */
  timers?: TimerScheduler;
}

/**
 * A card issuer over Stripe Issuing, with what the webhook and the service need of it.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe';
 * import { type StripeCardIssuer, stripeCardIssuer } from '@handshake/stripe';
 *
 * const issuer: StripeCardIssuer = stripeCardIssuer({ stripe: new Stripe('sk_test_…') });
 * await issuer.verify(); // a refused key stops start-up here
 * ```
 */
export interface StripeCardIssuer extends CardIssuerV1 {
  issueCard(request: CardIssueRequest): Promise<IssuedCard>;
  /**
   * Cancels a card at Stripe (idempotent: a second call for the same card changes
   * nothing). Called at the end of its lifetime and after its first capture.
   */
  cancelCard(cardId: string, transactionId: string): Promise<void>;
  /**
   * Checks the API key with one read. An authentication failure is a configuration
   * error (`VALIDATION_ERROR`, naming `STRIPE_SECRET_KEY`, never the key).
   */
  verify(): Promise<void>;
  /** How long a card works after Stripe created it. */
  readonly lifetimeMs: number;
  /** Stops the lifetime timers (cards already issued stay as they are at Stripe). */
  close(): void;
}

/**
 * The idempotency key of one Stripe write for one handshake transaction: the same
 * transaction always gives the same key, so Stripe answers a retry with the object it
 * made the first time.
 *
 * @example
 * ```ts
 * import { idempotencyKey } from '@handshake/stripe';
 *
 * idempotencyKey('card', 'tx_1') === idempotencyKey('card', 'tx_1'); // true
 * ```
 */
export const idempotencyKey = (step: 'card' | 'cancel', transactionId: string) =>
  `handshake-${step}-${sha256Hex(transactionId).slice(0, 48)}`;

/**
 * Issues each approved purchase a single-use virtual card through Stripe Issuing:
 *
 * - one cardholder per user, made once from the customer details and reused;
 * - a virtual card whose `spending_controls` allow exactly the approved amount in the
 *   card's currency over the card's whole life (`all_time`), restricted to the merchant
 *   categories the request names, cancelled by Stripe after one payment
 *   (`lifecycle_controls`) and by this issuer when its 5 minutes end;
 * - the number and CVC retrieved once and handed back in the {@link IssuedCard}, never
 *   logged, kept or put in an error;
 * - every write carrying an idempotency key derived from the transaction, so a retried
 *   creation makes one card;
 * - Stripe's errors as `PROVIDER_ERROR`s that name Stripe's code, a rate limit retried
 *   with back-off.
 *
 * Pair it with {@link stripeIssuingWebhook}, which locks each card to its merchant.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe';
 * import { spendTools } from '@handshake/cards';
 * import { createHandshake } from '@handshake/core';
 * import { stripeCardIssuer } from '@handshake/stripe';
 *
 * const issuer = stripeCardIssuer({ stripe: new Stripe(process.env.STRIPE_SECRET_KEY ?? '') });
 * await issuer.verify();
 * const spend = spendTools({ issuer });
 * const engine = createHandshake({ tools: [spend], limits: { currency: 'USD', daily: '200.00' } });
 * ```
 */
export function stripeCardIssuer(options: StripeCardIssuerOptions): StripeCardIssuer {
  const { stripe } = options;
  UnsupportedSpecificationVersionError.check('cardholder directory', options.cardholders);
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const lifetimeMs = options.lifetimeMs ?? 5 * 60 * 1000;
  const retry = {
    retries: options.rateLimitRetries ?? 3,
    delayMs: options.retryDelayMs ?? ((attempt: number) => 250 * 2 ** (attempt - 1)),
    sleep:
      options.sleep ??
      ((ms: number) => new Promise<void>((resolve) => timers.setTimeout(resolve, ms))),
  };
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await withRateLimitRetry(run, retry);
    } catch (error) {
      throw stripeFailure(what, error);
    }
  };
  const cardholderOf = cardholderResolver({
    stripe,
    directory: options.cardholders ?? memoryCardholderDirectory(),
    call,
  });
  const lifetimes = new Map<string, unknown>();
  const cancelled = new Set<string>();
  const charges: TestCharges | undefined = options.testCharges
    ? testCharges({ stripe, clock, call })
    : undefined;

  const cancelCard = async (cardId: string, transactionId: string) => {
    const timer = lifetimes.get(cardId);
    if (timer !== undefined) timers.clearTimeout(timer);
    lifetimes.delete(cardId);
    if (cancelled.has(cardId)) return;
    try {
      await call('card cancellation', () =>
        stripe.issuing.cards.update(
          cardId,
          { status: 'canceled' },
          { idempotencyKey: idempotencyKey('cancel', transactionId) },
        ),
      );
    } catch (error) {
      // Stripe refuses to change a cancelled card (its lifecycle controls cancel it
      // after one payment): that is the state wanted.
      const card = await call('card look-up', () => stripe.issuing.cards.retrieve(cardId));
      if (card.status !== 'canceled') throw error;
    }
    cancelled.add(cardId);
  };

  const scheduleCancel = (cardId: string, transactionId: string, expiresAt: number) => {
    const timer = timers.setTimeout(
      () => {
        lifetimes.delete(cardId);
        // A failure here leaves the webhook to decline the expired card.
        cancelCard(cardId, transactionId).catch(() => {});
      },
      Math.max(0, expiresAt - clock.now()),
    );
    lifetimes.set(cardId, timer);
  };

  const issueCard = async (request: CardIssueRequest): Promise<IssuedCard> => {
    const { currency } = request.spendingLimit;
    const limitMinor = parseMoney(request.spendingLimit.value, currency);
    const spendingLimit = { value: formatMoney(limitMinor, currency), currency };
    const categories = [...(request.merchantCategories ?? [])];
    const cardholder = await cardholderOf(request.userId, request.customer);
    const card = await call('card creation', () =>
      stripe.issuing.cards.create(
        {
          cardholder,
          currency: currency.toLowerCase(),
          type: 'virtual',
          status: 'active',
          spending_controls: {
            spending_limits: [{ amount: Number(limitMinor), interval: 'all_time' }],
            ...(categories.length > 0
              ? {
                  allowed_categories:
                    categories as Stripe.Issuing.CardCreateParams.SpendingControls.AllowedCategory[],
                }
              : {}),
          },
          lifecycle_controls: { cancel_after: { payment_count: 1 } },
          metadata: cardTermsMetadata({
            transactionId: request.transactionId,
            userId: request.userId,
            merchantName: request.merchantName,
            merchantCategories: categories,
            spendingLimit,
          }),
        },
        { idempotencyKey: idempotencyKey('card', request.transactionId) },
      ),
    );
    const expiresAt = card.created * 1000 + lifetimeMs;
    let secret: Stripe.Issuing.Card;
    try {
      // The number and CVC are fetched once, for the agent, and never kept.
      secret = await call('card details retrieval', () =>
        stripe.issuing.cards.retrieve(card.id, { expand: ['number', 'cvc'] }),
      );
    } catch (error) {
      // The agent never saw this card: stop it rather than leave it live.
      await cancelCard(card.id, request.transactionId).catch(() => {});
      throw error;
    }
    if (!secret.number || !secret.cvc) {
      await cancelCard(card.id, request.transactionId).catch(() => {});
      throw new HandshakeError('PROVIDER_ERROR', 'Stripe did not return the card details');
    }
    if (!cancelled.has(card.id) && expiresAt > clock.now()) {
      scheduleCancel(card.id, request.transactionId, expiresAt);
    }
    charges?.remember(secret, {
      transactionId: request.transactionId,
      spendingLimit,
      merchantName: request.merchantName,
    });
    return {
      cardId: card.id,
      cardNumber: secret.number,
      cvc: secret.cvc,
      expMonth: secret.exp_month,
      expYear: secret.exp_year,
      expiresAt,
      spendingLimit,
      last4: secret.last4,
      brand: secret.brand.toLowerCase(),
    };
  };

  const verify = async () => {
    try {
      await withRateLimitRetry(() => stripe.issuing.cards.list({ limit: 1 }), retry);
    } catch (error) {
      if (isStripeAuthenticationFailure(error)) {
        throw new HandshakeError(
          'VALIDATION_ERROR',
          'STRIPE_SECRET_KEY was refused by Stripe: set a valid secret key with Issuing access',
        );
      }
      throw stripeFailure('start-up check', error);
    }
  };

  return {
    specificationVersion: 'v1',
    issueCard,
    cancelCard,
    verify,
    lifetimeMs,
    ...(charges ? { simulateCharge: charges.charge } : {}),
    close() {
      for (const timer of lifetimes.values()) timers.clearTimeout(timer);
      lifetimes.clear();
    },
  };
}
