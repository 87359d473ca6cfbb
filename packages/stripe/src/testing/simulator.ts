import { luhnCheckDigit } from '@handshake/cards/testing';
import { type Clock, systemClock } from '@handshake/core';
import { getResponse, type HttpHandler, HttpResponse, http } from 'msw';
import Stripe from 'stripe';
import { decodeForm, type FormValue } from './form.js';
import {
  authorizationObject,
  captureObject,
  cardholderObject,
  cardObject,
  type SimulatedCard,
} from './objects.js';
import { type WebhookEndpoint, webhookDelivery } from './webhook-delivery.js';

/**
 * The API key the simulation accepts by default (a test-mode key of no account).
 *
 * @example
 * ```ts
 * import Stripe from 'stripe';
 * import { SIMULATED_STRIPE_SECRET_KEY } from '@handshake/stripe/testing';
 *
 * const stripe = new Stripe(SIMULATED_STRIPE_SECRET_KEY);
 * ```
 */
export const SIMULATED_STRIPE_SECRET_KEY = 'sk_test_HandshakeSimulated00000000000000';
/**
 * The webhook signing secret the simulation signs with by default.
 *
 * @example
 * ```ts
 * import { SIMULATED_STRIPE_WEBHOOK_SECRET } from '@handshake/stripe/testing';
 *
 * const webhookSecret = SIMULATED_STRIPE_WEBHOOK_SECRET; // give it to stripeIssuingWebhook
 * ```
 */
export const SIMULATED_STRIPE_WEBHOOK_SECRET = 'whsec_HandshakeSimulated00000000000000';

const API = 'https://api.stripe.com';

type TestAuthorizationParams = Parameters<
  Stripe['testHelpers']['issuing']['authorizations']['create']
>[0];

/**
 * A failure the next matching request meets: the network failing, or a Stripe error.
 *
 * @example
 * ```ts
 * import type { SimulatedStripeFailure } from '@handshake/stripe/testing';
 *
 * const rateLimited: SimulatedStripeFailure = { kind: 'error', status: 429, type: 'invalid_request_error', code: 'rate_limit' };
 * const down: SimulatedStripeFailure = { kind: 'network' };
 * ```
 */
export type SimulatedStripeFailure =
  | { kind: 'network' }
  | { kind: 'error'; status: number; type: string; code?: string; message?: string };

/**
 * One request the simulation answered, for checks against Stripe's schemas.
 *
 * @example
 * ```ts
 * import type { StripeExchange, StripeIssuingSimulator } from '@handshake/stripe/testing';
 * declare const simulator: StripeIssuingSimulator;
 *
 * const creations: StripeExchange[] = simulator.exchanges.filter((e) => e.operation === 'PostIssuingCards');
 * ```
 */
export interface StripeExchange {
  /** Stripe's operation, e.g. `PostIssuingCards`. */
  operation: string;
  /** The decoded form body (or query) the client sent. */
  params: Record<string, FormValue>;
  idempotencyKey: string | undefined;
  /** The W3C `traceparent` header, when the request carried one. */
  traceparent?: string;
  status: number;
  body: unknown;
}

/**
 * Options of {@link createStripeIssuingSimulator}.
 *
 * @example
 * ```ts
 * import { createStripeIssuingSimulator, type StripeIssuingSimulatorOptions } from '@handshake/stripe/testing';
 *
 * const options: StripeIssuingSimulatorOptions = { endpoint: 'http://127.0.0.1:8787/webhooks/stripe' };
 * const simulator = createStripeIssuingSimulator(options);
 * ```
 */
export interface StripeIssuingSimulatorOptions {
  secretKey?: string;
  webhookSecret?: string;
  /** Where events are delivered, signed as Stripe signs them. */
  endpoint?: WebhookEndpoint;
  clock?: Clock;
  /** How long Stripe waits for the real-time authorization answer (default 2000 ms). */
  authorizationTimeoutMs?: number;
}

const opName: Record<string, string> = {
  'POST /v1/issuing/cardholders': 'PostIssuingCardholders',
  'GET /v1/issuing/cardholders': 'GetIssuingCardholders',
  'POST /v1/issuing/cards': 'PostIssuingCards',
  'GET /v1/issuing/cards': 'GetIssuingCards',
  'GET /v1/issuing/cards/:card': 'GetIssuingCardsCard',
  'POST /v1/issuing/cards/:card': 'PostIssuingCardsCard',
  'POST /v1/test_helpers/issuing/authorizations': 'PostTestHelpersIssuingAuthorizations',
  'POST /v1/test_helpers/issuing/authorizations/:authorization/capture':
    'PostTestHelpersIssuingAuthorizationsCapture',
};

/** A Stripe error body. */
const stripeError = (status: number, type: string, message: string, code?: string) =>
  HttpResponse.json({ error: { type, message, ...(code ? { code } : {}) } }, { status });

/**
 * Stripe Issuing's API as msw handlers — cardholders, virtual cards with spending
 * controls, card details, cancellation, idempotency keys, and the test helpers that
 * authorize and capture — with webhook events signed as Stripe signs them and
 * delivered to your endpoint. The real-time authorization waits for the endpoint's
 * answer as Stripe does. Requests and answers follow Stripe's API description (the
 * package's tests check them against its schemas).
 *
 * @example
 * ```ts
 * import { setupServer } from 'msw/node';
 * import { createStripeIssuingSimulator } from '@handshake/stripe/testing';
 *
 * const simulator = createStripeIssuingSimulator({ endpoint: 'http://127.0.0.1:8787/webhooks/stripe' });
 * const server = setupServer(...simulator.handlers);
 * server.listen({ onUnhandledFrame: 'bypass' });
 * ```
 */
export function createStripeIssuingSimulator(options: StripeIssuingSimulatorOptions = {}) {
  const clock = options.clock ?? systemClock;
  const secretKey = options.secretKey ?? SIMULATED_STRIPE_SECRET_KEY;
  const now = () => Math.floor(clock.now() / 1000);
  let serial = 0;
  const id = (prefix: string) => `${prefix}_sim${String(++serial).padStart(14, '0')}`;
  const cardholders = new Map<string, Stripe.Issuing.Cardholder>();
  const cards = new Map<string, SimulatedCard>();
  const authorizations = new Map<string, Stripe.Issuing.Authorization>();
  const idempotent = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  const exchanges: StripeExchange[] = [];
  const failures: Array<{ operation: string; failure: SimulatedStripeFailure }> = [];
  const delivery = webhookDelivery({
    clock,
    secret: options.webhookSecret ?? SIMULATED_STRIPE_WEBHOOK_SECRET,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    timeoutMs: options.authorizationTimeoutMs ?? 2000,
  });
  const event = (type: string, object: unknown) =>
    ({
      id: id('evt'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: now(),
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    }) as unknown as Stripe.Event;

  const newCardNumber = () => {
    const payload = `400000999${String(100000 + serial).slice(-6)}`;
    return payload + String(luhnCheckDigit(payload));
  };

  /** Answers one operation: auth, failure injection, idempotency, then `run`. */
  const operation = (
    method: 'GET' | 'POST',
    path: string,
    run: (
      params: Record<string, FormValue>,
      pathParams: Record<string, string>,
    ) => Promise<Response> | Response,
  ) => {
    const name = opName[`${method} ${path}`] ?? path;
    const handler = async ({
      request,
      params: pathParams,
    }: {
      request: Request;
      params: Record<string, unknown>;
    }) => {
      const auth = request.headers.get('authorization') ?? '';
      if (auth !== `Bearer ${secretKey}`) {
        return stripeError(401, 'invalid_request_error', 'Invalid API Key provided');
      }
      const index = failures.findIndex((f) => f.operation === name || f.operation === '*');
      if (index >= 0) {
        const [{ failure }] = failures.splice(index, 1) as unknown as [
          { failure: SimulatedStripeFailure },
        ];
        if (failure.kind === 'network') return HttpResponse.error();
        return stripeError(
          failure.status,
          failure.type,
          failure.message ?? 'Simulated failure',
          failure.code,
        );
      }
      const body = method === 'POST' ? await request.text() : '';
      const params = decodeForm(
        method === 'POST' ? new URLSearchParams(body) : new URL(request.url).searchParams,
      );
      const key = request.headers.get('idempotency-key') ?? undefined;
      const fingerprint = `${method} ${new URL(request.url).pathname} ${body}`;
      const previous = key ? idempotent.get(key) : undefined;
      if (previous && previous.fingerprint !== fingerprint) {
        return stripeError(
          400,
          'idempotency_error',
          'Keys for idempotent requests can only be used with the same parameters they were first used with.',
        );
      }
      const response = previous
        ? HttpResponse.json(previous.body as Record<string, unknown>, {
            status: previous.status,
            headers: { 'idempotent-replayed': 'true' },
          })
        : await run(
            params,
            Object.fromEntries(Object.entries(pathParams).map(([k, v]) => [k, String(v)])),
          );
      const answer = await response.clone().json();
      if (key && !previous && response.status < 500) {
        idempotent.set(key, { fingerprint, status: response.status, body: answer });
      }
      const traceparent = request.headers.get('traceparent') ?? undefined;
      exchanges.push({
        operation: name,
        params,
        idempotencyKey: key,
        ...(traceparent ? { traceparent } : {}),
        status: response.status,
        body: answer,
      });
      return response;
    };
    const url = `${API}${path}`;
    return method === 'GET' ? http.get(url, handler) : http.post(url, handler);
  };

  const missing = (what: string, value: string) =>
    stripeError(404, 'invalid_request_error', `No such ${what}: '${value}'`, 'resource_missing');

  const handlers: HttpHandler[] = [
    operation('POST', '/v1/issuing/cardholders', (params) => {
      const holder = cardholderObject(
        id('ich'),
        now(),
        params as unknown as Stripe.Issuing.CardholderCreateParams,
      );
      cardholders.set(holder.id, holder);
      return HttpResponse.json(holder);
    }),
    operation('GET', '/v1/issuing/cardholders', (params) => {
      const data = [...cardholders.values()]
        .filter((holder) => params.email === undefined || holder.email === params.email)
        .reverse()
        .slice(0, Number(params.limit ?? 10));
      return HttpResponse.json({
        object: 'list',
        data,
        has_more: false,
        url: '/v1/issuing/cardholders',
      });
    }),
    operation('POST', '/v1/issuing/cards', (params) => {
      const create = params as unknown as Stripe.Issuing.CardCreateParams;
      const holder = cardholders.get(String(create.cardholder));
      if (!holder) return missing('cardholder', String(create.cardholder));
      const number = newCardNumber();
      const expiry = new Date(clock.now());
      const card = cardObject(id('ic'), now(), holder, create, number.slice(-4), {
        month: expiry.getUTCMonth() + 1,
        year: expiry.getUTCFullYear() + 3,
      });
      const cvc = String(100 + (serial % 900));
      cards.set(card.id, { card, number, cvc });
      return HttpResponse.json(card);
    }),
    operation('GET', '/v1/issuing/cards', (params) =>
      HttpResponse.json({
        object: 'list',
        data: [...cards.values()].map((c) => c.card).slice(0, Number(params.limit ?? 10)),
        has_more: false,
        url: '/v1/issuing/cards',
      }),
    ),
    operation('GET', '/v1/issuing/cards/:card', (params, path) => {
      const found = cards.get(path.card ?? '');
      if (!found) return missing('issuing card', path.card ?? '');
      const expand = Object.values((params.expand as FormValue[] | undefined) ?? []);
      return HttpResponse.json({
        ...found.card,
        ...(expand.includes('number') ? { number: found.number } : {}),
        ...(expand.includes('cvc') ? { cvc: found.cvc } : {}),
      });
    }),
    operation('POST', '/v1/issuing/cards/:card', (params, path) => {
      const found = cards.get(path.card ?? '');
      if (!found) return missing('issuing card', path.card ?? '');
      const update = params as unknown as Stripe.Issuing.CardUpdateParams;
      if (found.card.status === 'canceled' && update.status !== undefined) {
        return stripeError(
          400,
          'invalid_request_error',
          'This card has been canceled.',
          'card_canceled',
        );
      }
      if (update.status)
        found.card = { ...found.card, status: update.status as Stripe.Issuing.Card.Status };
      return HttpResponse.json(found.card);
    }),
    operation('POST', '/v1/test_helpers/issuing/authorizations', async (params) => {
      const create = params as unknown as TestAuthorizationParams;
      const found = cards.get(String(create.card));
      if (!found) return missing('issuing card', String(create.card));
      const amount = Number(create.amount);
      const authorization = authorizationObject(id('iauth'), now(), found.card, {
        amount,
        currency: String(create.currency ?? found.card.currency),
        merchantName: create.merchant_data?.name ?? 'Simulated Merchant',
        category: create.merchant_data?.category ?? 'miscellaneous_general_merchandise',
      });
      const decided = await decide(found, authorization, amount);
      authorizations.set(decided.id, decided);
      delivery.queue(event('issuing_authorization.created', decided));
      return HttpResponse.json(decided);
    }),
    operation(
      'POST',
      '/v1/test_helpers/issuing/authorizations/:authorization/capture',
      (_params, path) => {
        const authorization = authorizations.get(path.authorization ?? '');
        if (!authorization) return missing('issuing authorization', path.authorization ?? '');
        if (!authorization.approved || authorization.status !== 'pending') {
          return stripeError(
            400,
            'invalid_request_error',
            'This authorization cannot be captured.',
          );
        }
        const transaction = captureObject(id('ipi'), now(), authorization, authorization.amount);
        const closed = {
          ...authorization,
          status: 'closed',
          transactions: [transaction],
        } as Stripe.Issuing.Authorization;
        authorizations.set(closed.id, closed);
        delivery.queue(event('issuing_transaction.created', transaction));
        return HttpResponse.json(closed);
      },
    ),
  ];

  /** Stripe's own checks first (status, spending controls), then the webhook's answer. */
  const decide = async (
    found: SimulatedCard,
    authorization: Stripe.Issuing.Authorization,
    amount: number,
  ) => {
    const card = found.card;
    const spent = [...authorizations.values()]
      .filter((a) => a.card.id === card.id && a.approved)
      .reduce((sum, a) => sum + a.amount, 0);
    const limit = card.spending_controls.spending_limits?.find(
      (l) => l.interval === 'all_time',
    )?.amount;
    const allowed = card.spending_controls.allowed_categories;
    let reason: Stripe.Issuing.Authorization.RequestHistory.Reason | undefined;
    if (card.status !== 'active') reason = 'card_inactive';
    else if (
      (limit !== undefined && spent + amount > limit) ||
      (allowed && !allowed.includes(authorization.merchant_data.category as never))
    )
      reason = 'spending_controls';
    let approved = false;
    let metadata: Record<string, string> = {};
    if (!reason) {
      const answer = await delivery.ask(event('issuing_authorization.request', authorization));
      approved = answer.approved;
      metadata = answer.metadata;
      reason = answer.reason;
    }
    const decided = {
      ...authorization,
      approved,
      amount: approved ? amount : 0,
      status: approved ? 'pending' : 'closed',
      pending_request: null,
      metadata,
      request_history: [
        {
          amount,
          amount_details: null,
          approved,
          authorization_code: approved ? authorization.id.slice(-6).toUpperCase() : null,
          created: now(),
          currency: card.currency,
          merchant_amount: amount,
          merchant_currency: authorization.merchant_currency,
          network_risk_score: null,
          reason,
          reason_message: null,
          requested_at: null,
        },
      ],
    } as Stripe.Issuing.Authorization;
    const paymentCount = card.lifecycle_controls?.cancel_after.payment_count;
    if (approved && paymentCount !== undefined) {
      const payments =
        [...authorizations.values()].filter((a) => a.card.id === card.id && a.approved).length + 1;
      if (payments >= paymentCount) found.card = { ...card, status: 'canceled' };
    }
    return decided;
  };

  /**
   * Answers a request as Stripe would, without intercepting anything: give it to the
   * client as `httpClient: Stripe.createFetchHttpClient(simulator.fetch)`.
   */
  const simulatedFetch = async (
    input: RequestInfo | URL,
    init?: RequestInit,
  ): Promise<Response> => {
    const request = new Request(input, init);
    const response = await getResponse(handlers, request);
    if (!response)
      throw new TypeError(
        `The Stripe simulation has no answer for ${request.method} ${new URL(request.url).pathname}`,
      );
    if (response.type === 'error')
      throw new TypeError('fetch failed: the simulated network is down');
    return response;
  };

  return {
    handlers,
    fetch: simulatedFetch,
    /** Cards by id, with their number and CVC (the simulation's own view). */
    cards: cards as ReadonlyMap<string, SimulatedCard>,
    cardholders: cardholders as ReadonlyMap<string, Stripe.Issuing.Cardholder>,
    /** An event as Stripe would send it (not sent: see `deliver`). */
    event,
    /** Every request answered, in order. */
    exchanges,
    /** Every event sent, with the endpoint's answer. */
    deliveries: delivery.log,
    /** Makes the next request to `operation` (or any, with `*`) fail. */
    failNext(operation: string, failure: SimulatedStripeFailure, times = 1) {
      for (let i = 0; i < times; i += 1) failures.push({ operation, failure });
    },
    /** Where events go from now on. */
    setEndpoint: delivery.setEndpoint,
    /** Holds events back (to deliver them by hand, in any order) or lets them flow again. */
    pauseDeliveries: delivery.pause,
    /** Events held back while paused. */
    held: delivery.held,
    /** Delivers one event (again), signed afresh. */
    deliver: delivery.send,
    /** Waits until every queued event was delivered. */
    idle: delivery.idle,
  };
}

/**
 * A simulation made by {@link createStripeIssuingSimulator}.
 *
 * @example
 * ```ts
 * import type { StripeIssuingSimulator } from '@handshake/stripe/testing';
 * declare const simulator: StripeIssuingSimulator;
 *
 * await simulator.idle(); // every queued event delivered
 * console.log(simulator.cards.size, simulator.deliveries.length);
 * ```
 */
export type StripeIssuingSimulator = ReturnType<typeof createStripeIssuingSimulator>;
