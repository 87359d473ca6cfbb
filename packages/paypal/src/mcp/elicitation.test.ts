// URL-mode elicitation with the official MCP client: a host that declares it is asked
// to open the console page of the one approval a call waits for, and is told when the
// person decided; a host that does not is never asked.
import { HandshakeError } from '@handshake/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  type CallToolResult,
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type HandshakeCall, registerSecuredPayPalTools } from './register.js';

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
