import { TIERS } from '@handshake/protocol';
import type { Attributes } from '@opentelemetry/api';
import type { HandshakeEngine } from '../engine/engine.js';
import { instrument, METRICS } from './metrics.js';
import { secondsSince, type TelemetryOptions, telemetryOf } from './options.js';
import { inSpan } from './span.js';

/** The engine's steps that are timed and traced. */
const STEPS = ['authorize', 'execute', 'decide'] as const;
type Step = (typeof STEPS)[number];
/** The metric of each step's duration. */
const DURATIONS = {
  authorize: METRICS.authorizeDuration,
  execute: METRICS.executeDuration,
  decide: METRICS.decideDuration,
};

/**
 * Wraps an engine so that `authorize`, `execute` and `decide` each run in a span
 * (`handshake.authorize`, …) and are timed in `handshake.authorize.duration`,
 * `handshake.execute.duration` and `handshake.decide.duration` (seconds, by
 * `handshake.outcome`: the answer's status or the error code, and `handshake.tier`
 * when the answer names it). Store operations of an instrumented store, and anything
 * else traced inside, become child spans. Every other member is the engine's own.
 *
 * @example
 * ```ts
 * import { createHandshake, createHandshakeHandler, type ToolProviderV1 } from '@handshake/core';
 * import { instrumentEngine } from '@handshake/core/opentelemetry';
 * declare const tools: ToolProviderV1;
 *
 * const engine = instrumentEngine(createHandshake({ tools }));
 * const handler = createHandshakeHandler(engine);
 * ```
 */
export function instrumentEngine(
  engine: HandshakeEngine,
  options: TelemetryOptions = {},
): HandshakeEngine {
  const { meter, tracer, recording } = telemetryOf(options);
  const wrapped = new Map<PropertyKey, unknown>();
  for (const step of STEPS) {
    const duration = instrument(meter, DURATIONS[step]);
    const method = engine[step] as (...args: unknown[]) => Promise<unknown>;
    wrapped.set(step, (...args: unknown[]) => {
      // Only the API installed: the engine's own method, nothing around it.
      if (!recording()) return method.apply(engine, args);
      const start = performance.now();
      return inSpan(
        tracer,
        `handshake.${step}`,
        {},
        async (span) => {
          const answer = await method.apply(engine, args);
          const attributes = answerAttributes(step, answer);
          span.setAttributes(attributes);
          duration.record(secondsSince(start), attributes);
          return answer;
        },
        (type, span) => {
          span.setAttribute('handshake.outcome', type);
          duration.record(secondsSince(start), { 'handshake.outcome': type, 'error.type': type });
        },
      );
    });
  }
  return new Proxy(engine, {
    get(target, property) {
      if (wrapped.has(property)) return wrapped.get(property);
      // Members read on the engine itself: its private fields belong to it, not the proxy.
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const STATUSES = new Set([
  'authorized',
  'pending',
  'completed',
  'approved',
  'denied',
  'expired',
  'withdrawn',
]);

function answerAttributes(step: Step, answer: unknown): Attributes {
  const { status, tier } = (answer ?? {}) as { status?: unknown; tier?: unknown };
  return {
    'handshake.outcome': typeof status === 'string' && STATUSES.has(status) ? status : step,
    ...(typeof tier === 'string' && (TIERS as readonly string[]).includes(tier)
      ? { 'handshake.tier': tier }
      : {}),
  };
}
