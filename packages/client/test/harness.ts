// Test fixtures: the real engine and handler served over real HTTP on loopback, a tool
// provider that counts its calls, and a TCP proxy whose connections a test can cut.

import { connect, createServer, type Server, type Socket } from 'node:net';
import {
  type Clock,
  createHandshake,
  createHandshakeHandler,
  type HandshakeEngine,
  type HandshakeHandlerOptions,
  type HandshakeOptions,
  staticKeyResolver,
  staticSessionVerifier,
  type ToolProviderV1,
} from '@handshake/core';
import { type RunningServer, serve } from '@handshake/core/node';
import { ed25519PublicKey, generateSigningKey, HandshakeError } from '@handshake/protocol';

export const SESSION = 'session-token-alice-0001';
/** A second credential of the same user: another session. */
export const OTHER_SESSION = 'session-token-alice-0002';
export const APPROVER = 'approver-token-ops';
export const KEY_ID = 'test-key';

/** A gate a tool waits on, opened by the test. */
export interface Gate {
  promise: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** The tools of every test: one per tier, a slow one and a failing one. */
export function countingTools(options: { slowGate?: Gate } = {}) {
  const calls = new Map<string, number>();
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
  const provider: ToolProviderV1 = {
    specificationVersion: 'v1',
    listTools: () => [
      { name: 'get_rate', description: 'Exchange rate', tier: 'PUBLIC' },
      { name: 'get_order', description: 'Read an order', tier: 'INTERNAL' },
      {
        name: 'create_invoice',
        description: 'Create an invoice',
        tier: 'CONFIDENTIAL',
        rules: [{ path: 'amount', pattern: /^\d+\.\d{2}$/, required: true, description: 'amount' }],
      },
      {
        name: 'pay_order',
        description: 'Pay an order',
        tier: 'RESTRICTED',
        amount: (parameters) => ({
          value: String((parameters as { amount?: string }).amount ?? '0.00'),
          currency: 'USD',
        }),
        payee: () => 'Example Shop',
      },
      { name: 'slow_report', description: 'A slow read', tier: 'INTERNAL' },
      { name: 'broken_tool', description: 'Always fails', tier: 'INTERNAL' },
    ],
    async execute(name, parameters) {
      count(name);
      switch (name) {
        case 'get_rate':
          return { rate: '1.0850' };
        case 'get_order':
          return { order: (parameters as { id: string }).id, state: 'APPROVED' };
        case 'create_invoice':
          return { invoice: 'INV-1' };
        case 'pay_order':
          return { capture: 'CAP-1', amount: (parameters as { amount: string }).amount };
        case 'slow_report':
          await options.slowGate?.promise;
          return { report: 'done' };
        case 'broken_tool':
          throw new Error('upstream exploded with secret detail');
        default:
          throw new HandshakeError('PROVIDER_ERROR', `unknown tool ${name}`);
      }
    },
  };
  return { provider, calls };
}

/** A clock the test moves forward. */
export function manualClock(start = Date.now()): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
  };
}

export interface Service {
  url: string;
  engine: HandshakeEngine;
  calls: Map<string, number>;
  /** The client's signing key (its public half is registered for alice). */
  privateKey: string;
  /** Decides an approval as a person would, through the approvals API. */
  decide(approvalId: string, decision: 'approve' | 'deny', reason?: string): Promise<Response>;
  close(): Promise<void>;
}

/** Serves the real handler over HTTP with the counting tools. */
export async function startService(
  options: {
    engine?: Partial<HandshakeOptions>;
    handler?: HandshakeHandlerOptions;
    slowGate?: Gate;
  } = {},
): Promise<Service> {
  const { provider, calls } = countingTools(options.slowGate ? { slowGate: options.slowGate } : {});
  const { privateKey } = generateSigningKey();
  const engine = createHandshake({
    tools: provider,
    sessions: staticSessionVerifier({ [SESSION]: 'alice', [OTHER_SESSION]: 'alice' }),
    keys: staticKeyResolver([
      { userId: 'alice', keyId: KEY_ID, publicKey: ed25519PublicKey(privateKey) },
    ]),
    approverCredentials: { [APPROVER]: 'ops' },
    rateLimit: false,
    ...options.engine,
  });
  const running: RunningServer = await serve(
    createHandshakeHandler(engine, { retryMs: 20, ...options.handler }),
    { port: 0 },
  );
  return {
    url: running.url,
    engine,
    calls,
    privateKey,
    decide: (approvalId, decision, reason) =>
      fetch(`${running.url}/approvals/${approvalId}/decision`, {
        method: 'POST',
        headers: { authorization: `Bearer ${APPROVER}`, 'content-type': 'application/json' },
        body: JSON.stringify({ decision, ...(reason ? { reason } : {}) }),
      }),
    close: () => running.close(),
  };
}

/** A loopback TCP proxy whose open connections can be cut at any moment. */
export interface TcpProxy {
  url: string;
  /** Destroys every open connection, both sides. */
  sever(): void;
  /** Resolves once bytes containing `text` have gone from the service to a client. */
  delivered(text: string): Promise<void>;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  let downstream = '';
  let waiters: Array<{ text: string; resolve: () => void }> = [];
  let accepted = 0;
  const server: Server = createServer((client) => {
    accepted += 1;
    const upstream = connect(Number(port), hostname);
    open.add(client);
    open.add(upstream);
    client.on('close', () => {
      open.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => {
      open.delete(upstream);
      client.destroy();
    });
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk, () => {
        downstream += chunk.toString('utf8');
        waiters = waiters.filter((waiter) => {
          if (!downstream.includes(waiter.text)) return true;
          waiter.resolve();
          return false;
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    sever() {
      downstream = '';
      for (const socket of open) socket.destroy();
    },
    delivered(text) {
      if (downstream.includes(text)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ text, resolve }));
    },
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Records every request a client makes, then passes it on. */
export function recordingFetch(
  inner: (input: Request, init?: RequestInit) => Promise<Response> = (input, init) =>
    fetch(input, init),
) {
  const requests: Array<{ method: string; url: string; headers: Headers; body: string }> = [];
  const wrapped = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const body = request.method === 'GET' ? '' : await request.clone().text();
    requests.push({ method: request.method, url: request.url, headers: request.headers, body });
    return inner(request, init?.signal ? { signal: init.signal } : undefined);
  };
  return { fetch: wrapped, requests };
}

/** Timers that run `factor` times faster and record what was asked for. */
export function fastTimers(factor: number) {
  const asked: number[] = [];
  return {
    asked,
    timers: {
      setTimeout: (callback: () => void, ms: number) => {
        asked.push(ms);
        return setTimeout(callback, ms / factor);
      },
      clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    },
  };
}

/** The first status change `onStatus` reports with this status. */
export function statusWatcher<T extends { status: string }>() {
  const seen: T[] = [];
  let waiters: Array<{ status: string; resolve: (event: T) => void }> = [];
  return {
    seen,
    on: (event: T) => {
      seen.push(event);
      waiters = waiters.filter((waiter) => {
        if (waiter.status !== event.status) return true;
        waiter.resolve(event);
        return false;
      });
    },
    next(status: string): Promise<T> {
      return new Promise((resolve) => waiters.push({ status, resolve }));
    },
    count: (status: string) => seen.filter((event) => event.status === status).length,
  };
}

/**
 * Client timers the test fires by hand, by delay; `pending()` lists the delays still
 * scheduled, so a test can check that a wait left none behind.
 */
export function handFiredTimers() {
  let next = 1;
  const scheduled = new Map<number, { callback: () => void; ms: number }>();
  return {
    timers: {
      setTimeout(callback: () => void, ms: number): unknown {
        const id = next++;
        scheduled.set(id, { callback, ms });
        return id;
      },
      clearTimeout(handle: unknown): void {
        scheduled.delete(handle as number);
      },
    },
    /** Fires every scheduled timer of exactly `ms`; answers how many. */
    fire(ms: number): number {
      const due = [...scheduled].filter(([, timer]) => timer.ms === ms);
      for (const [id, timer] of due) {
        scheduled.delete(id);
        timer.callback();
      }
      return due.length;
    },
    pending: (): number[] => [...scheduled.values()].map((timer) => timer.ms),
  };
}
