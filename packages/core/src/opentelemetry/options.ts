import { HandshakeError } from '@handshake/protocol';
import {
  createNoopMeter,
  type Meter,
  type MeterProvider,
  metrics,
  ProxyTracerProvider,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';

/**
 * Where the instrumentation sends its measurements. Without providers it uses the
 * global ones that an OpenTelemetry SDK registers; with no SDK installed those are
 * no-ops, and instrumenting costs next to nothing.
 *
 * @example
 * ```ts
 * import { type TelemetryOptions, metricsAuditSink } from '@handshake/core/opentelemetry';
 * import { metrics } from '@opentelemetry/api';
 *
 * const options: TelemetryOptions = { meterProvider: metrics.getMeterProvider() };
 * const sink = metricsAuditSink(options);
 * ```
 */
export interface TelemetryOptions {
  /** Default: the global meter provider. */
  meterProvider?: MeterProvider;
  /** Default: the global tracer provider. */
  tracerProvider?: TracerProvider;
}

/** The instrumentation scope of every meter and tracer. */
export const SCOPE = '@handshake/core';

export function meterOf(options: TelemetryOptions = {}): Meter {
  return (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
}

/** The meter every meter provider answers when no SDK is installed. */
const NOOP_METER = createNoopMeter();
/** The tracer provider the API's global proxy delegates to while no SDK is registered. */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

/** Whether `meter` records anything: not the API's no-op meter. */
export function isRecordingMeter(meter: Meter): boolean {
  return meter !== NOOP_METER;
}

/**
 * A test, cheap enough for every call, of whether any instrument of `options` could
 * record now. With only `@opentelemetry/api` installed it answers false, and the wrappers
 * call straight through, as if they were not there. Meters cannot start recording later
 * (a meter taken before an SDK is registered stays a no-op), but the global tracer
 * provider can: it is asked at each call.
 */
function recordingTest(options: TelemetryOptions): () => boolean {
  if (isRecordingMeter(meterOf(options))) return () => true;
  const provider = options.tracerProvider ?? trace.getTracerProvider();
  if (provider instanceof ProxyTracerProvider) {
    return () => provider.getDelegate() !== NOOP_TRACER_PROVIDER;
  }
  return () => true;
}

/**
 * What an instrumentation records with: the meter and the tracer of `options`, and the
 * test of whether either records now (see {@link recordingTest}).
 */
export function telemetryOf(options: TelemetryOptions = {}): {
  meter: Meter;
  tracer: Tracer;
  recording: () => boolean;
} {
  const tracerProvider = options.tracerProvider ?? trace.getTracerProvider();
  return {
    meter: meterOf(options),
    tracer: tracerProvider.getTracer(SCOPE),
    recording: recordingTest(options),
  };
}

/** Seconds between two `performance.now()` readings. */
export const secondsSince = (start: number) => (performance.now() - start) / 1000;

/**
 * The `error.type` of a failure: a Handshake error code, else the error's class name
 * (`TypeError`), else `_OTHER` — never its message, which may describe the input.
 */
export function errorType(error: unknown): string {
  if (HandshakeError.isInstance(error)) return error.code;
  const name = error instanceof Error ? error.name : undefined;
  return name && /^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(name) ? name : '_OTHER';
}
