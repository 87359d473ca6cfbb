import { type ErrorCode, errorEnvelope, HandshakeError, isErrorCode } from '@handshake/protocol';

const BASE_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/**
 * A JSON response with the headers every Handshake answer carries.
 *
 * @example
 * ```ts
 * import { jsonResponse } from '@handshake/core';
 *
 * const response = jsonResponse(200, { status: 'ok' });
 * ```
 */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  const text = JSON.stringify(body);
  const response = new Response(text, { status, headers: { ...BASE_HEADERS, ...headers } });
  (response as Response & { [TEXT_BODY]?: string })[TEXT_BODY] = text;
  return response;
}

/**
 * Where a {@link jsonResponse} keeps the text its body was made from, so that a server
 * adapter can send it as it is instead of reading the body stream back (see
 * {@link textBodyOf}). A registered symbol: the Node entry and the main entry may be
 * bundled apart.
 */
const TEXT_BODY = Symbol.for('@handshake/core:text-body');

/**
 * The text of a {@link jsonResponse}'s body while that body has not been read, otherwise
 * `undefined` (then read the body).
 *
 * @example
 * ```ts
 * import { jsonResponse, textBodyOf } from './responses.js'; // internal: not exported by the package
 *
 * textBodyOf(jsonResponse(200, { status: 'ok' })); // '{"status":"ok"}'
 * ```
 */
export function textBodyOf(response: Response): string | undefined {
  const text = (response as Response & { [TEXT_BODY]?: unknown })[TEXT_BODY];
  return typeof text === 'string' && !response.bodyUsed ? text : undefined;
}

/**
 * A JSON answer of the handler's own, not yet a `Response`: what {@link jsonResponse}
 * would make, kept as its status, text and extra headers, so that a server adapter that
 * writes to its runtime directly never builds the `Response` (see `NATIVE_ENTRY` in
 * `handler.ts`). The fetch-style handler turns it into the same `Response` as
 * {@link jsonResponse}.
 *
 * @example
 * ```ts
 * import { JsonAnswer } from './responses.js'; // internal: not exported by the package
 *
 * const answer = JsonAnswer.of(200, { status: 'ok' });
 * answer.toResponse(); // the Response jsonResponse(200, { status: 'ok' }) makes
 * ```
 */
export class JsonAnswer {
  private constructor(
    readonly status: number,
    readonly text: string,
    readonly headers: Readonly<Record<string, string>> | undefined,
  ) {}

  static of(status: number, body: unknown, headers?: Record<string, string>): JsonAnswer {
    return new JsonAnswer(status, JSON.stringify(body), headers);
  }

  /**
   * The header names and values in the order a `Response`'s headers iterate (names in
   * lower case, sorted), so that a server writing them sends the same bytes as it would
   * for {@link toResponse}.
   */
  headerList(): ReadonlyArray<readonly [string, string]> {
    if (this.headers === undefined) return BASE_HEADER_LIST;
    return [...new Headers({ ...BASE_HEADERS, ...this.headers })];
  }

  toResponse(): Response {
    const response = new Response(this.text, {
      status: this.status,
      headers: this.headers === undefined ? BASE_HEADERS : { ...BASE_HEADERS, ...this.headers },
    });
    (response as Response & { [TEXT_BODY]?: string })[TEXT_BODY] = this.text;
    return response;
  }
}

const BASE_HEADER_LIST: ReadonlyArray<readonly [string, string]> = [...new Headers(BASE_HEADERS)];

/**
 * The error envelope for any thrown value. Only `HandshakeError` messages are sent;
 * anything else becomes `500 INTERNAL_ERROR` with a fixed message, so no stack, path
 * or secret leaks.
 *
 * @example
 * ```ts
 * import { errorResponse, HandshakeError } from '@handshake/core';
 *
 * const response = errorResponse(new HandshakeError('NOT_FOUND', 'No such approval'));
 * ```
 */
export function errorResponse(error: unknown): Response {
  return errorAnswer(error).toResponse();
}

/**
 * {@link errorResponse} as a {@link JsonAnswer}.
 *
 * @example
 * ```ts
 * import { errorAnswer } from './responses.js'; // internal: not exported by the package
 *
 * errorAnswer(new Error('hidden')).status; // 500
 * ```
 */
export function errorAnswer(error: unknown): JsonAnswer {
  if (HandshakeError.isInstance(error)) {
    const code: ErrorCode = isErrorCode(error.code) ? error.code : 'INTERNAL_ERROR';
    const headers: Record<string, string> = {};
    if (error.retryAfterSeconds !== undefined)
      headers['retry-after'] = String(error.retryAfterSeconds);
    return JsonAnswer.of(
      error.status,
      errorEnvelope(code, error.message),
      error.retryAfterSeconds === undefined ? undefined : headers,
    );
  }
  return JsonAnswer.of(500, errorEnvelope('INTERNAL_ERROR', 'An internal error occurred'));
}
