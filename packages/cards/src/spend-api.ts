import {
  type ApprovalReason,
  type CallerContext,
  cryptoRandomSource,
  type HandshakeEngine,
  type HandshakeRoute,
  jsonResponse,
  type LimitsView,
  liveTimers,
  type RandomSource,
  type RouteContext,
  systemTimers,
  type TimerScheduler,
} from '@handshake/core';
import { base64urlEncode, formatMoney, HandshakeError, parseMoney } from '@handshake/protocol';
import {
  type AuthorizationStatusResponse,
  type CardCreationResponse,
  type CheckoutResponse,
  CREATE_VIRTUAL_CARD,
  CreateVirtualCardRequestSchema,
  cardPurchaseParameters,
  MockCheckoutRequestSchema,
  type SpendApiInfo,
  type SpendEndpoint,
  type SpendLimitsResponse,
  ValidateTransactionRequestSchema,
  type ValidationResponse,
} from '@handshake/protocol/cards';
import { withFieldPath } from './field-path.js';
import type { SpendTools } from './spend-tools.js';
import { validationEventStream } from './validation-stream.js';

/**
 * Options of {@link spendApiRoutes}.
 *
 * @example
 * ```ts
 * import { type SpendApiOptions, spendApiRoutes, spendTools } from '@handshake/cards';
 * import { simulatedCardIssuer } from '@handshake/cards/testing';
 * import { createHandshake, createHandshakeHandler } from '@handshake/core';
 *
 * const tools = spendTools({ issuer: simulatedCardIssuer() });
 * const engine = createHandshake({ tools: [tools], limits: { currency: 'USD', daily: '200.00' } });
 * const options: SpendApiOptions = { tools, basePath: '/api/mcp', info: { name: 'Example spend API' } };
 * const handler = createHandshakeHandler(engine, { routes: spendApiRoutes(engine, options) });
 * ```
 */
export interface SpendApiOptions {
  /** The card-purchase tools registered with the same engine (`spendTools(…)`). */
  tools: SpendTools;
  /** Where the routes live, after the handler's own base path (default `/api/mcp`). */
  basePath?: string;
  /** What `GET /info` reports. */
  info?: { name?: string; version?: string; description?: string };
  /** SSE heartbeat interval of validation streams (default 15 s). */
  heartbeatMs?: number;
  /** Safety-net poll of validation streams, for stores that cannot notify (default 2 s). */
  pollMs?: number;
  /** Timers of validation streams; injected by tests. */
  timers?: TimerScheduler;
  /** Randomness for order and receipt numbers of the mock checkout. */
  random?: RandomSource;
}

const DEFAULT_TIMEOUT_SECONDS = 60;

const ENDPOINTS: readonly SpendEndpoint[] = [
  {
    method: 'GET',
    path: '/info',
    description: 'This server and its endpoints',
    authentication: 'none',
    responses: ['application/json'],
  },
  {
    method: 'GET',
    path: '/limits',
    description: 'Spending limits and remaining balances (reservations counted)',
    authentication: 'required',
    responses: ['application/json'],
  },
  {
    method: 'POST',
    path: '/validate-transaction',
    description:
      'Validate a purchase: JSON with a validation token when within every limit, otherwise a ' +
      'Server-Sent Events stream that waits for the user (pending, then approved, denied or timeout)',
    authentication: 'required',
    responses: ['application/json', 'text/event-stream'],
  },
  {
    method: 'GET',
    path: '/authorization-status',
    description: 'Poll a pending validation by ?id=authorization_id (alternative to the stream)',
    authentication: 'required',
    responses: ['application/json'],
  },
  {
    method: 'POST',
    path: '/create-virtual-card',
    description:
      'Create a single-use virtual card with a validation token; the token is consumed once ' +
      'and the card cannot exceed the validated amount',
    authentication: 'required',
    responses: ['application/json'],
  },
  {
    method: 'POST',
    path: '/mock-checkout',
    description: 'Simulate a merchant checkout with a virtual card (testing)',
    authentication: 'optional',
    responses: ['application/json'],
  },
];

function normalizeBasePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function limitsResponse(view: LimitsView | undefined): SpendLimitsResponse {
  if (!view) {
    return { enabled: { daily: false, weekly: false, monthly: false, transaction: false } };
  }
  const out: SpendLimitsResponse = {
    currency: view.currency,
    time_zone: view.timeZone,
    enabled: view.enabled,
  };
  for (const window of view.windows) {
    out[window.window] = {
      amount: window.limit,
      remaining: window.remaining,
      used: window.used,
      currency: view.currency,
      resets_at: window.resetsAt,
    };
  }
  if (view.transaction !== undefined) {
    // The configured text (e.g. "500"), written with the currency's decimals.
    const amount = formatMoney(
      parseMoney(view.transaction, view.currency, { allowZero: true }),
      view.currency,
    );
    out.transaction = { amount, currency: view.currency };
  }
  return out;
}

function reasonNames(reasons: readonly ApprovalReason[] | undefined) {
  return (reasons ?? []).map((reason) => (reason.kind === 'tier' ? 'tier' : reason.window));
}

function pendingMessage(reasons: ReturnType<typeof reasonNames>): string {
  const windows = reasons.filter((reason) => reason !== 'tier');
  if (windows.length === 0) return "Waiting for the user's approval of this purchase";
  return `The purchase exceeds the ${windows.join(', ')} limit${windows.length > 1 ? 's' : ''}: waiting for the user's approval`;
}

/** The credential of a request, after the engine accepted it. */
async function session(ctx: RouteContext) {
  const identity = await ctx.engine.identify(ctx.credential);
  return { identity, credential: ctx.credential as string };
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The spend API of the LayrPay seed on the handshake engine, as routes for
 * `createHandshakeHandler({ routes })`: `GET /info`, `GET /limits`,
 * `POST /validate-transaction`, `GET /authorization-status?id=`,
 * `POST /create-virtual-card` and `POST /mock-checkout`, under `/api/mcp`.
 *
 * A validation is an authorization of `create_virtual_card` for the merchant and the
 * amount, so spending limits are reserved atomically and an over-limit purchase waits
 * for a person over Server-Sent Events; a card creation is its execute, which consumes
 * the validation token once. See `docs/spend-api.md`.
 *
 * @example
 * ```ts
 * import { spendApiRoutes, spendTools } from '@handshake/cards';
 * import { simulatedCardIssuer } from '@handshake/cards/testing';
 * import { createHandshake, createHandshakeHandler, staticSessionVerifier } from '@handshake/core';
 *
 * const spend = spendTools({ issuer: simulatedCardIssuer() });
 * const engine = createHandshake({
 *   tools: [spend],
 *   sessions: staticSessionVerifier({ 'dev-token-alice': 'alice' }),
 *   limits: { currency: 'USD', daily: '1000.00' },
 * });
 * const handler = createHandshakeHandler(engine, {
 *   routes: spendApiRoutes(engine, { tools: spend }),
 * });
 * ```
 */
export function spendApiRoutes(
  engine: HandshakeEngine,
  options: SpendApiOptions,
): HandshakeRoute[] {
  const { tools } = options;
  const basePath = normalizeBasePath(options.basePath ?? '/api/mcp');
  // The validation streams of these routes share one heartbeat, one poll and one
  // deadline timer.
  const live = liveTimers({
    heartbeatMs: options.heartbeatMs ?? 15_000,
    pollMs: options.pollMs ?? 2_000,
    timers: options.timers ?? systemTimers,
  });
  const random = options.random ?? cryptoRandomSource;
  const reference = (prefix: string) => `${prefix}_${base64urlEncode(random(new Uint8Array(12)))}`;
  const info: SpendApiInfo = {
    name: options.info?.name ?? 'handshake-spend-api',
    version: options.info?.version ?? '1.0.0',
    description:
      options.info?.description ??
      'Spending limits, purchase validation with human approval over Server-Sent Events, and single-use virtual cards',
    basePath,
    endpoints: ENDPOINTS.map((endpoint) => ({ ...endpoint, path: `${basePath}${endpoint.path}` })),
  };

  return [
    {
      method: 'GET',
      path: `${basePath}/info`,
      handle: () => jsonResponse(200, info),
    },
    {
      method: 'GET',
      path: `${basePath}/limits`,
      async handle(ctx) {
        return jsonResponse(200, limitsResponse(await engine.limits(ctx.credential)));
      },
    },
    {
      method: 'POST',
      path: `${basePath}/validate-transaction`,
      async handle(ctx) {
        // Authenticate first, so a stranger learns nothing from body errors.
        const { identity, credential } = await session(ctx);
        const body = await ctx.body(ValidateTransactionRequestSchema);
        const parameters = withFieldPath('amount', () =>
          cardPurchaseParameters(
            body.merchant.name,
            body.amount,
            body.currency,
            body.merchant_categories,
          ),
        );
        const metadata = {
          ...(body.product !== undefined ? { product: body.product } : {}),
          ...(body.agent_name !== undefined ? { agent_name: body.agent_name } : {}),
        };
        const answer = await engine.authorize(
          {
            tool: CREATE_VIRTUAL_CARD,
            parameters,
            ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
          },
          credential,
          callerOf(ctx),
        );
        if (answer.status === 'authorized') {
          const approved: ValidationResponse = {
            // Approved by a confirmation agent or rules rather than within limits.
            status: answer.approvalId ? 'approved' : 'auto_approved',
            validation_token: answer.ephemeralToken,
            authorization_id: answer.approvalId ?? answer.transactionId,
            transaction_id: answer.transactionId,
            expires_at: answer.expiresAt,
            amount: parameters.amount,
            message: answer.approvalId
              ? 'Approved: create the virtual card with this validation token before it expires'
              : 'Within every spending limit: create the virtual card with this validation token before it expires',
          };
          return jsonResponse(200, approved);
        }
        const reasons = reasonNames(answer.reasons);
        return validationEventStream({
          engine,
          credential,
          identity,
          pending: {
            status: 'pending',
            authorization_id: answer.approvalId,
            transaction_id: answer.transactionId,
            expires_at: answer.expiresAt,
            amount: parameters.amount,
            reasons,
            message: pendingMessage(reasons),
          },
          timeoutMs: (body.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
          live,
          signal: ctx.request.signal,
        });
      },
    },
    {
      method: 'GET',
      path: `${basePath}/authorization-status`,
      async handle(ctx) {
        const { credential } = await session(ctx);
        const id = ctx.url.searchParams.get('id');
        if (!id || id.length > 200) {
          throw new HandshakeError(
            'VALIDATION_ERROR',
            'id must be the authorization_id of a pending validation',
            { path: 'id' },
          );
        }
        const view = await engine.approvalStatus(id, credential);
        if (view.tool !== CREATE_VIRTUAL_CARD) {
          throw new HandshakeError('NOT_FOUND', 'No such authorization');
        }
        const messages = {
          pending: "Waiting for the user's decision",
          approved: view.ephemeralToken
            ? 'Approved: create the virtual card with this validation token before it expires'
            : view.executed
              ? 'Approved, and the virtual card was already created with it'
              : 'Approved, but the validation token has lapsed',
          denied: 'The purchase was denied',
          expired: 'No decision was made before the authorization expired',
          withdrawn: 'The requester withdrew the authorization before a decision',
        } as const;
        const answer: AuthorizationStatusResponse = {
          status: view.status,
          authorization_id: view.approvalId,
          transaction_id: view.transactionId,
          ...(view.ephemeralToken ? { validation_token: view.ephemeralToken } : {}),
          ...(view.status === 'pending'
            ? { expires_at: view.expiresAt }
            : view.ephemeralToken && view.tokenExpiresAt
              ? { expires_at: view.tokenExpiresAt }
              : {}),
          ...(view.executed ? { executed: true } : {}),
          ...(view.reason !== undefined ? { reason: view.reason } : {}),
          message: messages[view.status],
        };
        return jsonResponse(200, answer);
      },
    },
    {
      method: 'POST',
      path: `${basePath}/create-virtual-card`,
      async handle(ctx) {
        const { credential } = await session(ctx);
        const body = await ctx.body(CreateVirtualCardRequestSchema);
        const purchase = withFieldPath('transaction_amount', () =>
          cardPurchaseParameters(
            body.merchant_name,
            body.transaction_amount,
            body.transaction_currency,
            body.merchant_categories,
          ),
        );
        // Checked before the token is touched: a refused card leaves the token usable.
        const terms = await tools.cardTerms(
          purchase,
          {
            amount: body.card_amount,
            currency: body.card_currency,
            ...(body.exchange_rate !== undefined ? { exchangeRate: body.exchange_rate } : {}),
          },
          body.agent_name,
        );
        // The card's terms travel with this execution to the tool; the tool checks them
        // against the validated purchase again.
        const answer = await engine.execute(
          {
            ephemeralToken: body.validation_token,
            tool: CREATE_VIRTUAL_CARD,
            parameters: purchase,
            ...(body.transaction_id !== undefined ? { transactionId: body.transaction_id } : {}),
            ...(body.signature !== undefined ? { signature: body.signature } : {}),
          },
          credential,
          { ...callerOf(ctx), terms },
        );
        const card = answer.result as CardCreationResponse;
        if (answer.replayed) {
          // An identical retry (a lost response) gets the same card again; a request for
          // a different card finds the token spent.
          if (
            card.spendingLimit !== terms.spendingLimit.value ||
            card.currency !== terms.spendingLimit.currency
          ) {
            throw new HandshakeError(
              'TOKEN_ALREADY_USED',
              'The validation token was already used to create a card',
            );
          }
          return jsonResponse(200, { ...card, replayed: true });
        }
        return jsonResponse(200, card);
      },
    },
    {
      method: 'POST',
      path: `${basePath}/mock-checkout`,
      async handle(ctx) {
        // Optional, as in the seed; a credential that is sent must be valid.
        if (ctx.credential !== undefined) await engine.identify(ctx.credential);
        const body = await ctx.body(MockCheckoutRequestSchema);
        if (!tools.issuer.simulateCharge) {
          throw new HandshakeError('NOT_FOUND', 'This card issuer does not simulate checkouts');
        }
        const charge = await tools.issuer.simulateCharge({
          cardNumber: body.card_details.card_number,
          cvc: body.card_details.cvc,
          expMonth: body.card_details.exp_month,
          expYear: body.card_details.exp_year,
          ...(body.merchant !== undefined ? { merchant: body.merchant } : {}),
          ...(body.amount !== undefined
            ? {
                amount: {
                  value: body.amount,
                  ...(body.currency !== undefined ? { currency: body.currency } : {}),
                },
              }
            : {}),
        });
        const customer = body.customer_details;
        const product = body.product ?? {};
        const order: CheckoutResponse = {
          order_id: reference('ord'),
          status: 'confirmed',
          product: {
            ...product,
            name:
              typeof product.name === 'string'
                ? product.name
                : `Purchase at ${charge.merchantName}`,
            quantity: typeof product.quantity === 'number' ? product.quantity : 1,
            price: charge.amount.value,
            currency: charge.amount.currency,
          },
          payment: {
            charge_id: charge.chargeId,
            card_id: charge.cardId,
            brand: charge.brand,
            last4: charge.last4,
            amount: charge.amount.value,
            currency: charge.amount.currency,
            authorization_code: charge.authorizationCode,
            status: 'captured',
          },
          shipping: {
            name: customer.name,
            ...(customer.shipping_address || customer.billing_address
              ? { address: customer.shipping_address ?? customer.billing_address }
              : {}),
            method: 'standard',
            estimated_delivery: isoDate(charge.chargedAt + 5 * 86_400_000),
          },
          merchant: { name: charge.merchantName },
          receipt: {
            receipt_number: reference('rcpt'),
            issued_at: new Date(charge.chargedAt).toISOString(),
            ...(customer.email !== undefined ? { email: customer.email } : {}),
            subtotal: charge.amount.value,
            tax: formatMoney(0n, charge.amount.currency),
            total: charge.amount.value,
            currency: charge.amount.currency,
          },
        };
        return jsonResponse(200, order);
      },
    },
  ];
}

/** The caller's address, for rate limits and refusal counts. */
function callerOf(ctx: RouteContext): CallerContext {
  return ctx.clientAddress ? { clientAddress: ctx.clientAddress } : {};
}
