import type { Clock } from '@handshake/core';
import { formatMoney, parseMoney } from '@handshake/protocol';
import type { IdSource } from './ids.js';
import type { JsonObject, PayPalMoney, PayPalSimulatorState } from './state.js';

/** The state with the simulator's id source. */
export type InternalState = PayPalSimulatorState & { idSource: IdSource };

/** What a route handler receives. */
export interface RouteContext {
  request: Request;
  url: URL;
  /** `https://api.sandbox.paypal.com`, as the request was addressed. */
  origin: string;
  params: Record<string, string>;
  state: InternalState;
  clock: Clock;
  /** The JSON body (a `400 INVALID_REQUEST` when it is not JSON). */
  json(): Promise<unknown>;
}

/** One endpoint of the simulated API. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with `:name` segments, e.g. `/v2/checkout/orders/:id`. */
  path: string;
  /** Set to false for the OAuth token endpoint. */
  auth?: false;
  /**
   * Set where PayPal honours `PayPal-Request-Id`: how long it keeps the id (see
   * `REQUEST_ID_RETENTION_MS`). A repeat within that time gets the first answer.
   */
  requestIdRetentionMs?: number;
  handle(context: RouteContext): Response | Promise<Response>;
}

/** Thrown by handlers to answer with a PayPal error body. */
export class PayPalFailure extends Error {
  constructor(readonly response: Response) {
    super('PayPal error response');
  }
}

/** A link object (`link_description`). */
export function link(href: string, rel: string, method = 'GET') {
  return { href, rel, method };
}

/** A JSON answer. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** `204 No Content`. */
export function noContent(): Response {
  return new Response(null, { status: 204 });
}

const ERROR_MESSAGES: Record<string, string> = {
  INVALID_REQUEST: 'Request is not well-formed, syntactically incorrect, or violates schema.',
  RESOURCE_NOT_FOUND: 'The specified resource does not exist.',
  UNPROCESSABLE_ENTITY:
    'The requested action could not be performed, semantically incorrect, or failed business validation.',
  NOT_AUTHORIZED: 'Authorization failed due to insufficient permissions.',
};

/**
 * A PayPal REST error body (`{ name, message, debug_id, details, links }`), the shape the
 * toolkit's error handling reads (`message`, then each detail's `description`).
 */
export function paypalError(
  state: InternalState,
  status: number,
  name: keyof typeof ERROR_MESSAGES,
  issue: string,
  description: string,
  field?: string,
): PayPalFailure {
  const debugId = state.idSource.debugId();
  return new PayPalFailure(
    json(
      {
        name,
        message: ERROR_MESSAGES[name],
        debug_id: debugId,
        details: [
          {
            ...(field ? { field, location: 'body' } : {}),
            issue,
            description,
          },
        ],
        links: [
          link(
            `https://developer.paypal.com/api/rest/reference/orders/v2/errors/#${issue}`,
            'information_link',
          ),
        ],
      },
      status,
      { 'paypal-debug-id': debugId },
    ),
  );
}

/** `404 RESOURCE_NOT_FOUND` for an unknown id (PayPal's text, whatever the resource). */
export function notFound(state: InternalState): PayPalFailure {
  return paypalError(
    state,
    404,
    'RESOURCE_NOT_FOUND',
    'INVALID_RESOURCE_ID',
    'Specified resource ID does not exist. Please check the resource ID and try again.',
  );
}

/** The entry of `entries` under the path's `:id` (or `id`), or PayPal's `404`. */
export function resource<T>(
  context: RouteContext,
  entries: ReadonlyMap<string, T>,
  id = context.params.id ?? '',
): T {
  const found = entries.get(id);
  if (!found) throw notFound(context.state);
  return found;
}

/** `400 INVALID_REQUEST` naming a field. */
export function invalid(
  state: InternalState,
  issue: string,
  description: string,
  field?: string,
): PayPalFailure {
  return paypalError(state, 400, 'INVALID_REQUEST', issue, description, field);
}

/** `422 UNPROCESSABLE_ENTITY`. */
export function unprocessable(
  state: InternalState,
  issue: string,
  description: string,
  field?: string,
): PayPalFailure {
  return paypalError(state, 422, 'UNPROCESSABLE_ENTITY', issue, description, field);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a money object from a request, answering PayPal's 400 when it is malformed. */
export function readMoney(state: InternalState, value: unknown, field: string): PayPalMoney {
  if (
    !isObject(value) ||
    typeof value.currency_code !== 'string' ||
    typeof value.value !== 'string'
  ) {
    throw invalid(state, 'MISSING_REQUIRED_PARAMETER', 'A required parameter is missing.', field);
  }
  if (!/^[A-Z]{3}$/.test(value.currency_code)) {
    throw invalid(
      state,
      'INVALID_CURRENCY_CODE',
      'Currency code is invalid or is not currently supported.',
      `${field}/currency_code`,
    );
  }
  try {
    parseMoney(value.value, value.currency_code, { allowZero: true });
  } catch {
    throw invalid(
      state,
      'INVALID_PARAMETER_SYNTAX',
      'The value of a field does not conform to the expected format.',
      `${field}/value`,
    );
  }
  return { currency_code: value.currency_code, value: value.value };
}

/** Minor units of PayPal money. */
export function minorOf(money: PayPalMoney): bigint {
  return parseMoney(money.value, money.currency_code, { allowZero: true, allowNegative: true });
}

/** PayPal money from minor units, written with the currency's decimals. */
export function moneyOf(minor: bigint, currency: string): PayPalMoney {
  return { currency_code: currency, value: formatMoney(minor, currency) };
}

/**
 * `minor × decimal`, rounded half up: quantities ("1.5" hours) and percentages.
 */
export function scale(minor: bigint, decimal: string, divisor = 1n): bigint {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(decimal);
  if (!match) return 0n;
  const fraction = match[2] ?? '';
  const numerator = BigInt(`${match[1]}${fraction}`);
  const denominator = 10n ** BigInt(fraction.length) * divisor;
  const product = minor * numerator;
  const rounded = (product * 2n + denominator) / (2n * denominator);
  return product < 0n ? -((-product * 2n + denominator) / (2n * denominator)) : rounded;
}

/** Reads `page` and `page_size` query parameters. */
export function paging(url: URL, defaultSize: number, maxSize: number) {
  const page = Math.max(1, Number.parseInt(url.searchParams.get('page') ?? '1', 10) || 1);
  const requested = Number.parseInt(url.searchParams.get('page_size') ?? '', 10);
  const size = Math.min(maxSize, Math.max(1, Number.isFinite(requested) ? requested : defaultSize));
  return { page, size };
}

/** One page of `items`, with PayPal's totals when asked for. */
export function page<T>(items: readonly T[], url: URL, defaultSize: number, maxSize: number) {
  const { page: number, size } = paging(url, defaultSize, maxSize);
  const totalPages = Math.max(1, Math.ceil(items.length / size));
  return {
    slice: items.slice((number - 1) * size, number * size),
    totals:
      url.searchParams.get('total_required') === 'true'
        ? { total_items: items.length, total_pages: totalPages }
        : {},
    number,
    totalPages,
  };
}
