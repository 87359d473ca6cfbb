import { type Span, type SpanOptions, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { errorType } from './options.js';

/**
 * Runs `work` in an active span, so spans started inside become its children. A failure
 * marks the span as an error with its `error.type`, is handed to `failed` (for a
 * metric), and is thrown again; the span always ends.
 */
export function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
  failed: (type: string, span: Span) => void = () => {},
): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      const type = errorType(error);
      span.setAttribute('error.type', type);
      span.setStatus({ code: SpanStatusCode.ERROR });
      failed(type, span);
      throw error;
    } finally {
      span.end();
    }
  });
}
