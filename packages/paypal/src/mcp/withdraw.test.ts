// Cancellation withdraws the approval: the official MCP client in front of the secured
// PayPal MCP server (Streamable HTTP on loopback), in front of a real Handshake service.
// When the host cancels a call, or drops its connection, while the call waits for a
// person, the approval becomes `withdrawn` and a later approval is refused.
import { connect as connectSocket } from 'node:net';
import { createHandshakeClient } from '@handshake/client';
import { staticSessionVerifier } from '@handshake/core';
import { serve } from '@handshake/core/node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSecuredPayPalMcpHandler } from './http.js';
import type { HandshakeCaller } from './register.js';
import {
  HANDSHAKE_SESSIONS,
  type LoopbackService,
  startLoopbackService,
} from './service-support.js';

const BEARER = 'mcp-bearer-alice';

let service: LoopbackService;
beforeAll(async () => {
  service = await startLoopbackService();
});
afterAll(async () => {
  await service?.close();
});

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

/**
 * The MCP server with alice's real Handshake client; `waiting` resolves with the
 * approval id once a call is waiting for a person (the client streams the approval).
 */
async function startMcp() {
  const waits: Array<(approvalId: string) => void> = [];
  const client = createHandshakeClient({
    baseUrl: service.url,
    session: HANDSHAKE_SESSIONS.alice,
    signer: service.key,
  });
  const caller: HandshakeCaller = {
    call: (tool, parameters, options) => {
      let approvalId: string | undefined;
      return client.call(tool, parameters, {
        ...(options?.signal ? { signal: options.signal } : {}),
        onStatus: (status) => {
          options?.onStatus?.(status);
          if (status.status === 'pending') approvalId = status.approvalId;
          if (status.status === 'streaming' && approvalId) waits.shift()?.(approvalId);
        },
      });
    },
  };
  let mcp: ReturnType<typeof createSecuredPayPalMcpHandler> | undefined;
  const running = await serve(
    async (request) => mcp?.fetch(request) ?? new Response(null, { status: 503 }),
  );
  mcp = createSecuredPayPalMcpHandler({
    resource: `${running.url}/mcp`,
    sessions: staticSessionVerifier({ [BEARER]: 'alice' }),
    clientFor: () => caller,
    tools: ['create_refund'],
  });
  const handler = mcp;
  open.push({ close: () => running.close() }, { close: () => handler.close() });
  const host = new Client({ name: 'host', version: '0.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${running.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${BEARER}` } },
  });
  await host.connect(transport);
  open.push(host);
  return {
    host,
    transport,
    port: running.port,
    waiting: () => new Promise<string>((resolve) => waits.push(resolve)),
  };
}

/** The approval's status as alice's session reads it on the service. */
async function statusOf(approvalId: string): Promise<string> {
  const answer = await fetch(`${service.url}/approvals/${encodeURIComponent(approvalId)}`, {
    headers: { authorization: `Bearer ${HANDSHAKE_SESSIONS.alice}` },
  });
  return ((await answer.json()) as { status: string }).status;
}

/** The approver's later approval: refused, naming the status. */
async function expectLateApprovalRefused(approvalId: string) {
  const late = await service.decide(approvalId, 'approve');
  expect(late.status).toBe(409);
  expect(await late.json()).toEqual({
    success: false,
    error: {
      code: 'APPROVAL_PENDING',
      message: 'The approval was already withdrawn: its requester cancelled the call',
    },
  });
  const audited = service.audit.find(
    (event) => event.type === 'approval.withdrawn' && event.approvalId === approvalId,
  );
  expect(audited).toMatchObject({ outcome: 'withdrawn', userId: 'alice', decidedBy: 'alice' });
}

const refundOf = (captureId: string) => ({
  capture_id: captureId,
  amount: { currency_code: 'USD', value: '5.00' },
});

describe('cancellation withdraws the approval', () => {
  it('when the host cancels the request while a person has not decided', async () => {
    const { host, waiting } = await startMcp();
    const { captureId } = service.paypal.state.ids;
    const waited = waiting();
    const controller = new AbortController();
    const call = host
      .callTool({ name: 'create_refund', arguments: refundOf(captureId) }, undefined, {
        signal: controller.signal,
        timeout: 30_000,
      })
      .catch((error: unknown) => error);
    const approvalId = await waited;
    expect(await statusOf(approvalId)).toBe('pending');
    // The SDK sends notifications/cancelled and gives up on the answer.
    controller.abort('the user stopped the agent');
    expect(await call).toBeInstanceOf(Error);
    await expect.poll(() => statusOf(approvalId)).toBe('withdrawn');
    await expectLateApprovalRefused(approvalId);
    expect(service.paypal.state.captures.get(captureId)?.refundIds).toEqual([]);
  });

  it('when the host drops its connection while a person has not decided', async () => {
    const { transport, port, waiting } = await startMcp();
    const { captureId } = service.paypal.state.ids;
    const waited = waiting();
    // A raw connection (the simulated PayPal intercepts fetch and node:http): the
    // tools/call is sent on the host's MCP session, then the socket is destroyed.
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'create_refund', arguments: refundOf(captureId) },
    });
    const socket = connectSocket(port, '127.0.0.1');
    socket.write(
      [
        'POST /mcp HTTP/1.1',
        `host: 127.0.0.1:${port}`,
        `authorization: Bearer ${BEARER}`,
        `mcp-session-id: ${String(transport.sessionId)}`,
        `mcp-protocol-version: ${String(transport.protocolVersion)}`,
        'content-type: application/json',
        'accept: application/json, text/event-stream',
        `content-length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n'),
    );
    const approvalId = await waited;
    expect(await statusOf(approvalId)).toBe('pending');
    socket.destroy();
    await expect.poll(() => statusOf(approvalId)).toBe('withdrawn');
    await expectLateApprovalRefused(approvalId);
    expect(service.paypal.state.captures.get(captureId)?.refundIds).toEqual([]);
  });
});
