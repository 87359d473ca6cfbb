import { context, propagation } from '@opentelemetry/api';

/**
 * Writes the W3C trace context of the active span (`traceparent`, `tracestate`) into
 * `headers`, through the registered propagator: what the PayPal provider and the Stripe
 * client send so that their requests continue the call's trace.
 */
export function injectTraceContext(headers: Record<string, string>): void {
  propagation.inject(context.active(), headers);
}

/** `fetchFn` with the active trace context added to each request's headers. */
export function tracedFetch(
  fetchFn: typeof fetch,
  traceContext: (headers: Record<string, string>) => void,
): typeof fetch {
  return (input, init) => {
    const written: Record<string, string> = {};
    traceContext(written);
    const names = ['traceparent', 'tracestate'].filter((name) => written[name]);
    if (names.length === 0) return fetchFn(input, init);
    const headers = new Headers(
      init?.headers ?? (input instanceof Request ? input.headers : undefined),
    );
    for (const name of names) headers.set(name, written[name]!);
    return fetchFn(input, { ...init, headers });
  };
}
