import type { ApprovalRecord, AuthorizeOp, TransactionRecord } from '@handshake/core';
import { storeConformance } from '@handshake/core/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from './redis-store.js';
import { REDIS_URL, redisGate, uniquePrefix } from './test-support.js';

const available = await redisGate();

storeConformance(
  'RedisStore',
  () => new RedisStore({ url: REDIS_URL, keyPrefix: uniquePrefix('conf') }),
  { describe: describe.skipIf(!available), it, afterEach },
);

// Real time here: TTLs are Redis's own clock, measured against the `now` of each op.
const NOW = Date.now();
const DAY = 86_400_000;

function record(overrides: Partial<TransactionRecord> = {}): TransactionRecord {
  return {
    transactionId: 'tx_ttl',
    userId: 'alice',
    sessionId: 's:1',
    tool: 'create_refund',
    tier: 'CONFIDENTIAL',
    paramsHash: 'a'.repeat(64),
    expiresAt: NOW + 30_000,
    createdAt: NOW,
    ...overrides,
  };
}

function approval(rec: TransactionRecord, id: string): ApprovalRecord {
  return {
    approvalId: id,
    transactionId: rec.transactionId,
    userId: rec.userId,
    sessionId: rec.sessionId,
    tool: rec.tool,
    tier: rec.tier,
    paramsHash: rec.paramsHash,
    parameters: { amount: '12.00', items: [], big: 1234567890123456 },
    status: 'pending',
    reasons: [{ kind: 'tier' }],
    createdAt: NOW,
    expiresAt: NOW + 300_000,
    version: 1,
  };
}

function authorizeOp(partition: string, overrides: Partial<AuthorizeOp> = {}): AuthorizeOp {
  const rec = record({ reservationId: 'r_1' });
  return {
    partition,
    userId: rec.userId,
    now: NOW,
    requiresApproval: false,
    token: { digest: 'd'.repeat(64), record: rec },
    approval: approval(rec, 'apr_1'),
    retainMs: 600_000,
    rateLimit: { limit: 10, windowMs: 60_000 },
    reservation: {
      reservationId: 'r_1',
      amountMinor: 1_250n,
      windows: [
        { window: 'daily', key: 'daily:today', limitMinor: 100_000n, endsAt: NOW + 3_600_000 },
        { window: 'monthly', key: 'monthly:this', limitMinor: 500_000n, endsAt: NOW + 20 * DAY },
      ],
      holdUntil: NOW + 60_000,
    },
    ...overrides,
  };
}

describe.skipIf(!available)('RedisStore keys and TTLs', () => {
  let redis: Redis;
  let store: RedisStore;
  const partition = 'p0123456789abcdef';

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await redis.quit();
  });
  afterEach(async () => {
    await store.close();
  });

  const pttl = (key: string) => redis.pttl(key);

  it('gives every key of a handshake a PX TTL bounded by its retention', async () => {
    store = new RedisStore({ url: REDIS_URL, keyPrefix: uniquePrefix('ttl') });
    const k = store.keys;
    const op = authorizeOp(partition);
    expect(await store.authorize(op)).toEqual({ status: 'authorized', reserved: true });

    const tokenKey = k.token(partition, op.token.digest);
    // The live token: until it expires plus the replay window.
    expect(await pttl(tokenKey)).toBeGreaterThan(600_000);
    expect(await pttl(tokenKey)).toBeLessThanOrEqual(630_000);
    // The rate-limit counter: until its fixed window ends.
    const rateKey = k.rate(partition, Math.floor(NOW / 60_000) * 60_000);
    expect(await redis.get(rateKey)).toBe('1');
    expect(await pttl(rateKey)).toBeGreaterThan(0);
    expect(await pttl(rateKey)).toBeLessThanOrEqual(60_000);
    // Reservations: until the hold lapses.
    for (const key of k.reservationKeys(partition)) {
      expect(await pttl(key)).toBeGreaterThan(50_000);
      expect(await pttl(key)).toBeLessThanOrEqual(60_000);
    }
    expect(await redis.hget(k.held(partition), 'daily:today')).toBe('1250');

    const expect_ = { userId: 'alice', tool: 'create_refund', paramsHash: 'a'.repeat(64) };
    const consumed = await store.consume({
      partition,
      digest: op.token.digest,
      now: NOW + 1,
      expect: expect_,
      sessionId: 's:1',
      retainMs: 120_000,
    });
    expect(consumed.status).toBe('ok');
    // The tombstone: the replay window from now.
    expect(await pttl(tokenKey)).toBeGreaterThan(110_000);
    expect(await pttl(tokenKey)).toBeLessThanOrEqual(120_000);

    await store.complete({
      partition,
      digest: op.token.digest,
      now: NOW + 2,
      outcome: { status: 'completed', result: { id: 'R-1' } },
      retainMs: 90_000,
      reservation: { reservationId: 'r_1', action: 'commit' },
    });
    expect(await pttl(tokenKey)).toBeGreaterThan(80_000);
    expect(await pttl(tokenKey)).toBeLessThanOrEqual(90_000);
    // Committed spend: until each window ends.
    expect(await redis.get(k.spent(partition, 'daily:today'))).toBe('1250');
    expect(await pttl(k.spent(partition, 'daily:today'))).toBeGreaterThan(3_500_000);
    expect(await pttl(k.spent(partition, 'daily:today'))).toBeLessThanOrEqual(3_600_000);
    expect(await pttl(k.spent(partition, 'monthly:this'))).toBeGreaterThan(19 * DAY);
    // With no live reservation left, the reservation keys are gone.
    expect(await redis.exists(...k.reservationKeys(partition))).toBe(0);
    // No raw token anywhere: the key holds the digest; the record, emptied once the
    // outcome is kept, no secret.
    const field = (name: string) =>
      redis.eval("return cmsgpack.unpack(redis.call('GET', KEYS[1]))[ARGV[1]]", 1, tokenKey, name);
    expect(await field('s')).toBe('done');
    expect(await field('rec')).toBe('');
  });

  it('keeps an approval past its deadline and its token, and the cross-user index bounded', async () => {
    store = new RedisStore({
      url: REDIS_URL,
      keyPrefix: uniquePrefix('apr'),
      approvalRetentionMs: 3_600_000,
      maxIndexedApprovals: 3,
    });
    const k = store.keys;
    const op = authorizeOp(partition, { requiresApproval: true, reservation: undefined });
    expect((await store.authorize(op)).status).toBe('pending');
    const key = k.approval(partition, 'apr_1');
    // The decision deadline (5 min) plus the retention (1 h).
    expect(await pttl(key)).toBeGreaterThan(3_800_000);
    expect(await pttl(key)).toBeLessThanOrEqual(3_900_000);
    // Parameters survive storage exactly as JavaScript wrote them.
    const stored = await store.getApproval(partition, 'apr_1');
    expect(stored?.parameters).toEqual(op.approval.parameters);

    await store.decideApproval({
      partition,
      approvalId: 'apr_1',
      now: NOW + 1_000,
      expectedStatus: 'pending',
      status: 'approved',
      tokenExpiresAt: NOW + 2 * 3_600_000,
    });
    // Extended past the token window.
    expect(await pttl(key)).toBeGreaterThan(3 * 3_600_000 - 10_000);

    for (let i = 2; i <= 6; i += 1) {
      const more = authorizeOp(partition, {
        requiresApproval: true,
        reservation: undefined,
        approval: { ...approval(record(), `apr_${i}`), createdAt: NOW + i },
      });
      await store.authorize(more);
    }
    expect(await redis.zcard(k.approvalIndex)).toBe(3);
    const listed = await store.listApprovals({ limit: 10 });
    expect(listed.map((a) => a.approvalId)).toEqual(['apr_6', 'apr_5', 'apr_4']);
  });

  it('bounds the approval index: twice the retention after the newest deadline, never shortened', async () => {
    store = new RedisStore({
      url: REDIS_URL,
      keyPrefix: uniquePrefix('idx'),
      approvalRetentionMs: 3_600_000,
    });
    const k = store.keys;
    const pending = (id: string, deadline: number) =>
      authorizeOp(partition, {
        requiresApproval: true,
        reservation: undefined,
        approval: { ...approval(record(), id), expiresAt: deadline },
      });
    expect((await store.authorize(pending('apr_1', NOW + 300_000))).status).toBe('pending');
    // The deadline (5 min) plus twice the retention (2 h).
    const bound = 300_000 + 2 * 3_600_000;
    expect(await pttl(k.approvalIndex)).toBeGreaterThan(bound - 10_000);
    expect(await pttl(k.approvalIndex)).toBeLessThanOrEqual(bound);
    // An approval with a shorter deadline does not shorten it.
    await store.authorize(pending('apr_2', NOW + 1_000));
    expect(await pttl(k.approvalIndex)).toBeGreaterThan(bound - 10_000);
    // A longer one extends it.
    await store.authorize(pending('apr_3', NOW + 3_600_000));
    expect(await pttl(k.approvalIndex)).toBeGreaterThan(3_600_000 + 2 * 3_600_000 - 10_000);
  });

  it('refuses amounts it cannot count exactly, before touching Redis', async () => {
    store = new RedisStore({ url: REDIS_URL, keyPrefix: uniquePrefix('big') });
    const op = authorizeOp(partition);
    const tooBig = { ...op.reservation!, amountMinor: 10n ** 15n + 1n };
    await expect(store.authorize({ ...op, reservation: tooBig })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    expect(await redis.exists(store.keys.token(partition, op.token.digest))).toBe(0);
    const atBound = { ...op.reservation!, amountMinor: 10n ** 15n, windows: [] };
    expect((await store.authorize({ ...op, reservation: atBound })).status).toBe('authorized');
  });

  it('reads a token an earlier version stored as a hash, and rewrites it as one string', async () => {
    store = new RedisStore({ url: REDIS_URL, keyPrefix: uniquePrefix('old') });
    const op = authorizeOp(partition, { reservation: undefined, rateLimit: undefined });
    const { reservationId: _none, ...rec } = op.token.record;
    const key = store.keys.token(partition, op.token.digest);
    // The hash an earlier version wrote for a live token.
    await redis.hset(key, {
      s: 'live',
      rec: JSON.stringify(rec),
      exp: String(rec.expiresAt),
      drop: String(rec.expiresAt + 600_000),
      u: rec.userId,
      t: rec.tool,
      h: rec.paramsHash,
      x: rec.transactionId,
      a: '',
    });
    await redis.pexpire(key, 630_000);
    // An authorize resent for it finds it and leaves it as it is.
    expect(await store.authorize(op)).toEqual({ status: 'authorized', reserved: false });
    expect(await redis.type(key)).toBe('hash');
    const consume = (now: number, paramsHash = rec.paramsHash) =>
      store.consume({
        partition,
        digest: op.token.digest,
        now,
        expect: { userId: rec.userId, tool: rec.tool, paramsHash },
        sessionId: 's:2',
        retainMs: 120_000,
      });
    // Its fields are compared as before: a mismatch leaves it live.
    expect(await consume(NOW + 1, 'b'.repeat(64))).toEqual({
      status: 'mismatch',
      field: 'paramsHash',
    });
    expect(await consume(NOW + 2)).toEqual({ status: 'ok', record: rec });
    expect(await redis.type(key)).toBe('string');
    const again = await consume(NOW + 3);
    expect(again).toMatchObject({
      status: 'used',
      tombstone: { state: 'executing', sessionId: 's:2', consumedAt: NOW + 2 },
    });
  });

  it('refuses a client with its own key prefix, and braces in the store prefix', () => {
    const prefixed = new Redis(REDIS_URL, { keyPrefix: 'app:', lazyConnect: true });
    expect(() => new RedisStore({ client: prefixed })).toThrow(/keyPrefix/);
    prefixed.disconnect();
    expect(() => new RedisStore({ url: REDIS_URL, keyPrefix: 'a{b}' })).toThrow(/braces/);
    store = new RedisStore({ url: REDIS_URL, keyPrefix: uniquePrefix('x') });
  });
});

describe.skipIf(!available)('RedisStore approval events', () => {
  it('are heard only by instances of the same prefix and database', async () => {
    const prefix = uniquePrefix('chan');
    const other = uniquePrefix('chan');
    const db = (n: number) => `${REDIS_URL.replace(/\/\d+$/, '')}/${n}`;
    // Each listener has a writer of its own deployment, to send it a marker event.
    const deployments = {
      same: { url: db(0), keyPrefix: prefix },
      otherDatabase: { url: db(9), keyPrefix: prefix },
      otherPrefix: { url: db(0), keyPrefix: other },
    };
    const listeners = new Map<string, RedisStore>();
    const writers = new Map<string, RedisStore>();
    const heard = new Map<string, string[]>();
    const waiting = new Map<string, () => void>();
    try {
      for (const [name, options] of Object.entries(deployments)) {
        const listener = new RedisStore(options);
        listeners.set(name, listener);
        writers.set(name, new RedisStore(options));
        heard.set(name, []);
        listener.subscribeApprovals((event) => {
          heard.get(name)!.push(event.approvalId);
          if (event.approvalId === `apr_${name}`) waiting.get(name)?.();
        });
        await listener.ready();
      }
      const write = async (name: string) => {
        const heardIt = new Promise<void>((resolve) => waiting.set(name, resolve));
        const op = authorizeOp('p0123456789abcdef', {
          requiresApproval: true,
          reservation: undefined,
        });
        const marker = { ...op.approval, approvalId: `apr_${name}` };
        expect((await writers.get(name)!.authorize({ ...op, approval: marker })).status).toBe(
          'pending',
        );
        await heardIt;
      };
      // The first deployment's event, then each other deployment's own marker: a
      // subscriber connection receives messages in the order they were published, so
      // once a listener has its marker it would already have had the first event.
      await write('same');
      await write('otherDatabase');
      await write('otherPrefix');
      expect(heard.get('same')).toContain('apr_same');
      expect(heard.get('otherDatabase')).toEqual(['apr_otherDatabase']);
      expect(heard.get('otherPrefix')).toEqual(['apr_otherPrefix']);
      expect(listeners.get('otherDatabase')!.keys.approvalChannel).toBe(
        `${prefix}:approval-events:9`,
      );
    } finally {
      await Promise.all([...listeners.values(), ...writers.values()].map((store) => store.close()));
    }
  });
});
