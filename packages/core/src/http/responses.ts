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
  return new Response(JSON.stringify(body), { status, headers: { ...BASE_HEADERS, ...headers } });
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
