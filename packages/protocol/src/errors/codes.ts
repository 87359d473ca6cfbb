/**
 * Every error code Handshake reports, on the wire and in `HandshakeError.code`.
 *
 * The set is stable: codes are added, never renamed or removed. The first group is
 * answered by the service; the last three are raised by clients only.
 *
 * @example
 * ```ts
 * import { ERROR_CODES } from '@handshake/protocol';
 *
 * ERROR_CODES.includes('TOKEN_EXPIRED'); // true
 * ```
 */
export const ERROR_CODES = [
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'VALIDATION_ERROR',
  'TOOL_NOT_ALLOWED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_ALREADY_USED',
  'TRANSACTION_MISMATCH',
  'SIGNATURE_INVALID',
  'APPROVAL_PENDING',
  'APPROVAL_DENIED',
  'APPROVAL_EXPIRED',
  'LIMIT_EXCEEDED',
  'INSUFFICIENT_BALANCE',
  'RATE_LIMITED',
  'EXECUTION_IN_PROGRESS',
  'PROVIDER_ERROR',
  'STORE_UNAVAILABLE',
  'AUDIT_UNAVAILABLE',
  'INTERNAL_ERROR',
  'NETWORK_ERROR',
  'TIMEOUT',
  'ABORTED',
] as const;

/**
 * A stable, machine-readable error code.
 *
 * @example
 * ```ts
 * import { type ErrorCode, HandshakeError } from '@handshake/protocol';
 *
 * function retryable(code: ErrorCode): boolean {
 *   return code === 'RATE_LIMITED' || code === 'STORE_UNAVAILABLE' || code === 'NETWORK_ERROR';
 * }
 * declare const error: unknown;
 * if (HandshakeError.isInstance(error) && retryable(error.code)) {
 *   // try again later
 * }
 * ```
 */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The HTTP status the service answers with for each code. Client-only codes map to
 * the status a proxy would most plausibly have produced, and are never sent.
 *
 * @example
 * ```ts
 * import { ERROR_STATUS } from '@handshake/protocol';
 *
 * ERROR_STATUS.TOKEN_ALREADY_USED; // 409
 * ```
 */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  VALIDATION_ERROR: 400,
  TOOL_NOT_ALLOWED: 403,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_ALREADY_USED: 409,
  TRANSACTION_MISMATCH: 403,
  SIGNATURE_INVALID: 403,
  APPROVAL_PENDING: 409,
  APPROVAL_DENIED: 403,
  APPROVAL_EXPIRED: 410,
  LIMIT_EXCEEDED: 403,
  INSUFFICIENT_BALANCE: 402,
  RATE_LIMITED: 429,
  EXECUTION_IN_PROGRESS: 409,
  PROVIDER_ERROR: 502,
  STORE_UNAVAILABLE: 503,
  AUDIT_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
  NETWORK_ERROR: 503,
  TIMEOUT: 504,
  ABORTED: 499,
};

/**
 * True when `value` is one of {@link ERROR_CODES}.
 *
 * @example
 * ```ts
 * import { isErrorCode } from '@handshake/protocol';
 *
 * const code: unknown = 'LIMIT_EXCEEDED';
 * if (isErrorCode(code)) console.log(`a Handshake error code: ${code}`);
 * ```
 */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
