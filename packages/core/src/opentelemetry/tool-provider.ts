import type { ToolProviderV1 } from '../tools/tool-provider.js';
import { UnsupportedSpecificationVersionError } from '../types/specification-version.js';
import { instrument, METRICS } from './metrics.js';
import { type TelemetryOptions, telemetryOf } from './options.js';
import { timedCall } from './span.js';

/**
 * Wraps a tool provider so that each tool call is traced as `handshake.tool <name>`, a
 * child of `handshake.execute`, and timed in `handshake.tool.duration` (seconds, by
 * `handshake.tool` and, when it failed, `error.type`): the provider's own latency,
 * apart from the handshake around it. Parameters and results are never read.
 *
 * @example
 * ```ts
 * import { createHandshake, type ToolProviderV1 } from '@handshake/core';
 * import { instrumentToolProvider } from '@handshake/core/opentelemetry';
 * declare const paypal: ToolProviderV1;
 *
 * const engine = createHandshake({ tools: instrumentToolProvider(paypal) });
 * ```
 */
export function instrumentToolProvider(
  provider: ToolProviderV1,
  options: TelemetryOptions = {},
): ToolProviderV1 {
  UnsupportedSpecificationVersionError.check('tool provider', provider);
  const { meter, tracer, recording } = telemetryOf(options);
  const duration = instrument(meter, METRICS.toolDuration);
  return {
    specificationVersion: 'v1',
    listTools: () => provider.listTools(),
    // The engine calls `execute` only for a tool it listed, so the name is bounded.
    execute: (name, parameters, context) => {
      if (!recording()) return provider.execute(name, parameters, context);
      const attributes = { 'handshake.tool': name };
      return timedCall(tracer, duration, `handshake.tool ${name}`, attributes, async () =>
        provider.execute(name, parameters, context),
      );
    },
  };
}
