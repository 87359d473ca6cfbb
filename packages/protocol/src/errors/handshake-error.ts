import { ERROR_STATUS, type ErrorCode } from './codes.js';

const BRAND = Symbol.for('handshake.error');

/**
 * Options accepted by {@link HandshakeError}.
 *
 * @example
 * ```ts
 * import { HandshakeError, type HandshakeErrorOptions } from '@handshake/protocol';
 *
 * const options: HandshakeErrorOptions = { retryAfterSeconds: 2 };
 * throw new HandshakeError('STORE_UNAVAILABLE', 'The store did not answer in time', options);
 * ```
 */
export interface HandshakeErrorOptions {
  /** The underlying error, kept for debugging; never serialized onto the wire. */
  cause?: unknown;
  /** HTTP status; defaults to the status of the code. */
  status?: number;
  /** Seconds after which a `RATE_LIMITED` or `STORE_UNAVAILABLE` request may be retried. */
  retryAfterSeconds?: number;
  /** Path of the offending field for `VALIDATION_ERROR`s, e.g. `parameters.amount.value`. */
  path?: string;
}

/**
 * The one error type of Handshake. `code` is stable and machine-readable; `message`
 * says what failed and where, and never holds a token, a card number, a CVC or a raw
 * parameter value.
 *
 * `HandshakeError.isInstance(e)` works across duplicated copies of the package (two
 * versions in one `node_modules`), where `instanceof` would not.
 *
 * @example
 * ```ts
 * import { HandshakeError } from '@handshake/protocol';
 *
 * try {
 *   throw new HandshakeError('TOKEN_EXPIRED', 'Execute failed: the ephemeral token has expired');
 * } catch (error) {
 *   if (HandshakeError.isInstance(error) && error.code === 'TOKEN_EXPIRED') {
 *     // authorize again
 *   }
 * }
 * ```
 */
export class HandshakeError extends Error {
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;
  readonly path: string | undefined;

  constructor(code: ErrorCode, message: string, options: HandshakeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HandshakeError';
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.path = options.path;
  }

  /** True for any `HandshakeError`, from this copy of the package or another. */
  static isInstance(error: unknown): error is HandshakeError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[BRAND] === true
    );
  }

  /** The wire form: `{ success: false, error: { code, message } }`. */
  toEnvelope(): ErrorEnvelope {
    return errorEnvelope(this.code, this.message);
  }
}

/**
 * The error body every Handshake endpoint answers with.
 *
 * @example
 * ```ts
 * import type { ErrorEnvelope } from '@handshake/protocol';
 *
 * const body: ErrorEnvelope = {
 *   success: false,
 *   error: { code: 'TOOL_NOT_ALLOWED', message: 'Authorize refused: tool delete_everything is not allowed' },
 * };
 * ```
 */
export interface ErrorEnvelope {
  success: false;
  error: { code: ErrorCode; message: string };
}

/**
 * Builds the error envelope.
 *
 * @example
 * ```ts
 * import { errorEnvelope } from '@handshake/protocol';
 *
 * const body = errorEnvelope('RATE_LIMITED', 'Too many requests; retry in 3 s');
 * // { success: false, error: { code: 'RATE_LIMITED', message: 'Too many requests; retry in 3 s' } }
 * ```
 */
export function errorEnvelope(code: ErrorCode, message: string): ErrorEnvelope {
  return { success: false, error: { code, message } };
}
