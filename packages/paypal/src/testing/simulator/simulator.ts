import { type Clock, systemClock } from '@handshake/core';
import { type HttpHandler, http } from 'msw';
import { billingRoutes } from './billing.js';
import { disputeRoutes } from './disputes.js';
import { type InternalState, invalid, json, PayPalFailure, type Route } from './http.js';
import { invoiceRoutes } from './invoices.js';
import { orderUpdateRoutes } from './order-updates.js';
import { orderRoutes } from './orders.js';
import { reportingRoutes } from './reporting.js';
import { RequestIdReplies } from './request-ids.js';
import { shippingRoutes } from './shipping.js';
import { type PayPalSimulatorState, seedState } from './state.js';

/**
 * The hosts the simulator answers by default: the sandbox host the toolkit calls
 * (`api.sandbox.paypal.com`) and the documented one (`api-m.sandbox.paypal.com`). Live
 * hosts are only simulated when you list them in `baseUrls`.
 *
 * @example
 * ```ts
 * import { createPayPalSimulator, PAYPAL_SANDBOX_BASE_URLS } from '@handshake/paypal/testing';
 *
 * const paypal = createPayPalSimulator({
 *   baseUrls: [...PAYPAL_SANDBOX_BASE_URLS, 'https://paypal.test.internal'],
 * });
 * ```
 */
export const PAYPAL_SANDBOX_BASE_URLS: readonly string[] = Object.freeze([
  'https://api.sandbox.paypal.com',
  'https://api-m.sandbox.paypal.com',
]);

/**
 * The client id the simulator accepts by default.
 *
 * @example
 * ```ts
 * import { createPayPalToolProvider } from '@handshake/paypal';
 * import { SIMULATED_CLIENT_ID, SIMULATED_CLIENT_SECRET } from '@handshake/paypal/testing';
 *
 * const provider = createPayPalToolProvider({
 *   clientId: SIMULATED_CLIENT_ID,
 *   clientSecret: SIMULATED_CLIENT_SECRET,
 * });
 * ```
 */
export const SIMULATED_CLIENT_ID = 'simulated-client-id';
/**
 * The client secret the simulator accepts by default; see {@link SIMULATED_CLIENT_ID}.
 *
 * @example
 * ```ts
 * import { SIMULATED_CLIENT_ID, SIMULATED_CLIENT_SECRET } from '@handshake/paypal/testing';
 *
 * const basic = `Basic ${btoa(`${SIMULATED_CLIENT_ID}:${SIMULATED_CLIENT_SECRET}`)}`;
 * ```
 */
export const SIMULATED_CLIENT_SECRET = 'simulated-client-secret';
/**
 * An access token every simulator accepts without an OAuth exchange (for `accessToken`).
 *
 * @example
 * ```ts
 * import { createPayPalToolProvider } from '@handshake/paypal';
 * import { SIMULATED_ACCESS_TOKEN } from '@handshake/paypal/testing';
 *
 * const provider = createPayPalToolProvider({ accessToken: SIMULATED_ACCESS_TOKEN });
 * ```
 */
export const SIMULATED_ACCESS_TOKEN = 'A21AA-simulated-access-token';

/**
 * Options of {@link createPayPalSimulator}.
 *
 * @example
 * ```ts
 * import type { PayPalSimulatorOptions } from '@handshake/paypal/testing';
 *
 * let now = Date.parse('2026-03-02T10:00:00Z');
 * const options: PayPalSimulatorOptions = {
 *   clock: { now: () => now },
 *   credentials: { clientId: 'my-app', clientSecret: 'my-secret' },
 *   tokenLifetimeSeconds: 600,
 * };
 * ```
 */
export interface PayPalSimulatorOptions {
  /** Origins to answer (default {@link PAYPAL_SANDBOX_BASE_URLS}). */
  baseUrls?: readonly string[];
  /** Drives creation times, token expiry and the seed's dates. */
  clock?: Clock;
  /** Accepted client credentials (default the simulated ones). */
  credentials?: { clientId: string; clientSecret: string };
  /** Lifetime of issued access tokens (default 32400 s, PayPal's). */
  tokenLifetimeSeconds?: number;
}

/**
 * A simulated PayPal REST API.
 *
 * @example
 * ```ts
 * import { createPayPalSimulator, type PayPalSimulator } from '@handshake/paypal/testing';
 *
 * const paypal: PayPalSimulator = createPayPalSimulator();
 * paypal.approveOrder(paypal.state.ids.pendingOrderId);
 * ```
 */
export interface PayPalSimulator {
  /** msw request handlers: give them to `setupServer` (Node) or `setupWorker`. */
  readonly handlers: HttpHandler[];
  /** What the simulated PayPal holds; tests read and change it. */
  readonly state: PayPalSimulatorState;
  /** Marks an order approved, as the payer does on PayPal's checkout page. */
  approveOrder(orderId: string): void;
  /** Restores the seed state (same ids, fresh times), forgetting tokens and requests. */
  reset(): void;
}

function routes(options: PayPalSimulatorOptions, tokenLifetime: number): Route[] {
  const credentials = options.credentials ?? {
    clientId: SIMULATED_CLIENT_ID,
    clientSecret: SIMULATED_CLIENT_SECRET,
  };
  const expected = `Basic ${btoa(`${credentials.clientId}:${credentials.clientSecret}`)}`;
  const oauth: Route = {
    method: 'POST',
    path: '/v1/oauth2/token',
    auth: false,
    async handle({ request, state, clock }) {
      if (request.headers.get('authorization') !== expected) {
        return json(
          { error: 'invalid_client', error_description: 'Client Authentication failed' },
          401,
        );
      }
      const form = new URLSearchParams(await request.text());
      if (form.get('grant_type') !== 'client_credentials') {
        return json(
          { error: 'unsupported_grant_type', error_description: 'unsupported grant_type' },
          400,
        );
      }
      const token = state.idSource.accessToken();
      state.tokens.set(token, clock.now() + tokenLifetime * 1000);
      return json({
        scope:
          'https://uri.paypal.com/services/invoicing https://uri.paypal.com/services/disputes/read-buyer https://uri.paypal.com/services/payments/realtimepayment https://uri.paypal.com/services/disputes/update-seller https://uri.paypal.com/services/payments/payment/authcapture openid https://uri.paypal.com/services/disputes/read-seller https://uri.paypal.com/services/payments/refund https://api-m.paypal.com/v1/vault/credit-card https://uri.paypal.com/services/subscriptions https://uri.paypal.com/services/reporting/search/read https://api-m.paypal.com/v1/payments/.* https://uri.paypal.com/services/shipping/trackers/readwrite',
        access_token: token,
        token_type: 'Bearer',
        app_id: 'APP-80W284485P519543T',
        expires_in: tokenLifetime,
        nonce: `${new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z')}${state.idSource.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 43)}`,
      });
    },
  };
  return [
    oauth,
    ...orderRoutes,
    ...orderUpdateRoutes,
    ...invoiceRoutes,
    ...disputeRoutes,
    ...billingRoutes,
    ...shippingRoutes,
    ...reportingRoutes,
  ];
}

function unauthorized(description: string): Response {
  return json({ error: 'invalid_token', error_description: description }, 401);
}

/**
 * A simulated PayPal REST API as msw handlers, good enough for the real
 * `@paypal/agent-toolkit` code to run end to end: OAuth tokens, invoices (both create
 * answers), orders and captures, refunds, disputes, products, plans, subscriptions,
 * shipment tracking and transaction search. State lives in memory per simulator: what you
 * create can be read back; {@link PayPalSimulatorState.ids} names the seeded records.
 *
 * Requests need `Authorization: Bearer` with a token from `/v1/oauth2/token` or
 * {@link SIMULATED_ACCESS_TOKEN}; errors use PayPal's bodies (`name`, `message`,
 * `details[].issue`).
 *
 * @example
 * ```ts
 * import { setupServer } from 'msw/node';
 * import { createPayPalSimulator } from '@handshake/paypal/testing';
 *
 * const paypal = createPayPalSimulator();
 * const server = setupServer(...paypal.handlers);
 * server.listen({ onUnhandledFrame: 'bypass' });
 * paypal.state.orders.get(paypal.state.ids.approvedOrderId)?.status; // 'APPROVED'
 * ```
 */
export function createPayPalSimulator(options: PayPalSimulatorOptions = {}): PayPalSimulator {
  const clock = options.clock ?? systemClock;
  const tokenLifetime = options.tokenLifetimeSeconds ?? 32_400;
  let state: InternalState = fresh();
  let replies = new RequestIdReplies();

  function fresh(): InternalState {
    const seeded = seedState(clock);
    seeded.tokens.set(SIMULATED_ACCESS_TOKEN, Number.POSITIVE_INFINITY);
    return seeded;
  }

  const baseUrls = (options.baseUrls ?? PAYPAL_SANDBOX_BASE_URLS).map((url) =>
    url.replace(/\/+$/, ''),
  );
  const handlers: HttpHandler[] = [];
  for (const route of routes(options, tokenLifetime)) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    for (const base of baseUrls) {
      handlers.push(
        http[method](`${base}${route.path}`, async ({ request, params }) => {
          const url = new URL(request.url);
          const current = state;
          const currentReplies = replies;
          let body: unknown;
          const respond = async (): Promise<Response> => {
            if (route.auth !== false) {
              const header = request.headers.get('authorization') ?? '';
              const token = /^Bearer (.+)$/.exec(header)?.[1];
              const expiresAt = token === undefined ? undefined : current.tokens.get(token);
              if (expiresAt === undefined)
                return unauthorized('Token signature verification failed');
              if (clock.now() >= expiresAt) return unauthorized('Access Token not found in cache');
            }
            try {
              return await route.handle({
                request,
                url,
                origin: url.origin,
                params: Object.fromEntries(
                  Object.entries(params).map(([key, value]) => [key, String(value)]),
                ),
                state: current,
                clock,
                async json() {
                  const text = await request.text();
                  if (text === '') return undefined;
                  try {
                    body = JSON.parse(text) as unknown;
                    return body;
                  } catch {
                    throw invalid(
                      current,
                      'MALFORMED_REQUEST_JSON',
                      'The request JSON is not well formed.',
                    );
                  }
                },
              });
            } catch (error) {
              if (error instanceof PayPalFailure) return error.response;
              throw error;
            }
          };
          const requestId = request.headers.get('paypal-request-id') ?? undefined;
          const traceparent = request.headers.get('traceparent') ?? undefined;
          const retainMs = route.requestIdRetentionMs;
          const { response, replayed } =
            requestId && retainMs !== undefined
              ? await currentReplies.answer(
                  `${route.method} ${url.pathname} ${requestId}`,
                  retainMs,
                  clock,
                  respond,
                )
              : { response: await respond(), replayed: false };
          current.requests.push({
            method: route.method,
            url: `${url.host}${url.pathname}`,
            ...(url.search ? { query: url.search } : {}),
            ...(body !== undefined ? { body } : {}),
            status: response.status,
            ...(requestId ? { requestId } : {}),
            ...(traceparent ? { traceparent } : {}),
            ...(replayed ? { replayed: true as const } : {}),
          });
          return response;
        }),
      );
    }
  }

  return {
    handlers,
    get state() {
      return state;
    },
    approveOrder(orderId) {
      const order = state.orders.get(orderId);
      if (!order) throw new Error(`The simulator has no order ${orderId}`);
      if (order.status !== 'CREATED' && order.status !== 'PAYER_ACTION_REQUIRED') {
        throw new Error(`Order ${orderId} is ${order.status}; only a new order can be approved`);
      }
      order.status = 'APPROVED';
      order.payer ??= {
        payerId: state.idSource.payerId(),
        givenName: 'John',
        surname: 'Doe',
        email: 'customer@example.com',
        countryCode: 'US',
      };
      order.updateTime = clock.now();
    },
    reset() {
      state = fresh();
      replies = new RequestIdReplies();
    },
  };
}
