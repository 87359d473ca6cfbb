// End to end: an MCP client (the official SDK) talks over stdio to this example, started
// exactly as an MCP host starts it (`pnpm --silent --dir examples/paypal-mcp-server
// start`); the example calls a Handshake service served here on loopback, whose PayPal
// provider runs the toolkit's real code against the simulated PayPal API. Nothing leaves
// the machine.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AuditEvent } from '@handshake/core';
import type { SimulatedPayPal } from '@handshake/paypal/testing';
import { generateSigningKey } from '@handshake/protocol';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  getDefaultEnvironment,
  StdioClientTransport,
} from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from './local-service.js';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

// The documented command, `pnpm --silent --dir … start`. Under `pnpm test`, pnpm's own
// script runs with the same Node (pnpm may not be on PATH when it came through npx).
const pnpmCli = process.env.npm_execpath;
const pnpm = (...args: string[]) =>
  pnpmCli && /pnpm\.c?js$/.test(pnpmCli)
    ? { command: process.execPath, args: [pnpmCli, ...args] }
    : { command: 'pnpm', args };
const start = pnpm('--silent', '--dir', exampleDir, 'start');
const SESSION = 'session-alice';
const APPROVER = 'approver-token';
const key = generateSigningKey();

// The service's audit trail tells the test when an approval is waiting: no polling.
const approvalWaiters: Array<(event: AuditEvent) => void> = [];
function nextApproval(): Promise<AuditEvent> {
  return new Promise((resolve) => approvalWaiters.push(resolve));
}

let service: LocalService;
let paypal: SimulatedPayPal;
let client: Client;
const serviceLog: string[] = [];
let serverLog = '';
const protocolErrors: Error[] = [];

function environment(overrides: Record<string, string> = {}) {
  return {
    ...getDefaultEnvironment(),
    HANDSHAKE_URL: service.url,
    HANDSHAKE_SESSION_TOKEN: SESSION,
    HANDSHAKE_KEY_ID: 'laptop',
    HANDSHAKE_PRIVATE_KEY: key.privateKey,
    ...overrides,
  };
}

beforeAll(async () => {
  // The example's local service, in simulated mode, on a free loopback port.
  service = await startLocalService({
    env: {
      PORT: '0',
      HANDSHAKE_SESSIONS: `alice:${SESSION}`,
      HANDSHAKE_KEYS: `alice:laptop:${key.publicKey}`,
      HANDSHAKE_APPROVER_TOKEN: APPROVER,
      PAYPAL_MODE: 'simulated',
    },
    audit: [
      {
        specificationVersion: 'v1',
        write(event) {
          if (event.type === 'approval.requested') approvalWaiters.shift()?.(event);
        },
      },
    ],
    log: (line) => serviceLog.push(line),
  });
  if (!service.paypal) throw new Error('the local service should simulate PayPal');
  paypal = service.paypal;

  const transport = new StdioClientTransport({
    command: start.command,
    args: start.args,
    env: environment(),
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => {
    serverLog += chunk.toString('utf8');
  });
  client = new Client({ name: 'e2e-agent', version: '1.0.0' });
  // A line on stdout that is not a protocol message surfaces here.
  client.onerror = (error) => protocolErrors.push(error);
  await client.connect(transport);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await service?.close();
});

async function decide(approvalId: string, decision: 'approve' | 'deny') {
  const response = await fetch(`${service.url}/approvals/${approvalId}/decision`, {
    method: 'POST',
    headers: { authorization: `Bearer ${APPROVER}`, 'content-type': 'application/json' },
    body: JSON.stringify({ decision }),
  });
  expect(response.status).toBe(200);
}

function text(result: unknown): string {
  const content = (result as CallToolResult).content[0];
  return content?.type === 'text' ? content.text : '';
}

describe('the PayPal MCP server over stdio', () => {
  it('lists every PayPal tool with its tier and annotations', async () => {
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(30);
    const refund = tools.find((tool) => tool.name === 'create_refund');
    expect(refund?.description).toMatch(/^\[RESTRICTED: needs approval/);
    expect(refund?.annotations).toMatchObject({ destructiveHint: true, readOnlyHint: false });
    const read = tools.find((tool) => tool.name === 'get_order');
    expect(read?.annotations).toMatchObject({ readOnlyHint: true });
    expect(serverLog).toContain('30 PayPal tools served through http://127.0.0.1:');
  });

  it('calls a read through the handshake', async () => {
    const result = await client.callTool({
      name: 'get_order',
      arguments: { id: paypal.state.ids.capturedOrderId },
    });
    expect(result.isError).toBeUndefined();
    expect(JSON.parse(text(result))).toMatchObject({
      id: paypal.state.ids.capturedOrderId,
      status: 'COMPLETED',
    });
  });

  it('answers bad arguments with a clear tool error', async () => {
    const before = paypal.state.requests.length;
    const result = await client.callTool({ name: 'get_order', arguments: { id: 'order 42' } });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('Invalid arguments for tool get_order');
    expect(text(result)).toContain('Invalid PayPal Order ID');
    expect(paypal.state.requests.length).toBe(before);
  });

  it('completes a refund that a person approves while the call waits', async () => {
    const { captureId } = paypal.state.ids;
    const progress: string[] = [];
    const approval = nextApproval();
    const call = client.callTool(
      {
        name: 'create_refund',
        arguments: {
          capture_id: captureId,
          amount: { currency_code: 'USD', value: '25.00' },
          note_to_payer: 'Partial refund for the late delivery',
        },
      },
      undefined,
      { timeout: 60_000, onprogress: (update) => progress.push(update.message ?? '') },
    );
    const requested = await approval;
    expect(requested).toMatchObject({
      tool: 'create_refund',
      amount: { value: '25.00', currency: 'USD' },
    });
    // Nothing has reached PayPal while the call waits.
    expect(paypal.state.captures.get(captureId)?.refundIds).toEqual([]);
    expect(serviceLog).toContain(
      `approval waiting: create_refund USD 25.00 (${String(requested.approvalId)})`,
    );
    await decide(String(requested.approvalId), 'approve');

    const result = await call;
    expect(result.isError).toBeUndefined();
    expect(JSON.parse(text(result))).toMatchObject({ status: 'COMPLETED' });
    const capture = paypal.state.captures.get(captureId);
    expect(capture?.status).toBe('PARTIALLY_REFUNDED');
    expect(paypal.state.refunds.get(capture?.refundIds[0] ?? '')?.amount).toEqual({
      currency_code: 'USD',
      value: '25.00',
    });
    expect(progress).toContain('create_refund: waiting for a person to approve');
    expect(progress).toContain('create_refund: running at PayPal');
  });

  it('reports a denial as a tool error, and PayPal is never called', async () => {
    const { approvedOrderId } = paypal.state.ids;
    const approval = nextApproval();
    const call = client.callTool(
      { name: 'pay_order', arguments: { id: approvedOrderId } },
      undefined,
      {
        timeout: 60_000,
      },
    );
    const requested = await approval;
    expect(requested.amount).toEqual({ value: '100.00', currency: 'USD' });
    await decide(String(requested.approvalId), 'deny');
    const result = await call;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/^APPROVAL_DENIED: /);
    expect(text(result)).not.toMatch(/hset_/);
    expect(paypal.state.orders.get(approvedOrderId)?.status).toBe('APPROVED');
  });

  it('wrote nothing but protocol messages on stdout', () => {
    expect(protocolErrors).toEqual([]);
  });
});

describe('configuration', () => {
  it('names the missing variable and writes nothing on stdout', async () => {
    const env = environment();
    delete (env as Record<string, string | undefined>).HANDSHAKE_PRIVATE_KEY;
    const child = spawn(start.command, start.args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('HANDSHAKE_PRIVATE_KEY is not set');
    expect(stderr).not.toContain(SESSION);
  }, 30_000);
});
