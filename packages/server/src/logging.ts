import type { FetchHandler } from '@handshake/core/node';
import { trace } from '@opentelemetry/api';
import { type DestinationStream, type LevelWithSilent, type Logger, pino } from 'pino';

/** Levels `HANDSHAKE_LOG_LEVEL` accepts. */
export const LOG_LEVELS: readonly LevelWithSilent[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/**
 * Fields that would hold a secret if some object carrying one were ever logged: they
 * are censored, as the audit trail leaves them out (tokens, credentials, card numbers,
 * CVCs, raw parameters).
 */
const REDACTED = [
  'ephemeralToken',
  'sessionToken',
  'token',
  'validationToken',
  'validation_token',
  'credential',
  'authorization',
  'cookie',
  'cardNumber',
  'card_number',
  'number',
  'cvc',
  'parameters',
  'result',
].flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/**
 * The service's logger: JSON lines on stdout (or `destination`), at `level`, with the
 * active span's `trace_id` and `span_id` on every line logged inside a traced request.
 */
export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'handshake' },
      redact: { paths: REDACTED, censor: '[redacted]' },
      mixin() {
        const span = trace.getActiveSpan()?.spanContext();
        return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
      },
    },
    destination,
  );
}

/** A refusal's code in the error envelope, if it is one: `{ error: { code } }`. */
const CODE = /^[A-Z][A-Z_]{0,39}$/;

/**
 * Wraps the service's handler so that, with the logger at `debug`, each request is
 * logged when its answer starts: `method`, `status`, the refusal's `code` (from the
 * error envelope) and `ms`. The path is left out, as it may name an approval or carry
 * whatever a caller put in it; inside a traced request the line has its `trace_id`,
 * and the trace has the route. At any other level the handler is returned as it is.
 */
export function logRequests(handler: FetchHandler, log: Logger): FetchHandler {
  if (!log.isLevelEnabled('debug')) return handler;
  return async (request, info) => {
    const start = performance.now();
    const response = await handler(request, info);
    let code: string | undefined;
    if (response.status >= 400 && response.headers.get('content-type')?.includes('json')) {
      try {
        const body = (await response.clone().json()) as { error?: { code?: unknown } };
        const candidate = body?.error?.code;
        if (typeof candidate === 'string' && CODE.test(candidate)) code = candidate;
      } catch {
        // Not the error envelope: logged without a code.
      }
    }
    log.debug(
      {
        method: /^[A-Z]{1,10}$/.test(request.method) ? request.method : '_OTHER',
        status: response.status,
        ...(code ? { code } : {}),
        ms: Math.round((performance.now() - start) * 10) / 10,
      },
      'request',
    );
    return response;
  };
}
