import { type AuthorizeOp, capturedShare } from '@handshake/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from './redis-store.js';
import { REDIS_URL, redisGate, uniquePrefix } from './test-support.js';

const available = await redisGate();
// Real time here: the TTLs checked are Redis's own clock.
const NOW = Date.now();
const HOUR = 3_600_000;

function authorizeOp(partition: string, id: string, amountMinor: bigint): AuthorizeOp {
  const record = {
    transactionId: `tx_${id}`,
    userId: 'alice',
    sessionId: 's:1',
    tool: 'create_virtual_card',
    tier: 'CONFIDENTIAL' as const,
    paramsHash: 'a'.repeat(64),
    expiresAt: NOW + 30_000,
    createdAt: NOW,
    reservationId: id,
  };
  return {
    partition,
    userId: 'alice',
    now: NOW,
    requiresApproval: false,
    token: { digest: id.padEnd(64, '0'), record },
    approval: {
      ...record,
      approvalId: `apr_${id}`,
      parameters: {},
      status: 'pending',
      reasons: [{ kind: 'tier' }],
      expiresAt: NOW + 300_000,
      version: 1,
    },
    retainMs: 600_000,
    reservation: {
      reservationId: id,
      amountMinor,
      windows: [
        { window: 'daily', key: 'daily:d', limitMinor: 10n ** 15n, endsAt: NOW + HOUR },
        { window: 'monthly', key: 'monthly:m', limitMinor: 10n ** 15n, endsAt: NOW + 2 * HOUR },
      ],
      holdUntil: NOW + 60_000,
    },
  };
}

describe.skipIf(!available)('RedisStore captureReservation', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('keeps the exact share of amounts whose product with the share exceeds 2^53', async () => {
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: uniquePrefix('cap') });
    const cases: [string, bigint, bigint, bigint][] = [
      ['r_a', 999_999_999_999_999n, 333_333_333_333_334n, 999_999_999_999_997n],
      ['r_b', 10n ** 15n, 1n, 3n],
      ['r_c', 876_543_210_987_654n, 123_456_789_012_345n, 987_654_321_098_765n],
      ['r_d', 7n, 0n, 5n],
      ['r_e', 500n, 700n, 600n],
      // Computed with doubles, this one comes out one minor unit short.
      ['r_f', 336_389_797_578_262n, 438_889_117_692_851n, 649_275_180_674_700n],
    ];
    const commit = (partition: string, id: string, now: number) =>
      store.complete({
        partition,
        digest: id.padEnd(64, '0'),
        now,
        outcome: { status: 'completed', result: null },
        retainMs: 60_000,
        reservation: { reservationId: id, action: 'commit' },
      });
    try {
      for (const [id, amount, part, whole] of cases) {
        // One user each: the amounts together would exceed the limits.
        const partition = `p_${id}`;
        expect((await store.authorize(authorizeOp(partition, id, amount))).status).toBe(
          'authorized',
        );
        // Alternate: a live reservation, or one committed first.
        if (id === 'r_b' || id === 'r_d' || id === 'r_f') {
          await commit(partition, id, NOW + 1);
        }
        const kept = capturedShare(amount, { part, whole });
        const share = { part, whole };
        expect(
          await store.captureReservation({ partition, reservationId: id, now: NOW + 2, share }),
        ).toEqual({ status: 'captured', keptMinor: kept, releasedMinor: amount - kept });
        // A commit after the capture (its creation recorded late) changes nothing.
        await commit(partition, id, NOW + 3);
        // Redis holds the exact totals: nothing counted twice, nothing lost to rounding.
        for (const window of ['daily:d', 'monthly:m']) {
          const spent = await redis.get(store.keys.spent(partition, window));
          expect(BigInt(spent ?? '0')).toBe(kept);
        }
      }
      // What a capture needs of a committed reservation is kept until its last window ends.
      const settled = store.keys.settled('p_r_b', 'r_b');
      expect(await redis.hget(settled, 'cap')).toBe('1');
      expect(await redis.pttl(settled)).toBeGreaterThan(2 * HOUR - 60_000);
      expect(await redis.pttl(settled)).toBeLessThanOrEqual(2 * HOUR);
      await expect(
        store.captureReservation({
          partition: 'p_r_a',
          reservationId: 'r_x',
          now: NOW + 4,
          share: { part: 1n, whole: 10n ** 16n + 1n },
        }),
      ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    } finally {
      await store.close();
    }
  });
});
