import {
  type Clock,
  type HandshakeEngine,
  type HandshakeRoute,
  systemClock,
} from '@handshake/core';
import { formatMoney } from '@handshake/protocol';
import Stripe from 'stripe';
import { readCardTerms } from '../issuer/card-metadata.js';
import type { StripeCardIssuer } from '../issuer/stripe-card-issuer.js';
import {
  type AuthorizationDecision,
  DECISION_METADATA_KEY,
  decideAuthorization,
  type MerchantMatcher,
  sameMerchant,
} from './authorization-decision.js';
import { cardUsage } from './card-usage.js';

/**
 * Options of {@link stripeIssuingWebhook}.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe';
 * import { spendTools } from '@handshake/cards';
 * import { createHandshake } from '@handshake/core';
 * import { stripeCardIssuer, type StripeIssuingWebhookOptions } from '@handshake/stripe';
 *
 * const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');
 * const issuer = stripeCardIssuer({ stripe });
 * const engine = createHandshake({ tools: [spendTools({ issuer })] });
 * const options: StripeIssuingWebhookOptions = {
 *   stripe,
 *   webhookSecret: process.env.STRIPE_WEBHOOK_SECRET ?? '',
 *   issuer,
 *   engine,
 * };
 * ```
 */
export interface StripeIssuingWebhookOptions {
  /** The official client (its webhook helpers verify the signatures). */
  stripe: Stripe;
  /** The endpoint's signing secret, `whsec_…`. */
  webhookSecret: string;
  /** The issuer that made the cards (its lifetime, and the cancellation). */
  issuer: StripeCardIssuer;
  /** The engine: decisions are audited there, and captures counted. */
  engine: HandshakeEngine;
  /** Compares the approved merchant with the network's (default {@link sameMerchant}). */
  merchantMatches?: MerchantMatcher;
  /** Oldest accepted signature, in seconds (default 300, Stripe's own). */
  toleranceSeconds?: number;
  /** Answer time past which a request is declined rather than approved late (default 1500 ms; Stripe waits 2 s). */
  deadlineMs?: number;
  /** Told of failures in work done after answering (the audit write). */
  onError?: (error: unknown) => void;
  clock?: Clock;
}

/**
 * The Stripe Issuing webhook, as a Web-standard handler and as a route for
 * `createHandshakeHandler`.
 *
 * @example
 * ```ts
 * import { createHandshakeHandler, type HandshakeEngine } from '@handshake/core';
 * import type { StripeIssuingWebhook } from '@handshake/stripe';
 * declare const engine: HandshakeEngine;
 * declare const webhook: StripeIssuingWebhook;
 *
 * const handler = createHandshakeHandler(engine, { routes: [webhook.route('/webhooks/stripe')] });
 * ```
 */
export interface StripeIssuingWebhook {
  handle(request: Request): Promise<Response>;
  /** The handler as a `POST` route (default path `/webhooks/stripe`). */
  route(path?: string): HandshakeRoute;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

const money = (minor: number, currency: string) => {
  const code = currency.toUpperCase();
  return { value: formatMoney(BigInt(Math.abs(minor)), code), currency: code };
};

/**
 * Handles Stripe Issuing's webhook events, signed and verified with the `stripe` package:
 *
 * - `issuing_authorization.request` (real-time authorization): approves only when the
 *   authorization matches the card's own approval — a card this issuer made for a
 *   validation, active, within its lifetime, never used, at the approved merchant (and
 *   category, where named), in the card's currency, within the approved amount — and
 *   declines otherwise, answering at once (Stripe allows 2 s). The decision and the
 *   merchant are audited; never the card number.
 * - `issuing_authorization.created`: an approved authorization marks the card used and
 *   cancels it.
 * - `issuing_transaction.created` (a capture): marks the card used, cancels it, and
 *   counts the purchase at the captured amount, giving the rest of the approved amount
 *   back to the user's limits.
 *
 * A forged or stale signature is refused (`400`); a duplicate delivery gets the same
 * answer and changes nothing; deliveries in any order end in the same state.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe';
 * import { spendApiRoutes, spendTools } from '@handshake/cards';
 * import { createHandshake, createHandshakeHandler } from '@handshake/core';
 * import { stripeCardIssuer, stripeIssuingWebhook } from '@handshake/stripe';
 *
 * const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');
 * const issuer = stripeCardIssuer({ stripe });
 * const spend = spendTools({ issuer });
 * const engine = createHandshake({ tools: [spend] });
 * const webhook = stripeIssuingWebhook({
 *   stripe,
 *   webhookSecret: process.env.STRIPE_WEBHOOK_SECRET ?? '',
 *   issuer,
 *   engine,
 * });
 * const handler = createHandshakeHandler(engine, {
 *   routes: [webhook.route('/webhooks/stripe'), ...spendApiRoutes(engine, { tools: spend })],
 * });
 * ```
 */
export function stripeIssuingWebhook(options: StripeIssuingWebhookOptions): StripeIssuingWebhook {
  const { stripe, issuer, engine } = options;
  const clock = options.clock ?? systemClock;
  const merchantMatches = options.merchantMatches ?? sameMerchant;
  const deadlineMs = options.deadlineMs ?? 1500;
  const onError = options.onError ?? (() => {});
  const usage = cardUsage();

  const answerRequest = (event: Stripe.Event, receivedAt: number): Response => {
    const authorization = event.data.object as Stripe.Issuing.Authorization;
    let decision: AuthorizationDecision | undefined = usage.decisionOf(event.id);
    const repeated = decision !== undefined;
    if (!decision) {
      decision = decideAuthorization(authorization, {
        now: receivedAt,
        lifetimeMs: issuer.lifetimeMs,
        used: usage.used,
        merchantMatches,
      });
      if (decision.approved && clock.now() - receivedAt > deadlineMs) {
        decision = { approved: false, reason: 'deadline_exceeded', terms: decision.terms };
      }
      // Single use: the card is spent from the moment one authorization is approved.
      if (decision.approved) usage.markUsed(authorization.card.id);
      usage.rememberDecision(event.id, decision);
    }
    if (!repeated) {
      const request = authorization.pending_request;
      engine
        .recordChargeDecision({
          approved: decision.approved,
          reason: decision.approved ? 'approved' : decision.reason,
          ...(decision.terms
            ? { userId: decision.terms.userId, transactionId: decision.terms.transactionId }
            : {}),
          payee: authorization.merchant_data.name ?? '',
          payeeCategory: authorization.merchant_data.category,
          amount: money(
            request?.amount ?? authorization.amount,
            request?.currency ?? authorization.currency,
          ),
          attributes: { cardLast4: authorization.card.last4 },
        })
        .catch(onError);
    }
    return json(
      200,
      {
        approved: decision.approved,
        metadata: { [DECISION_METADATA_KEY]: decision.approved ? 'approved' : decision.reason },
      },
      { 'Stripe-Version': event.api_version ?? Stripe.API_VERSION },
    );
  };

  /** Marks the card used and cancels it; the work behind both follow-up events. */
  const spend = async (cardId: string, transactionId: string) => {
    usage.markUsed(cardId);
    await issuer.cancelCard(cardId, transactionId);
  };

  const settle = async (event: Stripe.Event) => {
    if (event.type === 'issuing_authorization.created') {
      const authorization = event.data.object;
      const terms = readCardTerms(authorization.card.metadata);
      if (authorization.approved && terms) await spend(authorization.card.id, terms.transactionId);
      return;
    }
    if (event.type === 'issuing_transaction.created') {
      const transaction = event.data.object;
      if (transaction.type !== 'capture') return;
      const card =
        typeof transaction.card === 'string'
          ? await stripe.issuing.cards.retrieve(transaction.card)
          : transaction.card;
      const terms = readCardTerms(card.metadata);
      if (!terms) return;
      await spend(card.id, terms.transactionId);
      await engine.captureReservation({
        userId: terms.userId,
        transactionId: terms.transactionId,
        captured: money(transaction.amount, transaction.currency),
        authorized: terms.spendingLimit,
        payee: transaction.merchant_data.name ?? '',
        attributes: { cardLast4: card.last4 },
      });
    }
  };

  const handle = async (request: Request): Promise<Response> => {
    if (request.method !== 'POST') return json(405, { error: 'method not allowed' });
    const receivedAt = clock.now();
    const payload = await request.text();
    const signature = request.headers.get('stripe-signature') ?? '';
    let event: Stripe.Event;
    try {
      event = stripe.webhooks.constructEvent(
        payload,
        signature,
        options.webhookSecret,
        options.toleranceSeconds ?? 300,
        undefined,
        receivedAt,
      );
    } catch {
      // Forged, altered or replayed after the tolerance: nothing is done.
      return json(400, { error: 'invalid signature' });
    }
    if (event.type === 'issuing_authorization.request') return answerRequest(event, receivedAt);
    if (usage.processed(event.id)) return json(200, { received: true, duplicate: true });
    try {
      await settle(event);
    } catch {
      // Not marked processed: Stripe delivers it again, and every step is idempotent.
      return json(500, { error: 'not processed; retry' });
    }
    usage.markProcessed(event.id);
    return json(200, { received: true });
  };

  return {
    handle,
    route: (path = '/webhooks/stripe') => ({
      method: 'POST',
      path,
      handle: (context) => handle(context.request),
    }),
  };
}
