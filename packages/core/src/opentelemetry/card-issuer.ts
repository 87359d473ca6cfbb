import { SpanKind } from '@opentelemetry/api';
import type { CardIssuerV1 } from '../cards/card-issuer.js';
import { meterOf, type TelemetryOptions, tracerOf } from './options.js';
import { inSpan } from './span.js';

/**
 * Wraps a card issuer so that each card creation is counted in
 * `handshake.card.creations` by `handshake.outcome` (`created`, or the error code as
 * `error.type` with outcome `failed`) and traced as a child span. The card, its number
 * and its limit are never read.
 *
 * @example
 * ```ts
 * import { simulatedCardIssuer } from '@handshake/core';
 * import { instrumentCardIssuer } from '@handshake/core/opentelemetry';
 *
 * const issuer = instrumentCardIssuer(simulatedCardIssuer());
 * ```
 */
export function instrumentCardIssuer(
  issuer: CardIssuerV1,
  options: TelemetryOptions = {},
): CardIssuerV1 {
  const creations = meterOf(options).createCounter('handshake.card.creations', {
    description: 'Virtual cards created, by outcome.',
    unit: '{card}',
  });
  const tracer = tracerOf(options);
  return {
    specificationVersion: 'v1',
    issueCard: (request) =>
      inSpan(
        tracer,
        'handshake.card.create',
        { kind: SpanKind.CLIENT },
        async () => {
          const card = await issuer.issueCard(request);
          creations.add(1, { 'handshake.outcome': 'created' });
          return card;
        },
        (type) => creations.add(1, { 'handshake.outcome': 'failed', 'error.type': type }),
      ),
    ...(issuer.simulateCharge ? { simulateCharge: issuer.simulateCharge.bind(issuer) } : {}),
  };
}
