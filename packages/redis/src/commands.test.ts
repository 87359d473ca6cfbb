import { createHandshake } from '@handshake/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from './redis-store.js';
import {
  CREDENTIALS,
  moneyTools,
  REDIS_URL,
  redisGate,
  serviceFixture,
  uniquePrefix,
} from './test-support.js';

const available = await redisGate();

/**
 * Counts the commands one connection sends, as Redis sees them: MONITOR on a separate
 * connection, filtered by the address of the store's connection (found by its name).
 * Commands a script runs inside Redis are reported with the source `lua` and are not
 * round trips; they are counted apart.
 */
describe.skipIf(!available)('Redis commands per handshake', () => {
  const connectionName = uniquePrefix('count');
  const store = new RedisStore({
    url: REDIS_URL,
    keyPrefix: uniquePrefix('cmd'),
    redisOptions: { connectionName },
  });
  const fixture = serviceFixture();
  const tools = moneyTools(() => ({ paid: true }));
  const engine = createHandshake({
    tools: tools.provider,
    store,
    sessions: fixture.sessions,
    keys: fixture.keys,
    approverCredentials: { [CREDENTIALS.approver]: 'ops' },
    // Spending limits and rate limiting on: the scripts do all of their work.
    limits: { currency: 'USD', daily: '1000.00', weekly: '2000.00', monthly: '5000.00' },
    rateLimit: { limit: 100, windowMs: 60_000 },
  });
  const admin = new Redis(REDIS_URL);
  let monitor: Redis;
  let address = '';
  const seen: { source: string; command: string; first: string }[] = [];

  beforeAll(async () => {
    await store.ready();
    const clients = (await admin.client('LIST')) as string;
    const line = clients.split('\n').find((l) => l.includes(` name=${connectionName} `));
    address = /addr=(\S+)/.exec(line ?? '')?.[1] ?? '';
    expect(address).not.toBe('');
    monitor = await admin.monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      seen.push({ source, command: String(args[0]).toLowerCase(), first: String(args[1]) });
    });
  });
  afterAll(async () => {
    monitor?.disconnect();
    await admin.quit();
    await engine.close();
  });

  /** Runs `work` and returns what the store's connection sent meanwhile. */
  async function measure(work: () => Promise<void>) {
    // MONITOR reports in the order Redis executes; a marker after the work bounds it.
    const marker = `marker-${seen.length}-${Math.random()}`;
    const start = seen.length;
    await work();
    await admin.echo(marker);
    while (!seen.some((s, i) => i >= start && s.command === 'echo' && s.first === marker)) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const window = seen.slice(start);
    return {
      sent: window.filter((s) => s.source === address).map((s) => s.command),
      inside: window.filter((s) => s.source === 'lua').length,
    };
  }

  async function handshake(order: string) {
    const parameters = { order, amount: { value: '12.50', currency: 'USD' } };
    const authorized = await engine.authorize({ tool: 'buy', parameters }, CREDENTIALS.alice);
    if (authorized.status !== 'authorized') throw new Error('expected an authorization');
    const done = await engine.execute(
      {
        ephemeralToken: authorized.ephemeralToken,
        tool: 'buy',
        parameters,
        ...fixture.sign('buy', parameters, authorized.transactionId),
      },
      CREDENTIALS.alice,
    );
    expect(done.status).toBe('completed');
  }

  it('costs 3 scripts and 2 index updates for a full authorize + execute, in 3 round trips', async () => {
    // The first handshake on a connection sends each script's source once (EVAL). The
    // consume and the complete each go with an update of the executing index (sent in
    // the same round trip), which lets a sweep find an execution a dead process left.
    const first = await measure(() => handshake('O-first'));
    expect(first.sent).toEqual(['eval', 'eval', 'eval', 'eval', 'zrem']);
    // From then on each script is called by its digest.
    const steady = await measure(() => handshake('O-steady'));
    expect(steady.sent).toEqual(['evalsha', 'evalsha', 'evalsha', 'evalsha', 'zrem']);
    // The work inside the scripts (rate limit, 3 windows, token, tombstone, commit)
    // happens in Redis without further round trips.
    expect(steady.inside).toBeGreaterThan(10);
    expect(tools.calls.count).toBe(2);
  });
});
