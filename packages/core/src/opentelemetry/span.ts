import {
  type Attributes,
  context,
  type Histogram,
  isSpanContextValid,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { errorType, secondsSince } from './options.js';

/**
 * Runs `work` in an active span, so spans started inside become its children. A failure
 * marks the span as an error with its `error.type`, is handed to `failed` (for a
 * metric), and is thrown again; the span always ends.
 *
 * Without an SDK the tracer answers a span that records nothing and belongs to no
 * trace: `work` then runs as it is, without making that span the active one, which is
 * most of what a span costs when only `@opentelemetry/api` is installed. A span that
 * records nothing but belongs to a trace (sampled out) is still made active, so the
 * spans inside keep its trace.
 */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
  failed: (type: string, span: Span) => void = () => {},
): Promise<T> {
  const span = tracer.startSpan(name, options);
  const run =
    span.isRecording() || isSpanContextValid(span.spanContext())
      ? () => context.with(trace.setSpan(context.active(), span), work, undefined, span)
      : () => work(span);
  try {
    return await run();
  } catch (error) {
    const type = errorType(error);
    span.setAttribute('error.type', type);
    span.setStatus({ code: SpanStatusCode.ERROR });
    failed(type, span);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Runs one call to something outside (a store operation, a tool's provider) in a client
 * span, and records its duration in `duration` with `attributes`, and with its
 * `error.type` when it fails.
 */
export function timedCall<T>(
  tracer: Tracer,
  duration: Histogram,
  name: string,
  attributes: Attributes,
  work: () => Promise<T>,
): Promise<T> {
  const start = performance.now();
  return inSpan(
    tracer,
    name,
    { kind: SpanKind.CLIENT, attributes },
    async () => {
      const result = await work();
      duration.record(secondsSince(start), attributes);
      return result;
    },
    (type) => duration.record(secondsSince(start), { ...attributes, 'error.type': type }),
  );
}
