import { HandshakeError } from '@handshake/protocol';

/** The fields of a `stripe` package error that decide how it is handled. */
interface StripeErrorLike {
  type?: unknown;
  code?: unknown;
  decline_code?: unknown;
  statusCode?: unknown;
}

const asStripeError = (error: unknown): StripeErrorLike | undefined =>
  error !== null && typeof error === 'object' && typeof (error as StripeErrorLike).type === 'string'
    ? (error as StripeErrorLike)
    : undefined;

/** True for Stripe's rate-limit answer (HTTP 429), which is worth retrying after a pause. */
export function isStripeRateLimit(error: unknown): boolean {
  const stripe = asStripeError(error);
  return stripe?.type === 'StripeRateLimitError' || stripe?.statusCode === 429;
}

/** True when the API key was refused (HTTP 401) or lacks a permission (HTTP 403). */
export function isStripeAuthenticationFailure(error: unknown): boolean {
  const stripe = asStripeError(error);
  return (
    stripe?.type === 'StripeAuthenticationError' ||
    stripe?.type === 'StripePermissionError' ||
    stripe?.statusCode === 401 ||
    stripe?.statusCode === 403
  );
}

/** A Stripe code as it may appear in a message: letters, digits and underscores only. */
const safeCode = (code: unknown) =>
  typeof code === 'string' && /^[a-z0-9_]{1,80}$/.test(code) ? code : undefined;

/**
 * Our error for a failed Stripe call, `what` naming the step ("card creation"). The
 * message names Stripe's error code and never Stripe's own message, which may echo
 * request details; the original error is kept as `cause` for the operator's logs.
 */
export function stripeFailure(what: string, error: unknown): HandshakeError {
  if (HandshakeError.isInstance(error)) return error;
  const stripe = asStripeError(error);
  if (!stripe) {
    return new HandshakeError('PROVIDER_ERROR', `Stripe ${what} failed`, { cause: error });
  }
  if (isStripeAuthenticationFailure(error)) {
    return new HandshakeError(
      'PROVIDER_ERROR',
      `Stripe refused the API key during ${what}: check STRIPE_SECRET_KEY and its Issuing permissions`,
      { cause: error },
    );
  }
  if (stripe.type === 'StripeConnectionError' || stripe.type === 'StripeAPIError') {
    return new HandshakeError(
      'PROVIDER_ERROR',
      `Stripe is unavailable: ${what} failed (${stripe.type === 'StripeAPIError' ? 'api_error' : 'connection_error'}); no card was issued`,
      { cause: error },
    );
  }
  const code = safeCode(stripe.decline_code) ?? safeCode(stripe.code);
  return new HandshakeError(
    'PROVIDER_ERROR',
    `Stripe declined the ${what}${code ? ` (${code})` : ''}`,
    { cause: error },
  );
}

/**
 * Runs a Stripe call, retrying a rate-limited one after `delayMs(attempt)` (exponential
 * back-off) up to `retries` times. Every write carries an idempotency key, so a retry
 * never makes a second object.
 */
export async function withRateLimitRetry<T>(
  call: () => Promise<T>,
  options: {
    retries: number;
    delayMs: (attempt: number) => number;
    sleep: (ms: number) => Promise<void>;
  },
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!isStripeRateLimit(error) || attempt > options.retries) throw error;
      await options.sleep(options.delayMs(attempt));
    }
  }
}
