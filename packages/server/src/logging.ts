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
  'credential',
  'authorization',
  'cardNumber',
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
