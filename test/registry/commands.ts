// The two commands, installed with npm from the local registry: `handshake-server` and
// `handshake-paypal-mcp`. Each starts from built JavaScript (no TypeScript at run time)
// in under three seconds of CPU time, and carries one full handshake.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { documentedCommands } from '../support/documented.js';
import { npmEnv, run } from '../support/run.js';

const SESSION = 'session-token-of-alice';
const APPROVER = 'approver-token-0123456789';

/** CPU seconds (user + system) a running process has used, where /proc tells. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export function commandChecks(state: { project: string }): void {
  const command = (name: string) => join(state.project, 'node_modules', '.bin', name);
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
  });

  describe.concurrent('the documented commands, installed with npm', () => {
    it.each(documentedCommands().map((words) => [words.join(' '), words] as const))(
      'npx %s',
      async (_, words) => {
        const { stdout } = await run('npx', ['--no-install', ...words], {
          cwd: state.project,
          env: npmEnv(),
        });
        expect(stdout).toMatch(words.includes('--help') ? /Usage: handshake-/ : /HANDSHAKE_KEYS=/);
      },
    );
  });

  describe('handshake-server, installed with npm', () => {
    it('lists its environment variables with --help', async () => {
      const { stdout } = await run(command('handshake-server'), ['--help'], { cwd: state.project });
      for (const name of [
        'PORT',
        'HANDSHAKE_STORE',
        'HANDSHAKE_SESSIONS',
        'HANDSHAKE_KEYS',
        'HANDSHAKE_LIMITS',
        'PAYPAL_MODE',
      ]) {
        expect(stdout).toContain(name);
      }
    });

    it('stops on a bad value with a message naming the variable', async () => {
      const result = await run(command('handshake-server'), [], {
        cwd: state.project,
        env: { ...process.env, PORT: '0', HANDSHAKE_TOKEN_TTL_SECONDS: 'soon' },
        allowFailure: true,
      });
      expect(result.ok).toBe(false);
      expect(result.stderr).toContain(
        'Configuration error: HANDSHAKE_TOKEN_TTL_SECONDS: must be a whole number',
      );
    });

    it('starts quickly and carries a signed handshake, then one through handshake-paypal-mcp', async () => {
      const keys = await run(command('handshake-paypal-mcp'), ['keygen', 'alice', 'laptop'], {
        cwd: state.project,
      });
      const variable = (name: string) =>
        new RegExp(`^${name}=(.+)$`, 'm').exec(keys.stdout)?.[1] ?? '';
      const started = Date.now();
      const server = spawn(command('handshake-server'), [], {
        cwd: state.project,
        env: {
          ...process.env,
          PORT: '0',
          HANDSHAKE_SESSIONS: `alice:${SESSION}`,
          HANDSHAKE_KEYS: variable('HANDSHAKE_KEYS'),
          HANDSHAKE_APPROVER_TOKEN: APPROVER,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(server);
      let log = '';
      server.stderr?.on('data', (chunk) => {
        log += chunk;
      });
      const url = await new Promise<string>((resolve, reject) => {
        server.stdout?.on('data', (chunk) => {
          log += chunk;
          const match = /listening on (http:\/\/localhost:\d+)/.exec(log);
          if (match?.[1]) resolve(match[1].replace('localhost', '127.0.0.1'));
        });
        server.once('exit', (code) =>
          reject(new Error(`handshake-server exited (${code}):\n${log}`)),
        );
      });
      const wall = (Date.now() - started) / 1000;
      const cpu = cpuSeconds(server.pid ?? 0);
      // CPU time does not grow with the machine's load; the wall time is shown for reference.
      expect(cpu ?? wall, `started in ${wall.toFixed(1)} s (${cpu} s of CPU)`).toBeLessThan(3);

      // A signed INTERNAL call to PayPal's toolkit (simulated) through the service.
      const signed = `
        import { createHandshakeClient } from '@handshake/client';
        const agent = createHandshakeClient({
          baseUrl: ${JSON.stringify(url)},
          session: ${JSON.stringify(SESSION)},
          signer: { keyId: 'laptop', privateKey: ${JSON.stringify(variable('HANDSHAKE_PRIVATE_KEY'))} },
        });
        const result = await agent.call('list_invoices', {});
        console.log(JSON.stringify(result));`;
      await writeFile(join(state.project, 'call-server.mjs'), signed);
      const direct = await run(process.execPath, ['call-server.mjs'], { cwd: state.project });
      expect(JSON.parse(direct.stdout)).toHaveProperty('items');

      // The same call from an MCP host, through the installed handshake-paypal-mcp.
      const host = `
        import { readFileSync } from 'node:fs';
        import { Client } from '@modelcontextprotocol/sdk/client/index.js';
        import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
        const transport = new StdioClientTransport({
          command: ${JSON.stringify(command('handshake-paypal-mcp'))},
          env: {
            ...getDefaultEnvironment(),
            HANDSHAKE_URL: ${JSON.stringify(url)},
            HANDSHAKE_SESSION_TOKEN: ${JSON.stringify(SESSION)},
            HANDSHAKE_KEY_ID: 'laptop',
            HANDSHAKE_PRIVATE_KEY: ${JSON.stringify(variable('HANDSHAKE_PRIVATE_KEY'))},
          },
          stderr: 'pipe',
        });
        const client = new Client({ name: 'registry-test', version: '1.0.0' });
        const started = Date.now();
        await client.connect(transport);
        const connected = (Date.now() - started) / 1000;
        let cpu;
        try {
          const fields = readFileSync('/proc/' + transport.pid + '/stat', 'utf8').split(') ')[1].split(' ');
          cpu = (Number(fields[11]) + Number(fields[12])) / 100;
        } catch {}
        const { tools } = await client.listTools();
        const result = await client.callTool({ name: 'list_invoices', arguments: {} });
        await client.close();
        console.log(JSON.stringify({ connected, cpu, tools: tools.length, result }));`;
      await writeFile(join(state.project, 'mcp-host.mjs'), host);
      const mcp = await run(process.execPath, ['mcp-host.mjs'], { cwd: state.project });
      const answer = JSON.parse(mcp.stdout);
      expect(answer.tools).toBeGreaterThan(20);
      expect(answer.result.isError).toBeUndefined();
      expect(JSON.parse(answer.result.content[0].text)).toHaveProperty('items');
      expect(
        answer.cpu ?? answer.connected,
        `handshake-paypal-mcp answered in ${answer.connected} s (${answer.cpu} s of CPU)`,
      ).toBeLessThan(3);
    });
  });
}
