import {
  type Attributes,
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
} from '@opentelemetry/api';
import {
  type ConnectionInfo,
  NATIVE_ENTRY,
  type NativeEntry,
  type NativeRequest,
} from '../http/handler.js';
import { instrument, METRICS } from './metrics.js';
import { errorType, secondsSince, type TelemetryOptions, telemetryOf } from './options.js';

/** The handler's own routes, as templates. */
const BUILT_IN_ROUTES = [
  '/health',
  '/tools',
  '/authorize',
  '/execute',
  '/approvals',
  '/approvals/:id',
  '/approvals/:id/decision',
  '/overview',
];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/**
 * Options of {@link instrumentHandler}.
 *
 * @example
 * ```ts
 * import { createHandshakeHandler, type HandshakeEngine, type HandshakeRoute } from '@handshake/core';
 * import { type InstrumentHandlerOptions, instrumentHandler } from '@handshake/core/opentelemetry';
 * declare const engine: HandshakeEngine;
 * declare const routes: HandshakeRoute[];
 *
 * const options: InstrumentHandlerOptions = { basePath: '/v1', routes };
 * const handler = instrumentHandler(createHandshakeHandler(engine, { basePath: '/v1', routes }), options);
 * ```
 */
export interface InstrumentHandlerOptions extends TelemetryOptions {
  /** The handler's `basePath`, if it has one. */
  basePath?: string;
  /** Extra routes the handler was given (their `path` names the `http.route`). */
  routes?: readonly { path: string }[];
}

type Handler = (request: Request, info?: ConnectionInfo) => Promise<Response>;

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** The W3C propagator reads only the headers it knows, by name. */
const nativeGetter: TextMapGetter<NativeRequest> = {
  get: (request, key) => request.header(key),
  keys: () => [],
};

/**
 * Wraps the HTTP handler: each request is timed in `http.server.request.duration`
 * (seconds, by `http.request.method`, `http.route` — the route template, never the
 * URL — and `http.response.status_code`) and traced as a server span that continues
 * the caller's W3C `traceparent` when a propagator is registered. A path no route
 * knows is recorded as `http.route` `_OTHER`.
 *
 * @example
 * ```ts
 * import { createHandshakeHandler, type HandshakeEngine } from '@handshake/core';
 * import { instrumentHandler } from '@handshake/core/opentelemetry';
 * declare const engine: HandshakeEngine;
 *
 * const handler = instrumentHandler(createHandshakeHandler(engine));
 * ```
 */
export function instrumentHandler(
  handler: Handler,
  options: InstrumentHandlerOptions = {},
): Handler {
  const { meter, tracer, recording } = telemetryOf(options);
  const duration = instrument(meter, METRICS.httpRequestDuration);
  const basePath = (options.basePath ?? '').replace(/\/$/, '');
  const templates = [...(options.routes ?? []).map((route) => route.path), ...BUILT_IN_ROUTES].map(
    (path) => ({ route: `${basePath}${path}`, segments: `${basePath}${path}`.split('/') }),
  );
  const routeOf = (pathname: string): string => {
    const segments = pathname.replace(/(.)\/$/, '$1').split('/');
    const found = templates.find(
      (template) =>
        template.segments.length === segments.length &&
        template.segments.every((segment, i) =>
          segment.startsWith(':') ? segments[i] !== '' : segment === segments[i],
        ),
    );
    return found?.route ?? '_OTHER';
  };

  /** Runs `answer` in a server span continuing the caller's trace, and times it. */
  const measured = <C, A extends { status: number }>(
    requestMethod: string,
    pathname: () => string,
    carrier: C,
    getter: TextMapGetter<C>,
    answer: () => Promise<A>,
  ): Promise<A> => {
    const start = performance.now();
    const method = METHODS.has(requestMethod) ? requestMethod : '_OTHER';
    let route = '_OTHER';
    try {
      route = routeOf(pathname());
    } catch {
      // An unparsable URL is answered by the handler; it is measured as `_OTHER`.
    }
    const attributes: Attributes = { 'http.request.method': method, 'http.route': route };
    const parent = propagation.extract(context.active(), carrier, getter);
    return tracer.startActiveSpan(
      `${method} ${route}`,
      { kind: SpanKind.SERVER, attributes },
      parent,
      async (span) => {
        try {
          const response = await answer();
          const status = response.status;
          span.setAttribute('http.response.status_code', status);
          const failed = status >= 500 ? { 'error.type': String(status) } : {};
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          duration.record(secondsSince(start), {
            ...attributes,
            'http.response.status_code': status,
            ...failed,
          });
          return response;
        } catch (error) {
          const type = errorType(error);
          span.setAttribute('error.type', type);
          span.setStatus({ code: SpanStatusCode.ERROR });
          duration.record(secondsSince(start), { ...attributes, 'error.type': type });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };

  const wrapper: Handler = (request, info) => {
    // Only the API installed: straight through, unless the caller sent a trace context
    // to carry on (a registered propagator, without an SDK, still passes it along).
    if (!recording() && !request.headers.has('traceparent')) return handler(request, info);
    return measured(
      request.method,
      () => new URL(request.url).pathname,
      request.headers,
      headerGetter,
      () => handler(request, info),
    );
  };
  // The handler of createHandshakeHandler also answers server adapters without a Web
  // Request or Response (`serve`, `toNodeListener`): so does the instrumented one.
  const native = (handler as Handler & { [NATIVE_ENTRY]?: NativeEntry })[NATIVE_ENTRY];
  if (native === undefined) return wrapper;
  const entry: NativeEntry = (incoming, info) => {
    if (!recording() && incoming.header('traceparent') === undefined) {
      return native(incoming, info);
    }
    return measured(
      incoming.method,
      () => incoming.pathname(),
      incoming,
      nativeGetter,
      () => native(incoming, info),
    );
  };
  return Object.defineProperty(wrapper, NATIVE_ENTRY, { value: entry });
}
