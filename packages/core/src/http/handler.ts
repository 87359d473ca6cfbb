import {
  ApprovalStatusSchema,
  AuthorizeRequestSchema,
  DecisionRequestSchema,
  ExecuteRequestSchema,
  HandshakeError,
} from '@handshake/protocol';
import type { z } from 'zod';
import type { HandshakeEngine } from '../engine/engine.js';
import { approverEventAnswer } from './approver-stream.js';
import { readJsonBody } from './body.js';
import type { EventStreamAnswer } from './event-stream.js';
import { liveTimers, type TimerScheduler } from './live-timers.js';
import { requesterEventAnswer } from './requester-stream.js';
import { errorAnswer, JsonAnswer } from './responses.js';
import { observePolledDelivery } from './stream-observer.js';

/**
 * A route added to the handler (the spend API and the console use this).
 *
 * @example
 * ```ts
 * import { createHandshakeHandler, type HandshakeEngine, type HandshakeRoute, jsonResponse } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const version: HandshakeRoute = {
 *   method: 'GET',
 *   path: '/version',
 *   handle: () => jsonResponse(200, { version: '1.0.0' }),
 * };
 * const handler = createHandshakeHandler(engine, { routes: [version] });
 * ```
 */
export interface HandshakeRoute {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  /** Path after the base path; `:name` segments are captured. */
  path: string;
  handle(context: RouteContext): Promise<Response> | Response;
}

/**
 * What a route receives.
 *
 * @example
 * ```ts
 * import { type HandshakeRoute, jsonResponse, type RouteContext } from '@handshake/core';
 * import { z } from 'zod';
 *
 * const echo: HandshakeRoute = {
 *   method: 'POST',
 *   path: '/echo/:name',
 *   handle: async (context: RouteContext) => {
 *     const body = await context.body(z.object({ text: z.string() }).strict());
 *     return jsonResponse(200, { name: context.params.name, text: body.text });
 *   },
 * };
 * ```
 */
export interface RouteContext {
  request: Request;
  url: URL;
  params: Record<string, string>;
  engine: HandshakeEngine;
  /** The bearer credential of the request, if any. */
  credential: string | undefined;
  /** The client's address, resolved with the handler's `trustedProxies`, when known. */
  clientAddress: string | undefined;
  /** Reads and parses the JSON body with the handler's limits and a strict schema. */
  body<T extends z.ZodType>(schema: T): Promise<z.infer<T>>;
}

/**
 * Options of {@link createHandshakeHandler}.
 *
 * @example
 * ```ts
 * import { createHandshakeHandler, type HandshakeEngine, type HandshakeHandlerOptions } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const options: HandshakeHandlerOptions = {
 *   basePath: '/v1',
 *   maxBodyBytes: 32 * 1024,
 *   onError: (error) => console.error('unexpected', error),
 * };
 * const handler = createHandshakeHandler(engine, options);
 * ```
 */
export interface HandshakeHandlerOptions {
  /** Prefix of every route, e.g. `/v1` (default none). */
  basePath?: string;
  /** Largest accepted request body in bytes (default 64 KiB); larger answers `413`. */
  maxBodyBytes?: number;
  /** SSE heartbeat interval (default 15 s). */
  heartbeatMs?: number;
  /**
   * SSE polling safety net, for a store that cannot notify or a notification that is
   * missed (default 15 s when the store notifies, 2 s when it cannot).
   */
  pollMs?: number;
  /** `retry:` advised to SSE clients (default 2 s). */
  retryMs?: number;
  /**
   * The timers of the SSE streams (default the runtime's). All the handler's streams
   * share one heartbeat timer, one poll timer and one deadline timer.
   */
  timers?: TimerScheduler;
  /** Extra routes, matched before the built-in ones. */
  routes?: readonly HandshakeRoute[];
  /** Hears unexpected errors (answered as `500 INTERNAL_ERROR` without detail). */
  onError?: (error: unknown, request: Request) => void;
  /**
   * How many reverse proxies in front of the service append the address they received
   * from to `X-Forwarded-For` (default 0: the header is ignored and the connection's
   * address is the client's). Callers without a session are rate-limited per client
   * address, so trust only proxies you run: a client can write the header itself.
   */
  trustedProxies?: number;
}

/**
 * What a runtime adapter knows of the connection a request came on; `serve` and
 * `toNodeListener` pass it as the handler's second argument.
 *
 * @example
 * ```ts
 * import { type ConnectionInfo, createHandshakeHandler, type HandshakeEngine } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const handler = createHandshakeHandler(engine);
 * const info: ConnectionInfo = { remoteAddress: '203.0.113.7' };
 * await handler(new Request('http://localhost/tools'), info);
 * ```
 */
export interface ConnectionInfo {
  /** The peer's IP address. */
  remoteAddress?: string;
}

/**
 * The client's address: the connection's, or with `trustedProxies` hops the entry of
 * `X-Forwarded-For` the outermost trusted proxy appended (Express's "trust proxy" count).
 */
function clientAddress(
  incoming: NativeRequest,
  info: ConnectionInfo | undefined,
  trustedProxies: number,
): string | undefined {
  const chain: string[] = [];
  if (trustedProxies > 0) {
    for (const header of incoming.header('x-forwarded-for')?.split(',') ?? []) {
      const entry = header.trim();
      if (entry !== '') chain.push(entry);
    }
  }
  if (info?.remoteAddress) chain.push(info.remoteAddress);
  if (chain.length === 0) return undefined;
  return chain[Math.max(0, chain.length - 1 - trustedProxies)];
}

/**
 * What the built-in routes receive: the route context, plus the request's headers read
 * without making a Web `Request` when the request came through {@link NATIVE_ENTRY}.
 */
interface BuiltInContext extends RouteContext {
  header(name: string): string | undefined;
  /**
   * The signal an event stream ends on: the request's, or none when the server adapter
   * writes the stream itself and ends it when the client leaves.
   */
  streamSignal(): AbortSignal | undefined;
}

/** A built-in route: it may answer a {@link JsonAnswer} instead of a `Response`. */
interface BuiltInRoute {
  method: HandshakeRoute['method'];
  path: string;
  handle(context: BuiltInContext): Promise<Answer> | Answer;
}

/** What a built-in route answers. */
type Answer = Response | JsonAnswer | EventStreamAnswer;

interface CompiledRoute {
  method: string;
  /** The captured segments when the path matches, otherwise `null`. */
  match(pathname: string): ArrayLike<string | undefined> | null;
  names: string[];
  handle: BuiltInRoute['handle'];
}

const NO_CAPTURES: ArrayLike<string | undefined> = Object.freeze([]);

function compile(route: BuiltInRoute, basePath: string): CompiledRoute {
  const names: string[] = [];
  const full = `${basePath}${route.path}`;
  const source = full
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  const pattern = new RegExp(`^${source}/?$`);
  // A path without parameters matches itself, with or without one more slash, as its
  // pattern would: compared as text.
  const withSlash = `${full}/`;
  return {
    method: route.method,
    match:
      names.length === 0
        ? (pathname) => (pathname === full || pathname === withSlash ? NO_CAPTURES : null)
        : (pathname) => pattern.exec(pathname),
    names,
    handle: route.handle,
  };
}

/** Reads `Authorization: Bearer …`. */
export function bearer(request: Request): string | undefined {
  return bearerOf(request.headers.get('authorization') ?? undefined);
}

function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * The Web-standard HTTP surface of the engine: `(Request) => Promise<Response>`.
 * Serve it with `@handshake/core/node`'s `serve`, or from any runtime that speaks
 * `Request`/`Response` (Deno, Bun, workers). Every error answers with the envelope
 * `{ success: false, error: { code, message } }`.
 *
 * @example
 * ```ts
 * import { createHandshake, createHandshakeHandler } from '@handshake/core';
 * declare const engine: ReturnType<typeof createHandshake>;
 *
 * const handler = createHandshakeHandler(engine);
 * const response = await handler(new Request('http://localhost/tools'));
 * ```
 */
export function createHandshakeHandler(
  engine: HandshakeEngine,
  options: HandshakeHandlerOptions = {},
): (request: Request, info?: ConnectionInfo) => Promise<Response> {
  const trustedProxies = options.trustedProxies ?? 0;
  if (!Number.isSafeInteger(trustedProxies) || trustedProxies < 0) {
    throw new TypeError('trustedProxies must be a non-negative integer');
  }
  const basePath = (options.basePath ?? '').replace(/\/$/, '');
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const sse = {
    heartbeatMs: options.heartbeatMs ?? 15_000,
    // A store that notifies leaves polling to catch only a missed notification.
    pollMs: options.pollMs ?? (engine.store.subscribeApprovals ? 15_000 : 2_000),
    retryMs: options.retryMs ?? 2_000,
  };
  const live = liveTimers({ ...sse, ...(options.timers ? { timers: options.timers } : {}) });

  const builtIn: BuiltInRoute[] = [
    {
      method: 'GET',
      path: '/health',
      handle: () => JsonAnswer.of(200, { status: 'ok' }),
    },
    {
      method: 'GET',
      path: '/tools',
      handle: async () => JsonAnswer.of(200, { tools: await engine.listTools() }),
    },
    {
      method: 'POST',
      path: '/authorize',
      async handle(ctx) {
        const body = await ctx.body(AuthorizeRequestSchema);
        const answer = await engine.authorize(body, ctx.credential ?? body.sessionToken, {
          ...(ctx.clientAddress ? { clientAddress: ctx.clientAddress } : {}),
        });
        return JsonAnswer.of(answer.status === 'pending' ? 202 : 200, answer);
      },
    },
    {
      method: 'POST',
      path: '/execute',
      async handle(ctx) {
        const body = await ctx.body(ExecuteRequestSchema);
        const headerToken = ctx.header('x-ephemeral-token');
        if (headerToken && body.ephemeralToken && headerToken !== body.ephemeralToken) {
          throw new HandshakeError('TOKEN_INVALID', 'Two different ephemeral tokens were sent');
        }
        const token = body.ephemeralToken ?? headerToken;
        const answer = await engine.execute(
          { ...body, ...(token ? { ephemeralToken: token } : {}) },
          ctx.credential ?? body.sessionToken,
          ctx.clientAddress ? { clientAddress: ctx.clientAddress } : {},
        );
        return JsonAnswer.of(200, answer);
      },
    },
    {
      method: 'GET',
      path: '/approvals',
      async handle(ctx) {
        const statusParam = ctx.url.searchParams.get('status');
        const status =
          statusParam === null ? undefined : ApprovalStatusSchema.safeParse(statusParam);
        if (status && !status.success) {
          throw new HandshakeError(
            'VALIDATION_ERROR',
            'status must be pending, approved, denied or expired',
            {
              path: 'status',
            },
          );
        }
        const limitParam = ctx.url.searchParams.get('limit');
        const limit = limitParam === null ? undefined : Number(limitParam);
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 200)) {
          throw new HandshakeError('VALIDATION_ERROR', 'limit must be an integer from 1 to 200', {
            path: 'limit',
          });
        }
        const filter = {
          ...(status?.data ? { status: status.data } : {}),
          ...(limit ? { limit } : {}),
        };
        if (wantsEventStream(ctx)) {
          // Refuse before the stream starts, so a bad credential answers 401, not 200.
          await engine.identifyApprover(ctx.credential);
          return approverEventAnswer({
            engine,
            live,
            credential: ctx.credential,
            filter,
            signal: ctx.streamSignal(),
            retryMs: sse.retryMs,
          });
        }
        const approvals = await engine.listApprovals(filter, ctx.credential);
        return JsonAnswer.of(200, { approvals });
      },
    },
    {
      method: 'GET',
      path: '/approvals/:id',
      async handle(ctx) {
        const id = ctx.params.id ?? '';
        const accept = ctx.header('accept') ?? '';
        if (accept.includes('text/event-stream')) {
          const identity = await engine.identify(ctx.credential);
          const record = await engine.approvalForSession(id, identity);
          if (!record) throw new HandshakeError('NOT_FOUND', 'No such approval');
          const lastEventId = Number(ctx.header('last-event-id') ?? '0');
          return requesterEventAnswer({
            engine,
            live,
            approvalId: id,
            credential: ctx.credential,
            lastEventId: Number.isFinite(lastEventId) ? lastEventId : 0,
            signal: ctx.streamSignal(),
            retryMs: sse.retryMs,
          });
        }
        const view = await engine.approvalStatus(id, ctx.credential);
        if (view.status !== 'pending') observePolledDelivery(engine, id, ctx.credential);
        return JsonAnswer.of(200, view);
      },
    },
    {
      method: 'GET',
      path: '/overview',
      handle: async (ctx) => JsonAnswer.of(200, await engine.overview(ctx.credential)),
    },
    {
      method: 'POST',
      path: '/approvals/:id/decision',
      async handle(ctx) {
        // Approvers authenticate first, so a stranger learns nothing from body errors.
        await engine.identifyApprover(ctx.credential);
        const body = await ctx.body(DecisionRequestSchema);
        const decided = await engine.decide(ctx.params.id ?? '', body, ctx.credential);
        return JsonAnswer.of(200, decided);
      },
    },
    {
      method: 'POST',
      path: '/approvals/:id/withdraw',
      // The requester's own session, like GET /approvals/{id}; the body is not read.
      handle: async (ctx) =>
        JsonAnswer.of(200, await engine.withdraw(ctx.params.id ?? '', ctx.credential)),
    },
  ];

  const routes = [...(options.routes ?? []), ...builtIn].map((route) => compile(route, basePath));
  const settings: ContextSettings = { engine, trustedProxies, maxBodyBytes };

  const dispatch = async (
    incoming: NativeRequest,
    info: ConnectionInfo | undefined,
  ): Promise<Answer> => {
    try {
      const pathname = incoming.pathname();
      const method = incoming.method;
      let pathMatched = false;
      for (const route of routes) {
        const match = route.match(pathname);
        if (!match) continue;
        pathMatched = true;
        if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) {
          continue;
        }
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => {
          params[name] = safeDecode(match[i + 1] ?? '');
        });
        return await route.handle(new Context(incoming, info, params, settings));
      }
      if (pathMatched) {
        throw new HandshakeError('METHOD_NOT_ALLOWED', `${method} is not allowed here`);
      }
      throw new HandshakeError('NOT_FOUND', 'No such endpoint');
    } catch (error) {
      if (!HandshakeError.isInstance(error)) options.onError?.(error, incoming.request());
      return errorAnswer(error);
    }
  };

  const handler = async (request: Request, info?: ConnectionInfo): Promise<Response> => {
    const answer = await dispatch(new WebIncoming(request), info);
    return answer instanceof Response ? answer : answer.toResponse();
  };
  const native: NativeEntry = dispatch;
  return Object.defineProperty(handler, NATIVE_ENTRY, { value: native });
}

/**
 * Where the handler made by {@link createHandshakeHandler} keeps its entry for server
 * adapters that read and write their runtime's own request and response (`serve` and
 * `toNodeListener`): the same routes, checks and answers, without a Web `Request` or
 * `Response` unless a route asks for one. A registered symbol: the Node entry and the
 * main entry may be bundled apart.
 */
export const NATIVE_ENTRY = Symbol.for('@handshake/core:native-entry');

/**
 * A request as a server adapter hands it to {@link NATIVE_ENTRY}: what the handler
 * reads of it, each part made when first asked for, and the Web `Request` it would have
 * been, made only for what needs one (a route added with `routes`, an event stream's
 * signal, `onError`).
 */
export interface NativeRequest {
  readonly method: string;
  /** `url().pathname`, possibly without making the URL. */
  pathname(): string;
  /** The URL, as the Web `Request` would have it (the same every call). */
  url(): URL;
  /** A header's value as `Headers#get` gives it (repeated names joined by `, `). */
  header(name: string): string | undefined;
  /** The body read as {@link readJsonBody} reads it: the same checks and refusals. */
  json<T extends z.ZodType>(schema: T, maxBytes: number): Promise<z.infer<T>>;
  /** The Web `Request` (the same every call). */
  request(): Request;
  /**
   * True when the adapter writes an {@link EventStreamAnswer} to its own response and
   * ends it when the client leaves: the stream then needs no request signal.
   */
  readonly writesEventStreams?: boolean;
}

/**
 * The handler's entry under {@link NATIVE_ENTRY}: a {@link JsonAnswer} for the answers
 * the handler makes itself, a `Response` for any other (an event stream, a route added
 * with `routes`).
 */
export type NativeEntry = (
  request: NativeRequest,
  info?: ConnectionInfo,
) => Promise<Response | JsonAnswer | EventStreamAnswer>;

/** A Web `Request` read as a {@link NativeRequest}. */
class WebIncoming implements NativeRequest {
  readonly method: string;
  private parsed: URL | undefined;

  constructor(private readonly web: Request) {
    this.method = web.method;
  }

  pathname(): string {
    return this.url().pathname;
  }

  url(): URL {
    this.parsed ??= new URL(this.web.url);
    return this.parsed;
  }

  header(name: string): string | undefined {
    return this.web.headers.get(name) ?? undefined;
  }

  json<T extends z.ZodType>(schema: T, maxBytes: number): Promise<z.infer<T>> {
    return readJsonBody(this.web, schema, maxBytes);
  }

  request(): Request {
    return this.web;
  }
}

interface ContextSettings {
  engine: HandshakeEngine;
  trustedProxies: number;
  maxBodyBytes: number;
}

/** A route's context; what a route does not read is not made. */
class Context implements BuiltInContext {
  readonly engine: HandshakeEngine;
  private credentialRead = false;
  private credentialValue: string | undefined;
  private addressRead = false;
  private addressValue: string | undefined;

  constructor(
    private readonly incoming: NativeRequest,
    private readonly info: ConnectionInfo | undefined,
    readonly params: Record<string, string>,
    private readonly settings: ContextSettings,
  ) {
    this.engine = settings.engine;
  }

  get request(): Request {
    return this.incoming.request();
  }

  get url(): URL {
    return this.incoming.url();
  }

  get credential(): string | undefined {
    if (!this.credentialRead) {
      this.credentialValue = bearerOf(this.incoming.header('authorization'));
      this.credentialRead = true;
    }
    return this.credentialValue;
  }

  get clientAddress(): string | undefined {
    if (!this.addressRead) {
      this.addressValue = clientAddress(this.incoming, this.info, this.settings.trustedProxies);
      this.addressRead = true;
    }
    return this.addressValue;
  }

  // Getters that answer functions, so that a route may take them apart (`({ body }) =>`).
  get body(): RouteContext['body'] {
    return (schema) => this.incoming.json(schema, this.settings.maxBodyBytes);
  }

  get header(): BuiltInContext['header'] {
    return (name) => this.incoming.header(name);
  }

  get streamSignal(): BuiltInContext['streamSignal'] {
    return () => (this.incoming.writesEventStreams ? undefined : this.incoming.request().signal);
  }
}

function wantsEventStream(ctx: BuiltInContext): boolean {
  return (ctx.header('accept') ?? '').includes('text/event-stream');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HandshakeError('VALIDATION_ERROR', 'The path is not valid', { path: 'path' });
  }
}
