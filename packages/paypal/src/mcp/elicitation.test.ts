// URL-mode elicitation with the official MCP client: a host that declares it is asked
// to open the console page of the one approval a call waits for, and is told when the
// person decided; a host that does not is never asked.
import { createHandshakeClient } from '@handshake/client';
import { staticSessionVerifier } from '@handshake/core';
import { serve } from '@handshake/core/node';
import { HandshakeError } from '@handshake/protocol';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  type CallToolResult,
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecuredPayPalMcpHandler } from './http.js';
import { type HandshakeCall, registerSecuredPayPalTools } from './register.js';
import { HANDSHAKE_SESSIONS, startLoopbackService } from './service-support.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

const APPROVAL = 'apr_0123456789abcdef0123456789ab_x';

/** A call that waits for a person, reporting its statuses as the Handshake client does. */
function waitingCall(outcome: 'approved' | 'denied', decided: Promise<void>): HandshakeCall {
  return async (tool, _parameters, options) => {
    const base = { tool, transactionId: 'tx_1', approvalId: APPROVAL };
    options?.onStatus?.({
      status: 'pending',
      ...base,
      expiresAt: '2030-01-01T00:00:00Z',
      tier: 'RESTRICTED',
    });
    await decided;
    options?.onStatus?.({ status: outcome, ...base });
    if (outcome === 'denied') throw new HandshakeError('APPROVAL_DENIED', 'a person denied it');
    return { id: 'REFUND-1', status: 'COMPLETED' };
  };
}

async function connect(call: HandshakeCall, capabilities: ConstructorParameters<typeof Client>[1]) {
  const server = new McpServer({ name: 'paypal-secured', version: '0.0.0' });
  registerSecuredPayPalTools(server, {
    call,
    tools: ['create_refund'],
    approvalUrl: (id) => `https://handshake.example.com/console#approval=${id}`,
  });
  const client = new Client({ name: 'host', version: '0.0.0' }, capabilities);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  open.push(client, server);
  return client;
}

const refund = {
  capture_id: '3C679366HH908993F',
  amount: { value: '25.00', currency_code: 'USD' },
};

describe('URL-mode elicitation while a call waits for approval', () => {
  it('asks the host to open the console page of that approval, then sends the completion', async () => {
    let decide!: () => void;
    const decided = new Promise<void>((resolve) => {
      decide = resolve;
    });
    const client = await connect(waitingCall('approved', decided), {
      capabilities: { elicitation: { url: {} } },
    });
    const asked: Array<Record<string, unknown>> = [];
    const completed: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params);
      decide();
      return { action: 'accept' };
    });
    client.setNotificationHandler(ElicitationCompleteNotificationSchema, (notification) => {
      completed.push(notification.params.elicitationId);
    });
    const result = (await client.callTool({
      name: 'create_refund',
      arguments: refund,
    })) as CallToolResult;
    expect(result.isError).toBeUndefined();
    expect(asked).toEqual([
      {
        mode: 'url',
        elicitationId: APPROVAL,
        url: `https://handshake.example.com/console#approval=${APPROVAL}`,
        message: expect.stringContaining('create_refund waits for your approval'),
      },
    ]);
    await expect.poll(() => completed).toEqual([APPROVAL]);
  });

  it('sends the completion on a denial too', async () => {
    const client = await connect(waitingCall('denied', Promise.resolve()), {
      capabilities: { elicitation: { url: {} } },
    });
    const completed: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept' }));
    client.setNotificationHandler(ElicitationCompleteNotificationSchema, (notification) => {
      completed.push(notification.params.elicitationId);
    });
    const result = (await client.callTool({
      name: 'create_refund',
      arguments: refund,
    })) as CallToolResult;
    expect(result.isError).toBe(true);
    await expect.poll(() => completed).toEqual([APPROVAL]);
  });

  it('never asks a host that does not declare URL-mode elicitation', async () => {
    const client = await connect(waitingCall('approved', Promise.resolve()), {
      capabilities: { elicitation: { form: {} } },
    });
    const asked: unknown[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params);
      return { action: 'decline' };
    });
    const result = (await client.callTool({
      name: 'create_refund',
      arguments: refund,
    })) as CallToolResult;
    expect(result.isError).toBeUndefined();
    expect(asked).toEqual([]);
  });
});

describe('URL-mode elicitation with a real Handshake service', () => {
  it('sends the console page of the approval, and the completion once a person approved', async () => {
    const service = await startLoopbackService();
    open.push(service);
    const consolePage = (id: string) =>
      new URL(`console#approval=${encodeURIComponent(id)}`, service.url).href;
    let mcp: ReturnType<typeof createSecuredPayPalMcpHandler> | undefined;
    const running = await serve(
      async (request) => mcp?.fetch(request) ?? new Response(null, { status: 503 }),
    );
    mcp = createSecuredPayPalMcpHandler({
      resource: `${running.url}/mcp`,
      sessions: staticSessionVerifier({ 'mcp-bearer-alice': 'alice' }),
      clientFor: () =>
        createHandshakeClient({
          baseUrl: service.url,
          session: HANDSHAKE_SESSIONS.alice,
          signer: service.key,
        }),
      tools: ['create_refund'],
      approvalUrl: consolePage,
    });
    open.push(running, mcp);

    // The host declares URL-mode elicitation and opens what it is asked to open.
    const host = new Client(
      { name: 'host', version: '0.0.0' },
      { capabilities: { elicitation: { url: {} } } },
    );
    const asked: Array<Record<string, unknown>> = [];
    let opened!: (url: string) => void;
    const pageOpened = new Promise<string>((resolve) => {
      opened = resolve;
    });
    host.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params);
      opened(String((request.params as { url?: unknown }).url));
      return { action: 'accept' };
    });
    const completed: string[] = [];
    host.setNotificationHandler(ElicitationCompleteNotificationSchema, (notification) => {
      completed.push(notification.params.elicitationId);
    });
    await host.connect(
      new StreamableHTTPClientTransport(new URL(`${running.url}/mcp`), {
        requestInit: { headers: { authorization: 'Bearer mcp-bearer-alice' } },
      }),
    );
    open.push(host);

    const { captureId } = service.paypal.state.ids;
    const requested = service.nextApproval();
    const call = host.callTool(
      {
        name: 'create_refund',
        arguments: { capture_id: captureId, amount: { currency_code: 'USD', value: '5.00' } },
      },
      undefined,
      { timeout: 30_000 },
    );
    const approval = await requested;
    const approvalId = String(approval.approvalId);
    const url = await pageOpened;
    // The console page of that one approval: nothing else in it, and no credential.
    expect(url).toBe(`${service.url}/console#approval=${approvalId}`);
    expect(approvalId).toMatch(/^apr_[A-Za-z0-9_-]+$/);
    expect(asked).toEqual([
      {
        mode: 'url',
        elicitationId: approvalId,
        url,
        message: expect.stringContaining('create_refund waits for your approval'),
      },
    ]);
    const shown = JSON.stringify(asked);
    for (const secret of [
      'hset_',
      'hsvt_',
      'hsst_',
      HANDSHAKE_SESSIONS.alice,
      'mcp-bearer-alice',
    ]) {
      expect(shown).not.toContain(secret);
    }
    expect(completed).toEqual([]);
    expect(service.paypal.state.captures.get(captureId)?.refundIds).toEqual([]);

    // The person approves on the service, through its approver API.
    expect((await service.decide(approvalId, 'approve')).status).toBe(200);
    const result = (await call) as CallToolResult;
    expect(result.isError).toBeUndefined();
    expect(JSON.parse(String((result.content[0] as { text?: unknown }).text))).toMatchObject({
      status: 'COMPLETED',
    });
    await expect.poll(() => completed).toEqual([approvalId]);
    expect(service.paypal.state.captures.get(captureId)?.refundIds).toHaveLength(1);
  });
});
