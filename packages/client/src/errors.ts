import {
  type ErrorCode,
  ErrorEnvelopeSchema,
  HandshakeError,
  isErrorCode,
  looksLikeCardNumber,
  TOKEN_PREFIXES,
} from '@handshake/protocol';
import { isForceRetryError, isHTTPError, isNetworkError, isTimeoutError } from 'ky';

const RESPONSE_BRAND = Symbol.for('handshake.client.response-error');

/**
 * One way a server answer departs from the protocol: where, and what was expected.
 *
 * @example
 * ```ts
 * import type { ResponseIssue } from '@handshake/client';
 *
 * const issue: ResponseIssue = { path: 'ephemeralToken', message: 'Invalid input: expected string' };
 * ```
 */
export interface ResponseIssue {
  /** Dotted path into the body, e.g. `ephemeralToken`; empty for the body itself. */
  path: string;
  message: string;
}

/**
 * The service answered, but not in the shape the protocol specifies: a body that is
 * not JSON, a field missing or of the wrong type, an answer about another approval.
 * Its `code` is `INTERNAL_ERROR` and `status` the HTTP status received; `issues` say
 * which fields were wrong (never their values). Kept apart from the errors the service
 * reports, as ky keeps `SchemaValidationError` apart from `HTTPError`: retrying will not
 * help, a version mismatch or a proxy in the way is the likely cause.
 *
 * @example
 * ```ts
 * import { HandshakeResponseError } from '@handshake/client';
 * import type { HandshakeClient } from '@handshake/client';
 * declare const client: HandshakeClient;
 *
 * try {
 *   await client.tools();
 * } catch (error) {
 *   if (HandshakeResponseError.isInstance(error)) console.error(error.issues);
 * }
 * ```
 */
export class HandshakeResponseError extends HandshakeError {
  readonly [RESPONSE_BRAND] = true;
  readonly issues: readonly ResponseIssue[];

  constructor(
    message: string,
    options: { status: number; issues?: readonly ResponseIssue[]; cause?: unknown },
  ) {
    super('INTERNAL_ERROR', message, {
      status: options.status,
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = 'HandshakeResponseError';
    this.issues = options.issues ?? [];
  }

  /** True for any `HandshakeResponseError`, from this copy of the package or another. */
  static override isInstance(error: unknown): error is HandshakeResponseError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[RESPONSE_BRAND] === true
    );
  }
}

/** What a request was, for messages: `Execute` and `POST http://…/execute`. */
export interface RequestLabel {
  operation: string;
  method: string;
  url: URL;
}

/** `POST http://host/path`, without credentials in the URL and without the query. */
export function where(label: RequestLabel): string {
  return `${label.method} ${label.url.origin}${label.url.pathname}`;
}

const TOKEN_PATTERN = new RegExp(
  `(?:${[TOKEN_PREFIXES.ephemeral, TOKEN_PREFIXES.validation, TOKEN_PREFIXES.session].join('|')})[A-Za-z0-9_-]+`,
  'g',
);

const DIGIT_RUN = /\d(?:[ -]?\d){12,18}/g;

/**
 * Removes anything that looks like a Handshake bearer token or a card number, and each
 * of `secrets`, from text that came from elsewhere (a server message, an approver's
 * reason). The protocol forbids secrets in messages; this keeps a misbehaving server
 * from leaking one through the client's errors.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out
    .replace(TOKEN_PATTERN, '[redacted]')
    .replace(DIGIT_RUN, (run) => (looksLikeCardNumber(run) ? '[redacted]' : run));
}

// Statuses a proxy or gateway answers with on its own, mapped to the code a caller
// handles the same way. Anything else without an envelope is a protocol violation.
const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  502: 'NETWORK_ERROR',
  503: 'NETWORK_ERROR',
  504: 'TIMEOUT',
};

/** The wire error code of an error body, if it is an envelope. */
export function envelopeCode(body: unknown): ErrorCode | undefined {
  const parsed = ErrorEnvelopeSchema.safeParse(body);
  return parsed.success ? parsed.data.error.code : undefined;
}

/**
 * The `HandshakeError` for an error answer: the envelope's code with the HTTP status,
 * or, without an envelope, the code a gateway's status stands for.
 */
export function errorFromResponse(
  label: RequestLabel,
  status: number,
  headers: Headers,
  body: unknown,
  secrets: readonly (string | undefined)[],
): HandshakeError {
  const retryAfter = headers.get('retry-after');
  const retryAfterSeconds =
    retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : undefined;
  const extra = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };
  const envelope = ErrorEnvelopeSchema.safeParse(body);
  if (envelope.success) {
    const { code, message } = envelope.data.error;
    return new HandshakeError(
      code,
      `${label.operation} failed with ${code}: ${where(label)} (${redact(message, secrets)})`,
      { status, ...extra },
    );
  }
  const claimed =
    typeof body === 'object' && body !== null
      ? (body as { error?: { code?: unknown } }).error?.code
      : undefined;
  const mapped = STATUS_CODES[status];
  if (mapped) {
    const note =
      typeof claimed === 'string' && !isErrorCode(claimed)
        ? 'an error code this client does not know'
        : 'no Handshake error body';
    return new HandshakeError(
      mapped,
      `${label.operation} failed with ${mapped}: ${where(label)} (HTTP ${status}, ${note})`,
      { status, ...extra },
    );
  }
  return new HandshakeResponseError(
    `${label.operation} failed with HTTP ${status} and no Handshake error body: ${where(label)}`,
    {
      status,
      issues: [{ path: '', message: 'expected { success: false, error: { code, message } }' }],
    },
  );
}

/** The error a caller's abort becomes. */
export function abortedError(label: RequestLabel, reason: unknown): HandshakeError {
  return new HandshakeError('ABORTED', `${label.operation} was aborted: ${where(label)}`, {
    cause: reason,
  });
}

/** Network failures are `TypeError`s by the Fetch standard, however a runtime words them. */
export function isFetchFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as Error).name === 'TypeError';
}

function isTimeoutLike(error: unknown): boolean {
  return (
    isTimeoutError(error) ||
    (typeof error === 'object' && error !== null && (error as Error).name === 'TimeoutError')
  );
}

/**
 * Turns whatever a request threw into a `HandshakeError`: the service's own code for
 * error answers, `NETWORK_ERROR`, `TIMEOUT` or `ABORTED` for transport failures, and
 * `INTERNAL_ERROR` for anything unexpected (kept as `cause`).
 */
export function toHandshakeError(
  error: unknown,
  label: RequestLabel,
  context: {
    signal?: AbortSignal | undefined;
    timeoutMs?: number | false | undefined;
    secrets: readonly (string | undefined)[];
  },
): HandshakeError {
  if (context.signal?.aborted) return abortedError(label, context.signal.reason);
  if (HandshakeError.isInstance(error)) return error;
  if (isHTTPError(error)) {
    return errorFromResponse(
      label,
      error.response.status,
      error.response.headers,
      error.data,
      context.secrets,
    );
  }
  const timeoutNote = typeof context.timeoutMs === 'number' ? ` after ${context.timeoutMs} ms` : '';
  if (isForceRetryError(error)) {
    // Our own forced retry: the response body could not be read (see transport.ts).
    if (isTimeoutLike(error.cause)) {
      return new HandshakeError(
        'TIMEOUT',
        `${label.operation} timed out${timeoutNote} while reading the response: ${where(label)}`,
        { cause: error.cause },
      );
    }
    return new HandshakeError(
      'NETWORK_ERROR',
      `${label.operation} failed with a network error while reading the response: ${where(label)}`,
      { cause: error.cause },
    );
  }
  if (isTimeoutLike(error)) {
    return new HandshakeError(
      'TIMEOUT',
      `${label.operation} timed out${timeoutNote}: ${where(label)}`,
      {
        cause: error,
      },
    );
  }
  if (isNetworkError(error) || isFetchFailure(error)) {
    return new HandshakeError(
      'NETWORK_ERROR',
      `${label.operation} failed with a network error: ${where(label)}`,
      { cause: isNetworkError(error) ? (error.cause ?? error) : error },
    );
  }
  if (typeof error === 'object' && error !== null && (error as Error).name === 'AbortError') {
    return abortedError(label, error);
  }
  return new HandshakeError(
    'INTERNAL_ERROR',
    `${label.operation} failed unexpectedly: ${where(label)}`,
    {
      cause: error,
    },
  );
}
