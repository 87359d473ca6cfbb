import { createHandshake, type ToolProviderV1 } from '@handshake/core';
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
  const seen: { source: string; command: string; first: string; args: string[] }[] = [];

  beforeAll(async () => {
    await store.ready();
    const clients = (await admin.client('LIST')) as string;
    const line = clients.split('\n').find((l) => l.includes(` name=${connectionName} `));
    address = /addr=(\S+)/.exec(line ?? '')?.[1] ?? '';
    expect(address).not.toBe('');
    monitor = await admin.monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      seen.push({
        source,
        command: String(args[0]).toLowerCase(),
        first: String(args[1]),
        args: args.map(String),
      });
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
    const fromStore = window.filter((s) => s.source === address);
    return {
      sent: fromStore.map((s) => s.command),
      // As sent over RESP: an array header, then each argument with its length.
      bytes: fromStore.reduce(
        (sum, s) =>
          sum +
          `*${s.args.length}\r\n`.length +
          s.args.reduce((n, arg) => n + `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`.length, 0),
        0,
      ),
      // The same, as if the store used the default key prefix (`hs`) instead of this
      // test's longer unique one.
      defaultPrefixBytes: fromStore.reduce(
        (sum, s) =>
          sum +
          `*${s.args.length}\r\n`.length +
          s.args.reduce((n, raw) => {
            const arg = raw.replaceAll(`${store.keys.prefix}:`, 'hs:');
            return n + `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`.length;
          }, 0),
        0,
      ),
      // Other tests share the server: only commands on this store's keys are counted.
      inside: window
        .filter((s) => s.source === 'lua' && s.first.startsWith(`${store.keys.prefix}:`))
        .map((s) => s.command),
      keys: window
        .filter((s) => s.source === 'lua' && s.first.startsWith(`${store.keys.prefix}:`))
        .map((s) => s.first),
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

  it('costs 3 scripts for a full authorize + execute, in 3 round trips', async () => {
    // The first handshake on a connection sends each script's source once (EVAL). The
    // consume and the complete each update the executing index in the same step, which
    // lets a sweep find an execution a dead process left.
    const first = await measure(() => handshake('O-first'));
    expect(first.sent).toEqual(['eval', 'eval', 'eval']);
    // From then on each script is called by its digest.
    const steady = await measure(() => handshake('O-steady'));
    expect(steady.sent).toEqual(['evalsha', 'evalsha', 'evalsha']);
    expect(steady.inside).toContain('zadd');
    expect(steady.inside).toContain('zrem');
    // The work inside the scripts (rate limit, 3 windows, token, tombstone, commit)
    // happens in Redis without further round trips.
    expect(steady.inside.length).toBeGreaterThan(10);
    expect(tools.calls.count).toBe(2);
  });

  it('costs 2 commands at each step of an approval: authorize, decision, status read', async () => {
    const parameters = { order: 'O-approval', amount: { value: '40.00', currency: 'USD' } };
    let approvalId = '';
    // The authorize script leaves the approval; the listing index follows in a script of
    // its own (on a cluster it lives in another slot).
    const asked = await measure(async () => {
      const pending = await engine.authorize({ tool: 'pay_order', parameters }, CREDENTIALS.alice);
      if (pending.status !== 'pending') throw new Error('expected an approval');
      approvalId = pending.approvalId;
    });
    expect(asked.sent.map((command) => command.replace('evalsha', 'eval'))).toEqual([
      'eval',
      'eval',
    ]);
    // The decision: one read of the approval, then the decide script.
    const decided = await measure(async () => {
      await engine.decide(approvalId, { decision: 'approve' }, CREDENTIALS.approver);
    });
    expect(decided.sent).toEqual(['hgetall', expect.stringMatching(/^eval(sha)?$/)]);
    // The requester's read of the approved approval: one read, then the issue script.
    const read = await measure(async () => {
      const view = await engine.approvalStatus(approvalId, CREDENTIALS.alice);
      expect(view.ephemeralToken).toBeDefined();
    });
    expect(read.sent).toEqual(['hgetall', expect.stringMatching(/^eval(sha)?$/)]);
  });

  it('runs 8 commands in 3 scripts for a handshake without spend or approval, within 1,200 bytes', async () => {
    const reads: ToolProviderV1 = {
      specificationVersion: 'v1',
      listTools: () => [{ name: 'get_balance', description: 'A balance', tier: 'INTERNAL' }],
      execute: async () => ({ balance: { value: '10.00', currency: 'USD' } }),
    };
    const plain = createHandshake({
      tools: reads,
      store,
      sessions: fixture.sessions,
      keys: fixture.keys,
      rateLimit: { limit: 100, windowMs: 60_000 },
    });
    const once = async () => {
      const authorized = await plain.authorize(
        { tool: 'get_balance', parameters: {} },
        CREDENTIALS.alice,
      );
      if (authorized.status !== 'authorized') throw new Error('expected an authorization');
      const done = await plain.execute(
        {
          ephemeralToken: authorized.ephemeralToken,
          tool: 'get_balance',
          parameters: {},
          ...fixture.sign('get_balance', {}, authorized.transactionId),
        },
        CREDENTIALS.alice,
      );
      expect(done.status).toBe('completed');
    };
    await measure(once);
    const steady = await measure(once);
    expect(steady.sent).toEqual(['evalsha', 'evalsha', 'evalsha']);
    // authorize: SET NX (the token, only if its key is free: a resend finds it) and INCR
    // (the rate limit; the window's first hit also sets the counter's TTL); consume: GET,
    // SET (the tombstone) and ZADD (the executing index); complete: GET, SET (the
    // outcome) and ZREM. No approval key is read or written, nothing is deleted, no TTL
    // is read.
    expect(steady.inside).toEqual(['set', 'incr', 'get', 'set', 'zadd', 'get', 'set', 'zrem']);
    expect(steady.keys.filter((key) => key.includes(':apr:'))).toEqual([]);
    // No approval body, no spend keys, no field sent twice: about 1,140 bytes, most of
    // them the token record (sent once, stored verbatim, one-letter names), the token's
    // key (three times, the digest in base64url) and what consume compares.
    expect(steady.defaultPrefixBytes).toBeLessThanOrEqual(1_200);
  });
});
