// The same command over Streamable HTTP (`start -- --http`): hosts connect with a bearer
// credential for the MCP server, and each user's calls reach the Handshake service with
// that user's own session. The official MCP client talks to it over loopback.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AuditEvent } from '@handshake/core';
import { generateSigningKey } from '@handshake/protocol';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from './local-service.js';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const pnpmCli = process.env.npm_execpath;
const start =
  pnpmCli && /pnpm\.c?js$/.test(pnpmCli)
    ? {
        command: process.execPath,
        args: [pnpmCli, '--silent', '--dir', exampleDir, 'start', '--http'],
      }
    : { command: 'pnpm', args: ['--silent', '--dir', exampleDir, 'start', '--http'] };

const key = generateSigningKey();
const audit: AuditEvent[] = [];
let service: LocalService;
let child: ChildProcess;
let mcpUrl: string;
let stderr = '';

beforeAll(async () => {
  service = await startLocalService({
    env: {
      PORT: '0',
      HANDSHAKE_SESSIONS: 'alice:handshake-session-alice',
      // The MCP server's key, listed for the user it serves.
      HANDSHAKE_KEYS: `alice:mcp:${key.publicKey}`,
      HANDSHAKE_APPROVER_TOKEN: 'approver-token',
      PAYPAL_MODE: 'simulated',
    },
    audit: [{ specificationVersion: 'v1', write: (event) => void audit.push(event) }],
    log: () => {},
  });
  // Its own process group: pnpm, tsx and the server stop together.
  child = spawn(start.command, start.args, {
    detached: true,
    env: {
      ...process.env,
      HANDSHAKE_URL: service.url,
      HANDSHAKE_KEY_ID: 'mcp',
      HANDSHAKE_PRIVATE_KEY: key.privateKey,
      HANDSHAKE_USER_SESSIONS: 'alice:handshake-session-alice',
      HANDSHAKE_MCP_SESSIONS: 'alice:mcp-bearer-alice',
      HANDSHAKE_MCP_PORT: '0',
    },
  });
  mcpUrl = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /served over HTTP at (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr);
      if (match) resolve(match[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-(child.pid as number), 'SIGTERM');
    await exited;
  }
  await service?.close();
});

describe('handshake-paypal-mcp --http', () => {
  it('runs a read for the user its bearer names', async () => {
    const client = new Client({ name: 'host', version: '0.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(mcpUrl), {
        requestInit: { headers: { authorization: 'Bearer mcp-bearer-alice' } },
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(30);
      const orderId = service.paypal?.state.ids.capturedOrderId;
      const result = (await client.callTool({
        name: 'get_order',
        arguments: { id: orderId },
      })) as CallToolResult;
      expect(result.isError).toBeUndefined();
      const content = result.content[0];
      expect(JSON.parse(content?.type === 'text' ? content.text : '')).toMatchObject({
        id: orderId,
      });
      expect(audit.find((event) => event.tool === 'get_order')?.userId).toBe('alice');
    } finally {
      await client.close();
    }
  });

  it('answers a request without a bearer with 401 and its metadata', async () => {
    const response = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: '{}',
    });
    expect(response.status).toBe(401);
    const metadataUrl = new URL('/.well-known/oauth-protected-resource/mcp', mcpUrl).href;
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${metadataUrl}"`,
    );
    expect(await (await fetch(metadataUrl)).json()).toEqual({
      resource: mcpUrl,
      bearer_methods_supported: ['header'],
    });
    // The log names the address, never a credential.
    expect(stderr).not.toMatch(/mcp-bearer-alice|handshake-session-alice/);
  });
});
