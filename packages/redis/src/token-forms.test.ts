import {
  createHandshake,
  type HandshakeEngine,
  type HandshakeOptions,
  partitionOf,
  tokenDigest,
} from '@handshake/core';
import { hashParams } from '@handshake/protocol';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('tokenForm', () => {
  it('refuses a form it does not know, before connecting', () => {
    expect(() => new RedisStore({ tokenForm: 'short' as never })).toThrow(
      "tokenForm must be 'compact' or 'verbose'",
    );
  });
});

/**
 * Two instances on one Redis, one writing tokens in the compact form (the default) and
 * one in the verbose form: what a deployment runs while it moves from one form to the
 * other. Every token must be found, spent once and replayed, whichever instance wrote it.
 */
describe.skipIf(!available)('token forms on one Redis', () => {
  const prefix = uniquePrefix('forms');
  const fixture = serviceFixture();
  const admin = new Redis(REDIS_URL);
  const compact = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
  const verbose = new RedisStore({ url: REDIS_URL, keyPrefix: prefix, tokenForm: 'verbose' });
  let gate: Promise<void> = Promise.resolve();
  const tools = moneyTools(async () => {
    await gate;
    return { paid: true };
  });
  const common: Omit<HandshakeOptions, 'store'> = {
    tools: tools.provider,
    sessions: fixture.sessions,
    keys: fixture.keys,
    approverCredentials: { [CREDENTIALS.approver]: 'ops' },
    limits: { currency: 'USD', daily: '1000.00' },
  };
  const engines = {
    compact: createHandshake({ ...common, store: compact }),
    verbose: createHandshake({ ...common, store: verbose }),
  };
  const partition = partitionOf('alice');
  afterAll(async () => {
    await engines.compact.close();
    await engines.verbose.close();
    await admin.quit();
  });

  /** The fields of a stored token, unpacked by Redis itself. */
  async function stored(key: string): Promise<Record<string, string>> {
    const json = await admin.eval(
      "return cjson.encode(cmsgpack.unpack(redis.call('GET', KEYS[1])))",
      1,
      key,
    );
    return JSON.parse(json as string);
  }

  async function authorizeBuy(engine: HandshakeEngine, order: string) {
    const parameters = { order, amount: { value: '12.50', currency: 'USD' } };
    const authorized = await engine.authorize({ tool: 'buy', parameters }, CREDENTIALS.alice);
    if (authorized.status !== 'authorized') throw new Error('expected an authorization');
    const request = {
      ephemeralToken: authorized.ephemeralToken,
      tool: 'buy',
      parameters,
      ...fixture.sign('buy', parameters, authorized.transactionId),
    };
    return { authorized, request, digest: tokenDigest(authorized.ephemeralToken), parameters };
  }

  it('writes the compact form by default and the verbose form when asked', async () => {
    const a = await authorizeBuy(engines.compact, 'O-compact');
    const compactKey = compact.keys.token(partition, a.digest);
    expect(compactKey).toBe(
      `${prefix}:{${partition}}:t:${Buffer.from(a.digest, 'hex').toString('base64url')}`,
    );
    expect(await admin.exists(compact.keys.verboseToken(partition, a.digest))).toBe(0);
    const small = await stored(compactKey);
    expect(JSON.parse(small.rec ?? '')).toEqual({
      x: a.authorized.transactionId,
      u: 'alice',
      s: expect.any(String),
      t: 'buy',
      k: 'CONFIDENTIAL',
      h: Buffer.from(hashParams(a.parameters), 'hex').toString('base64url'),
      e: Date.parse(a.authorized.expiresAt),
      c: expect.any(Number),
      r: expect.any(String),
      m: '1250',
      y: 'USD',
    });
    // What consume compares is kept as before: the hexadecimal hash.
    expect(small).toMatchObject({ s: 'live', u: 'alice', t: 'buy', h: hashParams(a.parameters) });

    const b = await authorizeBuy(engines.verbose, 'O-verbose');
    const verboseKey = verbose.keys.verboseToken(partition, b.digest);
    expect(verboseKey).toBe(`${prefix}:{${partition}}:tok:${b.digest}`);
    expect(await admin.exists(compact.keys.token(partition, b.digest))).toBe(0);
    const large = await stored(verboseKey);
    expect(JSON.parse(large.rec ?? '')).toMatchObject({
      transactionId: b.authorized.transactionId,
      userId: 'alice',
      tool: 'buy',
      tier: 'CONFIDENTIAL',
      paramsHash: hashParams(b.parameters),
      expiresAt: Date.parse(b.authorized.expiresAt),
      amountMinor: '1250',
    });
    expect(large).toMatchObject({ s: 'live', u: 'alice', t: 'buy', h: hashParams(b.parameters) });
  });

  for (const [writer, reader] of [
    ['verbose', 'compact'],
    ['compact', 'verbose'],
  ] as const) {
    it(`runs a ${writer} token once when 40 executes race on both instances, and replays it on the ${reader} one`, async () => {
      const before = tools.calls.count;
      const { request, digest } = await authorizeBuy(engines[writer], `O-${writer}-race`);
      let release = () => {};
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const racing = Array.from({ length: 40 }, (_, i) =>
        engines[i % 2 === 0 ? reader : writer].execute(request, CREDENTIALS.alice).then(
          (done) => ({ ok: done }),
          (error: { code?: string }) => ({ code: error.code }),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      release();
      const results = await Promise.all(racing);
      expect(tools.calls.count - before).toBe(1);
      expect(results.filter((r) => 'ok' in r)).toHaveLength(1);
      expect(
        new Set(results.flatMap((r) => ('code' in r ? [r.code] : []))).size,
      ).toBeGreaterThanOrEqual(1);
      // The identical request again, on the other form's instance: the stored outcome.
      const replay = await engines[reader].execute(request, CREDENTIALS.alice);
      expect(replay).toMatchObject({ status: 'completed', replayed: true, result: { paid: true } });
      expect(tools.calls.count - before).toBe(1);
      // The tombstone stays under the key the token was written under; nothing is left
      // under the other.
      const [kept, other] =
        writer === 'verbose'
          ? [verbose.keys.verboseToken(partition, digest), compact.keys.token(partition, digest)]
          : [compact.keys.token(partition, digest), verbose.keys.verboseToken(partition, digest)];
      expect((await stored(kept)).s).toBe('done');
      expect(await admin.exists(other)).toBe(0);
    });
  }

  it('refuses a tampered request against a token of the other form, and leaves it live', async () => {
    const { request, parameters } = await authorizeBuy(engines.verbose, 'O-tamper');
    const tampered = { ...request, parameters: { ...parameters, order: 'O-other' } };
    await expect(engines.compact.execute(tampered, CREDENTIALS.alice)).rejects.toMatchObject({
      code: expect.stringMatching(/PARAMS|SIGNATURE/),
    });
    const done = await engines.compact.execute(request, CREDENTIALS.alice);
    expect(done.status).toBe('completed');
  });

  it('spends an approval once across forms: its tokens, minted by either instance, run one call', async () => {
    const parameters = { order: 'O-approval', amount: { value: '40.00', currency: 'USD' } };
    const pending = await engines.verbose.authorize(
      { tool: 'pay_order', parameters },
      CREDENTIALS.alice,
    );
    if (pending.status !== 'pending') throw new Error('expected an approval');
    await engines.compact.decide(pending.approvalId, { decision: 'approve' }, CREDENTIALS.approver);
    // One token minted by each instance, in its own form; both live.
    const first = await engines.verbose.approvalStatus(pending.approvalId, CREDENTIALS.alice);
    const second = await engines.compact.approvalStatus(pending.approvalId, CREDENTIALS.alice);
    expect(first.ephemeralToken).toBeDefined();
    expect(second.ephemeralToken).toBeDefined();
    expect(second.ephemeralToken).not.toBe(first.ephemeralToken);
    const d1 = tokenDigest(first.ephemeralToken!);
    const d2 = tokenDigest(second.ephemeralToken!);
    expect(await admin.exists(verbose.keys.verboseToken(partition, d1))).toBe(1);
    expect(await admin.exists(compact.keys.token(partition, d2))).toBe(1);
    const signed = fixture.sign('pay_order', parameters, pending.transactionId);
    const request = (ephemeralToken: string) => ({
      ephemeralToken,
      tool: 'pay_order',
      parameters,
      ...signed,
    });
    const before = tools.calls.count;
    // The compact instance runs the verbose token; the other token is then spent too.
    const done = await engines.compact.execute(request(first.ephemeralToken!), CREDENTIALS.alice);
    expect(done.status).toBe('completed');
    // The same session's identical execute through the other token learns the result.
    const again = await engines.verbose.execute(request(second.ephemeralToken!), CREDENTIALS.alice);
    expect(again).toMatchObject({ status: 'completed', replayed: true });
    expect(tools.calls.count - before).toBe(1);
    // The approval names the token that ran, as hexadecimal, whichever form kept it.
    const status = await engines.verbose.approvalStatus(pending.approvalId, CREDENTIALS.alice);
    expect(status.status).toBe('approved');
    // The approval keeps the digest in the form of the token's key (here hexadecimal)
    // and reads it back as hexadecimal from either instance.
    expect(await admin.hget(compact.keys.approval(partition, pending.approvalId), 'xTok')).toBe(d1);
    expect((await compact.getApproval(partition, pending.approvalId))?.executedDigest).toBe(d1);
    expect((await verbose.getApproval(partition, pending.approvalId))?.executedDigest).toBe(d1);
  });

  it('resolves an abandoned execution of either form from the other instance', async () => {
    for (const [writer, sweeper] of [
      [verbose, compact],
      [compact, verbose],
    ] as const) {
      const engine = writer === verbose ? engines.verbose : engines.compact;
      const { authorized, digest, parameters } = await authorizeBuy(
        engine,
        `O-dead-${Math.random()}`,
      );
      const now = Date.now();
      // The execute's consume, by a process that dies before it completes.
      const consumed = await writer.consume({
        partition,
        digest,
        now,
        expect: {
          userId: 'alice',
          tool: 'buy',
          paramsHash: hashParams(parameters),
          transactionId: authorized.transactionId,
        },
        sessionId: 's:dead',
        retainMs: 600_000,
      });
      expect(consumed.status).toBe('ok');
      if (consumed.status === 'ok') {
        expect(consumed.record).toMatchObject({
          transactionId: authorized.transactionId,
          paramsHash: hashParams(parameters),
          tool: 'buy',
        });
      }
      const resolved = await sweeper.resolveAbandoned({
        now: now + 120_000,
        consumedBefore: now + 1,
        retainMs: 600_000,
        limit: 100,
        outcome: { status: 'failed', code: 'PROVIDER_ERROR', message: 'outcome unknown' },
      });
      expect(resolved.map((r) => r.tombstone.transactionId)).toContain(authorized.transactionId);
      const key =
        writer === verbose
          ? verbose.keys.verboseToken(partition, digest)
          : compact.keys.token(partition, digest);
      expect((await stored(key)).s).toBe('done');
    }
  });
});
