import { type ErrorCode, isErrorCode } from '../errors/codes.js';
import { errorEnvelope, HandshakeError } from '../errors/handshake-error.js';

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
  if (HandshakeError.isInstance(error)) {
    const code: ErrorCode = isErrorCode(error.code) ? error.code : 'INTERNAL_ERROR';
    const headers: Record<string, string> = {};
    if (error.retryAfterSeconds !== undefined)
      headers['retry-after'] = String(error.retryAfterSeconds);
    return jsonResponse(error.status, errorEnvelope(code, error.message), headers);
  }
  return jsonResponse(500, errorEnvelope('INTERNAL_ERROR', 'An internal error occurred'));
}
