import { UnsupportedSpecificationVersionError } from '@handshake/core';
import { HandshakeError } from '@handshake/protocol';
import {
  type MeterProvider,
  metrics,
  SpanKind,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { CardIssuerV1 } from '../card-issuer.js';

/**
 * Where the instrumentation sends its measurements; without providers, the global ones
 * an OpenTelemetry SDK registers (no-ops when none is installed).
 *
 * @example
 * ```ts
 * import { type CardTelemetryOptions, instrumentCardIssuer } from '@handshake/cards/opentelemetry';
 * import { simulatedCardIssuer } from '@handshake/cards/testing';
 * import { metrics } from '@opentelemetry/api';
 *
 * const options: CardTelemetryOptions = { meterProvider: metrics.getMeterProvider() };
 * const issuer = instrumentCardIssuer(simulatedCardIssuer(), options);
 * ```
 */
export interface CardTelemetryOptions {
  /** Default: the global meter provider. */
  meterProvider?: MeterProvider;
  /** Default: the global tracer provider. */
  tracerProvider?: TracerProvider;
}

/** The instrumentation scope of the meter and tracer. */
const SCOPE = '@handshake/cards';

/**
 * The `error.type` of a failure: a Handshake error code, else the error's class name,
 * else `_OTHER` — never its message, which may describe the input.
 */
function errorType(error: unknown): string {
  if (HandshakeError.isInstance(error)) return error.code;
  const name = error instanceof Error ? error.name : undefined;
  return name && /^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(name) ? name : '_OTHER';
}

/**
 * Wraps a card issuer so that each card creation is counted in
 * `handshake.card.creations` by `handshake.outcome` (`created`, or the error code as
 * `error.type` with outcome `failed`) and traced as a child span. The card, its number
 * and its limit are never read.
 *
 * @example
 * ```ts
 * import { instrumentCardIssuer } from '@handshake/cards/opentelemetry';
 * import { simulatedCardIssuer } from '@handshake/cards/testing';
 *
 * const issuer = instrumentCardIssuer(simulatedCardIssuer());
 * ```
 */
export function instrumentCardIssuer(
  issuer: CardIssuerV1,
  options: CardTelemetryOptions = {},
): CardIssuerV1 {
  UnsupportedSpecificationVersionError.check('card issuer', issuer);
  const meterProvider = options.meterProvider ?? metrics.getMeterProvider();
  const creations = meterProvider.getMeter(SCOPE).createCounter('handshake.card.creations', {
    description: 'Virtual cards created, by outcome.',
    unit: '{card}',
  });
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  return {
    specificationVersion: 'v1',
    issueCard: (request) =>
      tracer.startActiveSpan('handshake.card.create', { kind: SpanKind.CLIENT }, async (span) => {
        try {
          const card = await issuer.issueCard(request);
          creations.add(1, { 'handshake.outcome': 'created' });
          return card;
        } catch (error) {
          const type = errorType(error);
          span.setAttribute('error.type', type);
          span.setStatus({ code: SpanStatusCode.ERROR });
          creations.add(1, { 'handshake.outcome': 'failed', 'error.type': type });
          throw error;
        } finally {
          span.end();
        }
      }),
    ...(issuer.simulateCharge ? { simulateCharge: issuer.simulateCharge.bind(issuer) } : {}),
  };
}
