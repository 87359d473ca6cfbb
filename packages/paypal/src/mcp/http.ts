import {
  type SessionIdentity,
  type SessionVerifierV1,
  UnsupportedSpecificationVersionError,
} from '@handshake/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import {
  type HandshakeCall,
  type HandshakeCaller,
  registerSecuredPayPalTools,
  type SecuredPayPalToolsOptions,
} from './register.js';

/**
 * Options of {@link createSecuredPayPalMcpHandler}: who may connect (a session verifier
 * of `@handshake/core`, as the Handshake service checks its own sessions), which
 * Handshake client acts for each of them, the server's public URL, and the tools.
 *
 * @example
 * ```ts
 * import { createHandshakeClient } from '@handshake/client';
 * import { staticSessionVerifier } from '@handshake/core';
 * import type { SecuredPayPalMcpHttpOptions } from '@handshake/paypal';
 *
 * const options: SecuredPayPalMcpHttpOptions = {
 *   resource: 'https://mcp.example.com/mcp',
 *   sessions: staticSessionVerifier({ 'mcp-bearer-alice': 'alice' }),
 *   clientFor: (user) =>
 *     user.userId === 'alice'
 *       ? createHandshakeClient({ baseUrl: 'https://handshake.example.com', session: 'handshake-session-alice' })
 *       : undefined,
 * };
 * ```
 */
export interface SecuredPayPalMcpHttpOptions
  extends Omit<SecuredPayPalToolsOptions, 'client' | 'call'> {
  /**
   * The MCP endpoint's URL as hosts reach it, e.g. `https://mcp.example.com/mcp`: the
   * protected resource of RFC 9728, and the path the handler answers MCP on.
   */
  resource: string | URL;
  /**
   * Checks the bearer credential of every request: `staticSessionVerifier` or
   * `jwtSessionVerifier` of `@handshake/core` (give a JWT verifier this server's
   * `resource` as `audience`, so a token issued for another service is refused).
   */
  sessions: SessionVerifierV1;
  /**
   * The Handshake client that acts as this user at the Handshake service, or `undefined`
   * when the user is not served here (their requests are refused with `403`). Called once
   * per MCP session, with the identity that opened it; the session uses that client for
   * its whole life. It must carry the user's own Handshake credential, never the bearer
   * the host sent (MCP forbids passing a client's token through to another service).
   */
  clientFor: (user: SessionIdentity) => HandshakeCaller | undefined;
  /** Authorization servers that issue the bearer credentials, listed in the metadata. */
  authorizationServers?: readonly string[];
  /**
   * Scopes every bearer must carry (default none); listed in the metadata, and a bearer
   * without one of them is answered `403 insufficient_scope`.
   */
  scopes?: readonly string[];
  /**
   * Origins a browser may call from (default: the origin of `resource`). A request whose
   * `Origin` header names another is refused with `403`, against DNS rebinding.
   */
  allowedOrigins?: readonly string[];
  /**
   * `Host` header values accepted (default: the host of `resource`, and its loopback
   * spellings when it is a loopback address).
   */
  allowedHosts?: readonly string[];
  /** Open MCP sessions at most (default 100); more initializations are answered `503`. */
  maxSessions?: number;
  /** Open MCP sessions per user at most (default 10). */
  maxSessionsPerUser?: number;
  /**
   * A session without requests for this long, and with no call in progress, is closed
   * when room is needed for a new one (default 30 minutes).
   */
  idleSessionMs?: number;
  /** The server's name and version in the MCP handshake. */
  serverInfo?: { name: string; version: string };
  /** Instructions for the model, sent at initialization. */
  instructions?: string;
  /** Current time in milliseconds, for tests. */
  now?: () => number;
}

/**
 * The handler {@link createSecuredPayPalMcpHandler} returns: serve `fetch` (for instance
 * with `serve` of `@handshake/core/node`), and `close` it on shutdown.
 *
 * @example
 * ```ts
 * import { serve } from '@handshake/core/node';
 * import type { SecuredPayPalMcpHandler } from '@handshake/paypal';
 * declare const mcp: SecuredPayPalMcpHandler;
 *
 * const running = await serve(mcp.fetch, { port: 8788 });
 * process.once('SIGTERM', () => void mcp.close().then(() => running.close()));
 * ```
 */
export interface SecuredPayPalMcpHandler {
  /** Answers one HTTP request: MCP on the resource's path, and the metadata documents. */
  fetch(request: Request): Promise<Response>;
  /** The number of open MCP sessions. */
  readonly sessionCount: number;
  /** Closes every session; calls still waiting are cancelled. */
  close(): Promise<void>;
}

const METADATA_PATH = '/.well-known/oauth-protected-resource';
const MAX_INIT_BODY_BYTES = 256 * 1024;
const MAX_BODY_BYTES = 4 * 1024 * 1024;

interface Session {
  userId: string;
  transport: WebStandardStreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
  calls: number;
}

function jsonRpcError(status: number, message: string, headers: Record<string, string> = {}) {
  return new Response(
    JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }),
    {
      status,
      headers: {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        ...headers,
      },
    },
  );
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer`);
  }
  return value;
}

/** Reads a JSON body of at most `limit` bytes; throws when it is longer or not JSON. */
async function readJson(request: Request, limit: number): Promise<unknown> {
  const length = Number(request.headers.get('content-length') ?? '0');
  if (length > limit) throw new RangeError('too large');
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  if (request.body) {
    for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array<ArrayBuffer>>) {
      size += chunk.byteLength;
      if (size > limit) throw new RangeError('too large');
      chunks.push(chunk);
    }
  }
  return JSON.parse(await new Blob(chunks).text()) as unknown;
}

/** The ids of the JSON-RPC requests in a POST body (one message or a batch). */
function requestIds(body: unknown): Array<string | number> {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((message) => {
    if (typeof message !== 'object' || message === null) return [];
    const { method, id } = message as { method?: unknown; id?: unknown };
    return typeof method === 'string' && (typeof id === 'string' || typeof id === 'number')
      ? [id]
      : [];
  });
}

/**
 * PayPal's agent toolkit behind the Handshake, as an MCP server on the Streamable HTTP
 * transport, secured as MCP's authorization specification asks:
 *
 * - every request carries `Authorization: Bearer …`, checked by `sessions`; without a
 *   valid one the answer is `401` with `WWW-Authenticate: Bearer resource_metadata="…"`,
 *   naming the RFC 9728 protected-resource metadata this handler serves at
 *   `/.well-known/oauth-protected-resource` (and at that path followed by the
 *   resource's path);
 * - an MCP session belongs to the user who opened it: a request on it with another
 *   user's bearer is refused with `403`, and its calls run with that user's own Handshake
 *   client (`clientFor`), never with the host's bearer;
 * - a request whose `Origin` or `Host` is not allowed is refused with `403` (DNS
 *   rebinding);
 * - sessions close on `DELETE`, and their number is bounded overall and per user; a
 *   request whose connection drops before its answer has its calls cancelled.
 *
 * Tool calls behave as with {@link registerSecuredPayPalTools}: a RESTRICTED call waits
 * for a person, reporting progress, or asking through URL-mode elicitation when the host
 * declares it and `approvalUrl` is given.
 *
 * @example
 * ```ts
 * import { createHandshakeClient } from '@handshake/client';
 * import { staticSessionVerifier } from '@handshake/core';
 * import { serve } from '@handshake/core/node';
 * import { createSecuredPayPalMcpHandler } from '@handshake/paypal';
 *
 * const handshake = 'https://handshake.example.com';
 * const mcp = createSecuredPayPalMcpHandler({
 *   resource: 'http://127.0.0.1:8788/mcp',
 *   sessions: staticSessionVerifier({ 'mcp-bearer-alice': 'alice' }),
 *   clientFor: (user) =>
 *     user.userId === 'alice'
 *       ? createHandshakeClient({
 *           baseUrl: handshake,
 *           session: 'handshake-session-alice',
 *           signer: { keyId: 'mcp', privateKey: 'base64url-seed-of-32-bytes' },
 *         })
 *       : undefined,
 *   approvalUrl: (id) => `${handshake}/console#approval=${encodeURIComponent(id)}`,
 * });
 * await serve(mcp.fetch, { hostname: '127.0.0.1', port: 8788 });
 * ```
 */
export function createSecuredPayPalMcpHandler(
  options: SecuredPayPalMcpHttpOptions,
): SecuredPayPalMcpHandler {
  UnsupportedSpecificationVersionError.check('session verifier', options.sessions);
  const resource = new URL(String(options.resource));
  if (resource.protocol !== 'http:' && resource.protocol !== 'https:') {
    throw new TypeError('resource must be an http(s) URL');
  }
  resource.hash = '';
  const resourceId = resource.href;
  const mcpPath = resource.pathname;
  const metadataPaths = new Set([
    METADATA_PATH,
    `${METADATA_PATH}${mcpPath === '/' ? '' : mcpPath}`,
  ]);
  const metadataUrl = new URL(`${METADATA_PATH}${mcpPath === '/' ? '' : mcpPath}`, resource).href;
  const allowedOrigins = new Set(options.allowedOrigins ?? [resource.origin]);
  const allowedHosts = new Set(options.allowedHosts ?? [resource.host]);
  if (options.allowedHosts === undefined && isLoopback(resource.hostname)) {
    const port = resource.port ? `:${resource.port}` : '';
    for (const name of ['127.0.0.1', 'localhost', '[::1]']) allowedHosts.add(`${name}${port}`);
  }
  const scopes = [...(options.scopes ?? [])];
  const maxSessions = positive('maxSessions', options.maxSessions, 100);
  const maxPerUser = positive('maxSessionsPerUser', options.maxSessionsPerUser, 10);
  const idleMs = positive('idleSessionMs', options.idleSessionMs, 30 * 60_000);
  const now = options.now ?? Date.now;
  const { tools, actions, tiers, environment, approvalUrl } = options;
  const toolOptions = {
    ...(tools ? { tools } : {}),
    ...(actions ? { actions } : {}),
    ...(tiers ? { tiers } : {}),
    ...(environment ? { environment } : {}),
    ...(approvalUrl ? { approvalUrl } : {}),
  };
  // Bad tool options fail here, not at a host's first request.
  registerSecuredPayPalTools(new McpServer({ name: 'check', version: '0' }), {
    ...toolOptions,
    call: async () => undefined,
  });
  const metadata = JSON.stringify({
    resource: resourceId,
    ...(options.authorizationServers?.length
      ? { authorization_servers: [...options.authorizationServers] }
      : {}),
    bearer_methods_supported: ['header'],
    ...(scopes.length > 0 ? { scopes_supported: scopes } : {}),
  });
  const challenge = (error?: string) => {
    const parts = [
      ...(error ? [`error="${error}"`] : []),
      ...(scopes.length > 0 ? [`scope="${scopes.join(' ')}"`] : []),
      `resource_metadata="${metadataUrl}"`,
    ];
    return { 'www-authenticate': `Bearer ${parts.join(', ')}` };
  };

  // Every session from the moment it is admitted until it closes, and the initialized
  // ones by id. Admission counts `live`, so concurrent initializations cannot overshoot.
  const live = new Set<Session>();
  const sessions = new Map<string, Session>();
  let closed = false;

  function forget(session: Session) {
    live.delete(session);
    const id = session.transport.sessionId;
    if (id !== undefined && sessions.get(id) === session) sessions.delete(id);
  }

  async function closeSession(session: Session) {
    forget(session);
    await session.server.close().catch(() => {});
  }

  /**
   * Admits one more session, closing idle sessions (oldest first) to make room: the
   * user's own when they are at their bound, anyone's when the server is. False when
   * there is still no room.
   */
  async function admit(session: Session): Promise<boolean> {
    const { userId } = session;
    const room = () =>
      live.size < maxSessions && [...live].filter((s) => s.userId === userId).length < maxPerUser;
    if (!room()) {
      const idleBefore = now() - idleMs;
      const idle = [...live]
        .filter((s) => s.calls === 0 && s.lastSeen <= idleBefore)
        .sort((a, b) => a.lastSeen - b.lastSeen);
      for (const candidate of idle) {
        if (room()) break;
        const userFull = [...live].filter((s) => s.userId === userId).length >= maxPerUser;
        if (userFull && candidate.userId !== userId && live.size < maxSessions) continue;
        await closeSession(candidate);
      }
    }
    // Checked and taken with no await in between.
    if (closed || !room()) return false;
    live.add(session);
    return true;
  }

  async function open(request: Request, identity: SessionIdentity): Promise<Response> {
    let body: unknown;
    try {
      body = await readJson(request, MAX_INIT_BODY_BYTES);
    } catch {
      return jsonRpcError(400, 'Bad Request: the body is not a JSON-RPC message');
    }
    if (!isInitializeRequest(body)) {
      return jsonRpcError(400, 'Bad Request: Mcp-Session-Id header is required');
    }
    const caller = options.clientFor(identity);
    if (caller === undefined) {
      return jsonRpcError(403, 'Forbidden: this user is not served by this MCP server');
    }
    const server = new McpServer(
      options.serverInfo ?? { name: 'paypal-handshake', version: '0.1.0' },
      options.instructions ? { instructions: options.instructions } : {},
    );
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => {
        if (live.has(session)) sessions.set(id, session);
      },
    });
    const session: Session = {
      userId: identity.userId,
      transport,
      server,
      lastSeen: now(),
      calls: 0,
    };
    if (!(await admit(session))) {
      return jsonRpcError(503, 'Service Unavailable: too many open MCP sessions', {
        'retry-after': '60',
      });
    }
    transport.onclose = () => forget(session);
    // The session's calls, counted so that a session waiting for a person is never
    // closed as idle.
    const call: HandshakeCall = async (tool, parameters, callOptions) => {
      session.calls += 1;
      try {
        return await caller.call(tool, parameters, callOptions);
      } finally {
        session.calls -= 1;
        session.lastSeen = now();
      }
    };
    registerSecuredPayPalTools(server, { ...toolOptions, call });
    try {
      await server.connect(transport);
      const response = await transport.handleRequest(request, { parsedBody: body });
      if (!sessions.has(transport.sessionId ?? '')) await closeSession(session);
      return response;
    } catch (error) {
      // The initialization failed: nothing of it stays open.
      await closeSession(session);
      throw error;
    }
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const host = request.headers.get('host') ?? url.host;
    if (!allowedHosts.has(host)) return jsonRpcError(403, 'Forbidden: this Host is not allowed');
    const origin = request.headers.get('origin');
    if (origin !== null && !allowedOrigins.has(origin)) {
      return jsonRpcError(403, 'Forbidden: this Origin is not allowed');
    }
    if (metadataPaths.has(url.pathname)) {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
      }
      return new Response(metadata, {
        headers: { 'content-type': 'application/json', 'cache-control': 'max-age=300' },
      });
    }
    if (url.pathname !== mcpPath) return jsonRpcError(404, 'Not Found');
    if (closed) return jsonRpcError(503, 'Service Unavailable: the server is closing');

    const authorization = request.headers.get('authorization') ?? '';
    const match = /^Bearer +([^\s]+) *$/i.exec(authorization);
    if (!match) {
      return jsonRpcError(401, 'Unauthorized: a bearer credential is required', challenge());
    }
    let identity: SessionIdentity | undefined;
    try {
      identity = await options.sessions.verify(match[1] as string);
    } catch {
      identity = undefined;
    }
    if (!identity) {
      return jsonRpcError(
        401,
        'Unauthorized: the bearer credential is not valid',
        challenge('invalid_token'),
      );
    }
    const missing = scopes.filter((scope) => !identity.scopes.includes(scope));
    if (missing.length > 0) {
      return jsonRpcError(
        403,
        'Forbidden: the bearer credential lacks a required scope',
        challenge('insufficient_scope'),
      );
    }

    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId === null) {
      if (request.method !== 'POST') {
        return jsonRpcError(400, 'Bad Request: Mcp-Session-Id header is required');
      }
      return open(request, identity);
    }
    const session = sessions.get(sessionId);
    if (!session) return jsonRpcError(404, 'Session not found');
    if (session.userId !== identity.userId) {
      // A session acts only for the user who opened it, whatever bearer reaches it.
      return jsonRpcError(403, 'Forbidden: this MCP session belongs to another user');
    }
    session.lastSeen = now();
    if (request.method !== 'POST') return session.transport.handleRequest(request);
    let body: unknown;
    try {
      body = await readJson(request, MAX_BODY_BYTES);
    } catch (error) {
      return error instanceof RangeError
        ? jsonRpcError(413, 'Payload Too Large')
        : jsonRpcError(400, 'Bad Request: the body is not a JSON-RPC message');
    }
    // A host that drops the connection before the answer cancels its requests, as if it
    // had sent notifications/cancelled: a call waiting for a person stops waiting.
    const ids = requestIds(body);
    if (ids.length > 0) {
      request.signal.addEventListener(
        'abort',
        () => {
          for (const requestId of ids) {
            session.transport.onmessage?.({
              jsonrpc: '2.0',
              method: 'notifications/cancelled',
              params: { requestId, reason: 'The host disconnected' },
            });
          }
        },
        { once: true },
      );
    }
    return session.transport.handleRequest(request, { parsedBody: body });
  }

  return {
    fetch: handle,
    get sessionCount() {
      return sessions.size;
    },
    async close() {
      closed = true;
      await Promise.all([...live].map((session) => closeSession(session)));
    },
  };
}
