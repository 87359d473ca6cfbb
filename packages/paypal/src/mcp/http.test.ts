// The secured PayPal MCP server on the Streamable HTTP transport, driven by the official
// MCP client over real loopback HTTP, in front of a real Handshake service whose PayPal
// provider runs the toolkit's real code against the simulated PayPal API.
import { request as httpRequest } from 'node:http';
import { connect as connectSocket } from 'node:net';
import { createHandshakeClient } from '@handshake/client';
import { staticSessionVerifier, UnsupportedSpecificationVersionError } from '@handshake/core';
import { type RunningServer, serve } from '@handshake/core/node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createSecuredPayPalMcpHandler,
  type SecuredPayPalMcpHandler,
  type SecuredPayPalMcpHttpOptions,
} from './http.js';
import {
  HANDSHAKE_SESSIONS,
  type LoopbackService,
  startLoopbackService,
} from './service-support.js';

// The bearers hosts present to the MCP server: credentials for it, not for the service.
const BEARERS = { alice: 'mcp-bearer-alice', bob: 'mcp-bearer-bob', carol: 'mcp-bearer-carol' };

let service: LoopbackService;
beforeAll(async () => {
  service = await startLoopbackService();
});
afterAll(async () => {
  await service?.close();
});

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  // Clients first, then the servers they talk to.
  for (const item of open.splice(0).reverse()) await item.close();
});

interface Mcp {
  url: string;
  handler: SecuredPayPalMcpHandler;
  running: RunningServer;
}

async function startMcp(overrides: Partial<SecuredPayPalMcpHttpOptions> = {}): Promise<Mcp> {
  let handler: SecuredPayPalMcpHandler | undefined;
  const running = await serve(async (request) => {
    if (!handler) return new Response(null, { status: 503 });
    return handler.fetch(request);
  });
  handler = createSecuredPayPalMcpHandler({
    resource: `${running.url}/mcp`,
    sessions: staticSessionVerifier({
      [BEARERS.alice]: 'alice',
      [BEARERS.bob]: 'bob',
      [BEARERS.carol]: 'carol',
    }),
    // Each user's own Handshake session; carol is not served here.
    clientFor: ({ userId }) => {
      const session = HANDSHAKE_SESSIONS[userId as keyof typeof HANDSHAKE_SESSIONS];
      return session
        ? createHandshakeClient({ baseUrl: service.url, session, signer: service.key })
        : undefined;
    },
    tools: ['get_order', 'create_refund'],
    ...overrides,
  });
  const started = handler;
  open.push({ close: () => running.close() }, { close: () => started.close() });
  return { url: `${running.url}/mcp`, handler, running };
}

function transport(mcp: Mcp, bearer: string | undefined, sessionId?: string) {
  return new StreamableHTTPClientTransport(new URL(mcp.url), {
    ...(bearer ? { requestInit: { headers: { authorization: `Bearer ${bearer}` } } } : {}),
    ...(sessionId ? { sessionId } : {}),
  });
}

async function connect(mcp: Mcp, bearer: string) {
  const client = new Client({ name: 'host', version: '0.0.0' });
  const clientTransport = transport(mcp, bearer);
  await client.connect(clientTransport);
  open.push(client);
  return { client, transport: clientTransport };
}

function text(result: unknown): string {
  const content = (result as CallToolResult).content[0];
  return content?.type === 'text' ? content.text : '';
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw', version: '0' },
  },
};

function post(mcp: Mcp, headers: Record<string, string>, body: unknown = initialize) {
  return fetch(mcp.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

describe('the secured PayPal MCP server over Streamable HTTP', () => {
  it('refuses a session verifier of a specification version it does not know', () => {
    const sessions = { ...staticSessionVerifier({}), specificationVersion: 'v2' as 'v1' };
    expect(() =>
      createSecuredPayPalMcpHandler({
        resource: 'http://127.0.0.1:1/mcp',
        sessions,
        clientFor: () => undefined,
      }),
    ).toThrow(
      new UnsupportedSpecificationVersionError({
        kind: 'session verifier',
        version: 'v2',
        supportedVersions: ['v1'],
      }),
    );
  });

  it('lists the tools and runs a read as the authenticated user', async () => {
    const mcp = await startMcp();
    const { client } = await connect(mcp, BEARERS.alice);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['create_refund', 'get_order']);
    const orderId = service.paypal.state.ids.capturedOrderId;
    const result = await client.callTool({ name: 'get_order', arguments: { id: orderId } });
    expect(result.isError).toBeUndefined();
    expect(JSON.parse(text(result))).toMatchObject({ id: orderId, status: 'COMPLETED' });
    // The service authorized it for alice: her own session, never the host's bearer.
    const authorized = service.audit.filter(
      (event) => event.tool === 'get_order' && event.type === 'authorize',
    );
    expect(authorized.at(-1)?.userId).toBe('alice');
  });

  it('completes a refund that waits for a person and is approved', async () => {
    const mcp = await startMcp();
    const { client } = await connect(mcp, BEARERS.alice);
    const { captureId } = service.paypal.state.ids;
    const progress: string[] = [];
    const approval = service.nextApproval();
    const call = client.callTool(
      {
        name: 'create_refund',
        arguments: { capture_id: captureId, amount: { currency_code: 'USD', value: '10.00' } },
      },
      undefined,
      {
        timeout: 30_000,
        resetTimeoutOnProgress: true,
        onprogress: (update) => progress.push(update.message ?? ''),
      },
    );
    const requested = await approval;
    expect(requested).toMatchObject({ tool: 'create_refund', userId: 'alice' });
    const refundsBefore = service.paypal.state.captures.get(captureId)?.refundIds.length;
    expect((await service.decide(String(requested.approvalId), 'approve')).status).toBe(200);
    const result = await call;
    expect(result.isError).toBeUndefined();
    expect(JSON.parse(text(result))).toMatchObject({ status: 'COMPLETED' });
    expect(service.paypal.state.captures.get(captureId)?.refundIds.length).toBe(
      (refundsBefore ?? 0) + 1,
    );
    expect(progress).toContain('create_refund: waiting for a person to approve');
  });

  it('answers 401 naming its protected-resource metadata, which it serves', async () => {
    const mcp = await startMcp({
      authorizationServers: ['https://auth.example.com'],
    });
    const origin = new URL(mcp.url).origin;
    const metadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;

    const missing = await post(mcp, {});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${metadataUrl}"`,
    );
    const invalid = await post(mcp, { authorization: 'Bearer not-a-session' });
    expect(invalid.status).toBe(401);
    expect(invalid.headers.get('www-authenticate')).toBe(
      `Bearer error="invalid_token", resource_metadata="${metadataUrl}"`,
    );
    expect(await invalid.text()).not.toContain('not-a-session');
    expect(mcp.handler.sessionCount).toBe(0);

    const expected = {
      resource: mcp.url,
      authorization_servers: ['https://auth.example.com'],
      bearer_methods_supported: ['header'],
    };
    for (const url of [metadataUrl, `${origin}/.well-known/oauth-protected-resource`]) {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(expected);
    }

    // The official client, without a credential, cannot connect.
    const client = new Client({ name: 'host', version: '0.0.0' });
    await expect(client.connect(transport(mcp, undefined))).rejects.toThrow();
    await expect(
      new Client({ name: 'host', version: '0.0.0' }).connect(transport(mcp, 'not-a-session')),
    ).rejects.toThrow();
  });

  it('lists required scopes, and refuses a bearer without them', async () => {
    const mcp = await startMcp({
      sessions: staticSessionVerifier({
        'with-scope': { userId: 'alice', scopes: ['paypal:tools'] },
        'without-scope': 'alice',
      }),
      scopes: ['paypal:tools'],
    });
    const metadata = await fetch(new URL('/.well-known/oauth-protected-resource', mcp.url));
    expect(await metadata.json()).toMatchObject({ scopes_supported: ['paypal:tools'] });
    const refused = await post(mcp, { authorization: 'Bearer without-scope' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toMatch(
      /^Bearer error="insufficient_scope", scope="paypal:tools", resource_metadata="/,
    );
    const { client } = await connect(mcp, 'with-scope');
    expect((await client.listTools()).tools).toHaveLength(2);
  });

  it("refuses another user's bearer on an existing session, which keeps acting for its owner", async () => {
    const mcp = await startMcp();
    const alice = await connect(mcp, BEARERS.alice);
    const sessionId = alice.transport.sessionId;
    expect(sessionId).toEqual(expect.any(String));

    // Bob presents his own valid bearer with alice's session id.
    const raw = await post(
      mcp,
      { authorization: `Bearer ${BEARERS.bob}`, 'mcp-session-id': String(sessionId) },
      { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
    );
    expect(raw.status).toBe(403);
    expect(await raw.json()).toMatchObject({
      error: { message: 'Forbidden: this MCP session belongs to another user' },
    });
    const hijack = new Client({ name: 'bob', version: '0.0.0' });
    const hijackTransport = transport(mcp, BEARERS.bob, sessionId);
    // Joining an existing session: the client skips initialization.
    await hijack.connect(hijackTransport);
    open.push(hijack);
    const before = service.audit.length;
    await expect(
      hijack.callTool({
        name: 'get_order',
        arguments: { id: service.paypal.state.ids.capturedOrderId },
      }),
    ).rejects.toThrow(/this MCP session belongs to another user/);
    // Nothing reached the service in alice's name.
    expect(service.audit.length).toBe(before);

    // Alice's session still works, as alice; bob gets a session of his own, as bob.
    expect((await alice.client.listTools()).tools).toHaveLength(2);
    const bob = await connect(mcp, BEARERS.bob);
    expect(bob.transport.sessionId).not.toBe(sessionId);
    await bob.client.callTool({
      name: 'get_order',
      arguments: { id: service.paypal.state.ids.capturedOrderId },
    });
    const lastAuthorize = service.audit.filter((event) => event.type === 'authorize').at(-1);
    expect(lastAuthorize?.userId).toBe('bob');
  });

  it('refuses a user it does not serve', async () => {
    const mcp = await startMcp();
    const response = await post(mcp, { authorization: `Bearer ${BEARERS.carol}` });
    expect(response.status).toBe(403);
    expect(mcp.handler.sessionCount).toBe(0);
  });

  it('refuses a foreign Origin or Host, against DNS rebinding', async () => {
    const mcp = await startMcp();
    const origin = new URL(mcp.url).origin;
    const evil = await post(mcp, {
      authorization: `Bearer ${BEARERS.alice}`,
      origin: 'http://evil.example',
    });
    expect(evil.status).toBe(403);
    expect(await evil.json()).toMatchObject({
      error: { message: 'Forbidden: this Origin is not allowed' },
    });
    expect(mcp.handler.sessionCount).toBe(0);

    // A rebinding page reaches the loopback port under its own host name.
    const rebound = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        mcp.url,
        {
          method: 'POST',
          headers: {
            host: `evil.example:${mcp.running.port}`,
            authorization: `Bearer ${BEARERS.alice}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify(initialize));
    });
    expect(rebound).toBe(403);
    expect(mcp.handler.sessionCount).toBe(0);

    // The server's own origin is allowed, with the official client too.
    const same = await post(mcp, { authorization: `Bearer ${BEARERS.alice}`, origin });
    expect(same.status).toBe(200);
    const client = new Client({ name: 'host', version: '0.0.0' });
    const withOrigin = new StreamableHTTPClientTransport(new URL(mcp.url), {
      requestInit: { headers: { authorization: `Bearer ${BEARERS.alice}`, origin } },
    });
    await client.connect(withOrigin);
    open.push(client);
    expect((await client.listTools()).tools).toHaveLength(2);
  });

  it('closes a session on DELETE', async () => {
    const mcp = await startMcp();
    const { client, transport: clientTransport } = await connect(mcp, BEARERS.alice);
    expect(mcp.handler.sessionCount).toBe(1);
    const sessionId = String(clientTransport.sessionId);
    await clientTransport.terminateSession();
    expect(mcp.handler.sessionCount).toBe(0);
    await client.close();
    const after = await post(
      mcp,
      { authorization: `Bearer ${BEARERS.alice}`, 'mcp-session-id': sessionId },
      { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
    );
    expect(after.status).toBe(404);
  });

  it('bounds the sessions per user, even when they open at once, and closes idle ones for room', async () => {
    let now = 1_000_000;
    const mcp = await startMcp({ maxSessionsPerUser: 2, idleSessionMs: 60_000, now: () => now });
    const opened = await Promise.all(
      [1, 2, 3, 4].map(() => post(mcp, { authorization: `Bearer ${BEARERS.alice}` })),
    );
    const statuses = opened.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 200, 503, 503]);
    await Promise.all(opened.map((response) => response.body?.cancel()));
    expect(mcp.handler.sessionCount).toBe(2);
    // Bob is not held back by alice's bound.
    expect((await post(mcp, { authorization: `Bearer ${BEARERS.bob}` })).status).toBe(200);

    now += 60_000;
    const later = await post(mcp, { authorization: `Bearer ${BEARERS.alice}` });
    expect(later.status).toBe(200);
    await later.body?.cancel();
    // One of alice's idle sessions made room; bob's was left alone.
    expect(mcp.handler.sessionCount).toBe(3);
    const answers = await Promise.all(
      opened
        .filter((response) => response.status === 200)
        .map(async (response) => {
          const answer = await post(
            mcp,
            {
              authorization: `Bearer ${BEARERS.alice}`,
              'mcp-session-id': String(response.headers.get('mcp-session-id')),
            },
            { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
          );
          await answer.body?.cancel();
          return answer.status;
        }),
    );
    expect(answers.sort()).toEqual([200, 404]);
  });

  it('cancels the calls of a request whose host dropped the connection', async () => {
    let started!: () => void;
    const callStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    let aborted: unknown;
    const mcp = await startMcp({
      // A call that waits, as a RESTRICTED one waits for a person.
      clientFor: () => ({
        call: (_tool, _parameters, options) =>
          new Promise((_resolve, reject) => {
            options?.signal?.addEventListener('abort', () => {
              aborted = options.signal?.reason;
              reject(new Error('cancelled'));
            });
            started();
          }),
      }),
    });
    const { transport: clientTransport } = await connect(mcp, BEARERS.alice);
    // A raw connection (the simulated PayPal intercepts fetch and node:http, and holds a
    // dropped connection open): the tools/call is sent, then the socket is destroyed.
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'create_refund', arguments: { capture_id: '3C679366HH908993F' } },
    });
    const socket = connectSocket(mcp.running.port, '127.0.0.1');
    socket.write(
      [
        'POST /mcp HTTP/1.1',
        `host: 127.0.0.1:${mcp.running.port}`,
        `authorization: Bearer ${BEARERS.alice}`,
        `mcp-session-id: ${String(clientTransport.sessionId)}`,
        `mcp-protocol-version: ${String(clientTransport.protocolVersion)}`,
        'content-type: application/json',
        'accept: application/json, text/event-stream',
        `content-length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n'),
    );
    await callStarted;
    expect(aborted).toBeUndefined();
    // The host goes away mid-call, its answer stream still open.
    socket.destroy();
    await expect.poll(() => aborted).toBe('The host disconnected');
    expect(mcp.handler.sessionCount).toBe(1);
  });
});
