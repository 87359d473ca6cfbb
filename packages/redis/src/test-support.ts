// Shared by the Redis test files; not part of the package's API (tsup builds index.ts only).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import {
  createHandshake,
  createHandshakeHandler,
  type HandshakeEngine,
  type HandshakeHandlerOptions,
  type HandshakeOptions,
  staticKeyResolver,
  staticSessionVerifier,
  type ToolDefinition,
  type ToolProviderV1,
} from '@handshake/core';
import { serve } from '@handshake/core/node';
import { generateSigningKey, hashParams, type Money, signExecute } from '@handshake/protocol';
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';

/** The Redis the tests use: `REDIS_URL`, or the local default. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let probe: Promise<boolean> | undefined;

/** Pings the test Redis once per test file; true when it answers. */
export function redisAvailable(url = REDIS_URL): Promise<boolean> {
  probe ??= (async () => {
    const client = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  })();
  return probe;
}

/**
 * Whether the Redis suites of this file run. Without Redis they are skipped with a
 * message, except in CI (`CI=true`), where a failing test says Redis is missing.
 */
export async function redisGate(): Promise<boolean> {
  const available = await redisAvailable();
  if (available) return true;
  if (process.env.CI === 'true') {
    describe('Redis', () => {
      it('is reachable in CI', () => {
        throw new Error(`No Redis at ${REDIS_URL}: CI must provide one (.ci/run starts it)`);
      });
    });
  } else {
    console.warn(`Redis tests skipped: no Redis at ${REDIS_URL}`);
  }
  return false;
}

let prefixes = 0;

/** A key prefix no other test uses, so tests share one Redis without colliding. */
export function uniquePrefix(label = 't'): string {
  prefixes += 1;
  return `hst-${label}-${process.pid}-${Date.now().toString(36)}-${prefixes}`;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** Whether nothing listens on `port` of the loopback interface. */
export async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    server.close();
    await once(server, 'close');
    return true;
  } catch {
    return false;
  }
}

/** A `redis-server` child process of the test's own, without persistence. */
export interface RedisProcess {
  port: number;
  url: string;
  /** Stops it with SIGKILL, as a crash would. */
  kill(): Promise<void>;
}

/** Starts `redis-server` on `port` (with `extraArgs`) and waits until it answers. */
export async function startRedisServer(
  port: number,
  extraArgs: readonly string[] = [],
): Promise<RedisProcess> {
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      ...extraArgs,
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const probe = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') break;
    } catch {
      if (Date.now() - started > 10_000) throw new Error('redis-server did not start');
      // A real process is starting: there is no clock to drive, only a socket to retry.
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      probe.disconnect();
    }
  }
  return {
    port,
    url,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Bearer credentials of the engine fixture. */
export const CREDENTIALS = {
  alice: 'session-alice-0123456789',
  aliceOtherDevice: 'session-alice-second-device',
  approver: 'approver-token-0123456789',
} as const;

/** Keys, sessions and signing shared by every engine of one test ("instances" of one service). */
export function serviceFixture() {
  const aliceKey = generateSigningKey();
  const sessions = staticSessionVerifier({
    [CREDENTIALS.alice]: 'alice',
    [CREDENTIALS.aliceOtherDevice]: 'alice',
  });
  const keys = staticKeyResolver([
    { userId: 'alice', keyId: 'alice-key', publicKey: aliceKey.publicKey },
  ]);
  const sign = (tool: string, parameters: unknown, transactionId: string) => ({
    transactionId,
    signature: {
      keyId: 'alice-key',
      value: signExecute(aliceKey.privateKey, {
        tool,
        paramsHash: hashParams(parameters),
        transactionId,
      }),
    },
  });
  return { sessions, keys, sign };
}

/** A provider with a purchase (CONFIDENTIAL) and a payment (RESTRICTED), both moving money. */
export function moneyTools(
  run: (name: string) => unknown | Promise<unknown> = (name) => ({ name }),
) {
  const calls = { count: 0 };
  const amount = (parameters: unknown) => (parameters as { amount: Money }).amount;
  const tools: ToolDefinition[] = [
    { name: 'buy', description: 'A purchase', tier: 'CONFIDENTIAL', amount },
    { name: 'pay_order', description: 'Pay an order', tier: 'RESTRICTED', amount },
  ];
  const provider: ToolProviderV1 = {
    specificationVersion: 'v1',
    listTools: () => tools,
    async execute(name) {
      calls.count += 1;
      return run(name);
    },
  };
  return { provider, calls };
}

/** One service instance: an engine on its own store, served over loopback HTTP. */
export async function startInstance(
  options: HandshakeOptions,
  handler: HandshakeHandlerOptions = {},
): Promise<{ engine: HandshakeEngine; url: string; close(): Promise<void> }> {
  const engine = createHandshake(options);
  const running = await serve(createHandshakeHandler(engine, handler), { port: 0 });
  return {
    engine,
    url: running.url,
    async close() {
      await running.close();
      await engine.close();
    },
  };
}

/** POSTs JSON and returns the status with the parsed body. */
export async function postJson(
  url: string,
  body: unknown,
  credential?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** One Server-Sent Event. */
export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Reads an SSE response event by event (comments skipped). */
export async function* sseEvents(response: Response): AsyncGenerator<SseEvent> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const event: SseEvent = { data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const text = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') data.push(text);
        else if (field === 'id') event.id = text;
        else if (field === 'event') event.event = text;
      }
      if (data.length > 0) yield { ...event, data: data.join('\n') };
    }
  }
}

/** Whether `redis-server` and `redis-cli` are on PATH (the outage and cluster tests start their own). */
export function redisBinariesGate(): boolean {
  const found = ['redis-server', 'redis-cli'].every(
    (binary) => spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0,
  );
  if (found) return true;
  if (process.env.CI === 'true') {
    describe('redis-server', () => {
      it('is on PATH in CI', () => {
        throw new Error('redis-server and redis-cli must be on PATH in CI');
      });
    });
  } else {
    console.warn('Redis tests skipped: redis-server or redis-cli is not on PATH');
  }
  return false;
}

/** `promise`, or a rejection saying `what` did not happen within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
