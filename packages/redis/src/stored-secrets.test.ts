import { spendTools } from '@handshake/cards';
import { simulatedCardIssuer } from '@handshake/cards/testing';
import { createHandshake, type OutcomeKey } from '@handshake/core';
import {
  type CardCreationResponse,
  CREATE_VIRTUAL_CARD,
  cardPurchaseParameters,
} from '@handshake/protocol/cards';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from './redis-store.js';
import { CREDENTIALS, REDIS_URL, redisGate, serviceFixture, uniquePrefix } from './test-support.js';

const available = await redisGate();

const KEYS: OutcomeKey[] = [{ id: 'k1', key: Buffer.alloc(32, 7).toString('base64') }];

/** Every value under the prefix, whatever its type, as one text. */
async function dump(redis: Redis, prefix: string): Promise<string> {
  const keys = await redis.keys(`${prefix}:*`);
  const values = await Promise.all(
    keys.map(async (key) => {
      const type = await redis.type(key);
      if (type === 'hash') return JSON.stringify(await redis.hgetall(key));
      if (type === 'string') return (await redis.get(key)) ?? '';
      if (type === 'zset') return (await redis.zrange(key, '0', '-1')).join(' ');
      return `${type} ${key}`;
    }),
  );
  return `${keys.join('\n')}\n${values.join('\n')}`;
}

describe.skipIf(!available)('card numbers and CVCs in Redis', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('no key holds a card number or CVC after a card creation; another instance replays the card', async () => {
    const prefix = uniquePrefix('card');
    const fixture = serviceFixture();
    const engine = (store: RedisStore) =>
      createHandshake({
        tools: spendTools({ issuer: simulatedCardIssuer() }),
        store,
        sessions: fixture.sessions,
        keys: fixture.keys,
        outcomeKeys: KEYS,
        rateLimit: false,
      });
    const a = engine(new RedisStore({ url: REDIS_URL, keyPrefix: prefix }));
    const b = engine(new RedisStore({ url: REDIS_URL, keyPrefix: prefix }));
    try {
      const parameters = cardPurchaseParameters('Example Books', '30.00', 'USD');
      const auth = await a.authorize({ tool: CREATE_VIRTUAL_CARD, parameters }, CREDENTIALS.alice);
      if (auth.status !== 'authorized') throw new Error('expected authorized');
      const body = {
        ephemeralToken: auth.ephemeralToken,
        tool: CREATE_VIRTUAL_CARD,
        parameters,
        ...fixture.sign(CREATE_VIRTUAL_CARD, parameters, auth.transactionId),
      };
      const card = (await a.execute(body, CREDENTIALS.alice)).result as CardCreationResponse;
      expect(card.cardNumber).toMatch(/^\d{16}$/);

      const raw = await dump(redis, prefix);
      expect(raw).toContain('$handshake.sealed');
      expect(raw).not.toContain(card.cardNumber);
      expect(raw).not.toContain(`"cvc"`);
      expect(raw).not.toContain(`\\"${card.cvc}\\"`);

      // The same session retries on the other instance, which holds the same key.
      expect(await b.execute(body, CREDENTIALS.alice)).toMatchObject({
        replayed: true,
        result: card,
      });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
