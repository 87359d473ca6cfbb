import { HandshakeError } from '@handshake/protocol';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { paypalToolTiers } from '../tools/tiers.js';
import type { PayPalToolName } from '../tools/tool-names.js';
import {
  type HandshakeCall,
  type HandshakeCallOptions,
  registerSecuredPayPalTools,
  type SecuredPayPalToolsOptions,
} from './register.js';

interface Recorded {
  tool: string;
  parameters: Record<string, unknown>;
  options: HandshakeCallOptions | undefined;
}

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

async function connect(options: Omit<SecuredPayPalToolsOptions, 'call'>, call: HandshakeCall) {
  const server = new McpServer({ name: 'paypal-secured', version: '0.0.0' });
  const registered = registerSecuredPayPalTools(server, { ...options, call });
  const client = new Client({ name: 'test-agent', version: '0.0.0' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  open.push(client, server);
  return { client, registered };
}

function recorder(answer: (recorded: Recorded) => unknown) {
  const calls: Recorded[] = [];
  const call: HandshakeCall = async (tool, parameters, options) => {
    const recorded = { tool, parameters, options };
    calls.push(recorded);
    return answer(recorded);
  };
  return { calls, call };
}

function text(result: unknown): string {
  const content = (result as CallToolResult).content[0];
  return content?.type === 'text' ? content.text : '';
}

describe('registerSecuredPayPalTools', () => {
  it('lists every implemented tool with its tier, schema and annotations', async () => {
    const { client } = await connect({}, recorder(() => null).call);
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(30);
    expect(tools.map((tool) => tool.name)).not.toContain('update_product');
    for (const tool of tools) {
      const tier = paypalToolTiers[tool.name as PayPalToolName];
      expect(tool._meta).toEqual({ 'handshake/tier': tier });
      expect(tool.description?.startsWith(`[${tier}`)).toBe(true);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.annotations?.openWorldHint).toBe(true);
    }
    const refund = tools.find((tool) => tool.name === 'create_refund');
    expect(refund?.title).toBe('Create Refund');
    expect(refund?.description).toMatch(
      /^\[RESTRICTED: needs approval; the call waits until a person decides\] Initiate a refund/,
    );
    expect(refund?.annotations).toEqual({
      title: 'Create Refund',
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
      openWorldHint: true,
    });
    expect(refund?.inputSchema).toMatchObject({
      properties: { capture_id: { type: 'string' } },
      required: ['capture_id'],
    });
    const dispute = tools.find((tool) => tool.name === 'accept_dispute_claim');
    // The corrected schema: the pattern sits on dispute_id, not on note.
    expect(dispute?.inputSchema).toMatchObject({
      properties: {
        dispute_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,255}$' },
        note: { type: 'string', maxLength: 2000 },
      },
    });
  });

  it('registers only the chosen tools, showing raised tiers', async () => {
    const { client, registered } = await connect(
      { tools: ['get_order', 'send_invoice'], tiers: { send_invoice: 'RESTRICTED' } },
      recorder(() => null).call,
    );
    expect(Object.keys(registered).sort()).toEqual(['get_order', 'send_invoice']);
    const { tools } = await client.listTools();
    expect(tools.find((tool) => tool.name === 'send_invoice')?._meta).toEqual({
      'handshake/tier': 'RESTRICTED',
    });
  });

  it('refuses to show a lowered tier, or a tool it cannot offer', () => {
    const server = new McpServer({ name: 'x', version: '0' });
    const call = recorder(() => null).call;
    expect(() =>
      registerSecuredPayPalTools(server, { call, tiers: { create_refund: 'INTERNAL' } }),
    ).toThrow('tiers may raise create_refund above RESTRICTED, never lower it');
    expect(() => registerSecuredPayPalTools(server, { call, tools: ['update_product'] })).toThrow(
      'update_product is not offered: @paypal/agent-toolkit 1.8 defines update_product but does not implement it',
    );
  });

  it('runs the handshake call with the parsed arguments and returns its result', async () => {
    const { calls, call } = recorder(() => ({ id: 'INV2-1', status: 'SENT' }));
    const { client } = await connect({}, call);
    const result = await client.callTool({
      name: 'generate_invoice_qr_code',
      arguments: { invoice_id: 'INV2-8B4P-QX9L-2RFA-7MWD' },
    });
    expect(result.isError).toBeUndefined();
    expect(JSON.parse(text(result))).toEqual({ id: 'INV2-1', status: 'SENT' });
    expect(calls).toHaveLength(1);
    // Defaults are applied by the schema, so the approved call is the call that runs.
    expect(calls[0]?.parameters).toEqual({
      invoice_id: 'INV2-8B4P-QX9L-2RFA-7MWD',
      width: 300,
      height: 300,
    });
    expect(calls[0]?.options?.signal).toBeInstanceOf(AbortSignal);
  });

  it('answers bad arguments with a tool error, without calling the service', async () => {
    const { calls, call } = recorder(() => null);
    const { client } = await connect({}, call);
    const result = await client.callTool({ name: 'get_order', arguments: { id: 'not an id' } });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('Invalid arguments for tool get_order');
    expect(text(result)).toContain('Invalid PayPal Order ID');
    expect(calls).toEqual([]);
  });

  it('turns a Handshake error into a tool error with its code, never a token', async () => {
    const { client } = await connect(
      {},
      recorder(() => {
        throw new HandshakeError(
          'APPROVAL_DENIED',
          'ops denied create_refund (token hset_AbCdEf0123456789 was never issued)',
        );
      }).call,
    );
    const result = await client.callTool({
      name: 'create_refund',
      arguments: { capture_id: '3C679366HH908993F' },
    });
    expect(result.isError).toBe(true);
    expect(text(result)).toBe(
      'APPROVAL_DENIED: ops denied create_refund (token [redacted] was never issued)',
    );
    expect(result.structuredContent).toEqual({
      success: false,
      error: {
        code: 'APPROVAL_DENIED',
        message: 'ops denied create_refund (token [redacted] was never issued)',
      },
    });
  });

  it('hides the detail of unexpected errors', async () => {
    const { client } = await connect(
      {},
      recorder(() => {
        throw new Error('socket hang up at https://user:secret@example.com');
      }).call,
    );
    const result = await client.callTool({
      name: 'get_order',
      arguments: { id: '5O190127TN364715T' },
    });
    expect(text(result)).toBe('INTERNAL_ERROR: get_order failed before it completed');
  });

  it('reports the wait for approval as progress when the agent asks for it', async () => {
    const { call } = recorder(({ options }) => {
      options?.onStatus?.({ status: 'authorizing', tool: 'create_refund' });
      options?.onStatus?.({ status: 'pending', approvalId: 'apr_1' });
      options?.onStatus?.({ status: 'approved' });
      options?.onStatus?.({ status: 'executing' });
      // Terminal: the result itself says so.
      options?.onStatus?.({ status: 'completed' });
      return { status: 'COMPLETED' };
    });
    const { client } = await connect({}, call);
    const messages: string[] = [];
    await client.callTool(
      { name: 'create_refund', arguments: { capture_id: '3C679366HH908993F' } },
      undefined,
      { onprogress: (progress) => messages.push(progress.message ?? '') },
    );
    expect(messages).toEqual([
      'create_refund: waiting for a person to approve',
      'create_refund: approved',
      'create_refund: running at PayPal',
    ]);
  });

  it('binds a client passed whole', async () => {
    class Caller {
      readonly #seen: string[] = [];
      async call(tool: string) {
        this.#seen.push(tool);
        return { seen: this.#seen.length };
      }
    }
    const server = new McpServer({ name: 'x', version: '0' });
    expect(() => registerSecuredPayPalTools(server, {})).toThrow(TypeError);
    const registered = registerSecuredPayPalTools(server, {
      client: new Caller(),
      tools: ['get_order'],
    });
    expect(Object.keys(registered)).toEqual(['get_order']);
    const client = new Client({ name: 'agent', version: '0' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await client.connect(clientSide);
    open.push(client, server);
    const result = await client.callTool({
      name: 'get_order',
      arguments: { id: '5O190127TN364715T' },
    });
    expect(JSON.parse(text(result))).toEqual({ seen: 1 });
  });
});
