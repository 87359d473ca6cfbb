// Threats on a shared Redis (docs/security.md): a racing client trying to spend one
// token twice across two service instances, and racing validations trying to overspend
// a limit. `packages/core/test/threats/single-use.test.ts` runs the same races on the
// memory store.
import { spendApiRoutes, spendTools } from '@handshake/cards';
import { simulatedCardIssuer } from '@handshake/cards/testing';
import { createHandshake, createHandshakeHandler, type HandshakeOptions } from '@handshake/core';
import { serve } from '@handshake/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from './redis-store.js';
import {
  CREDENTIALS,
  moneyTools,
  postJson,
  REDIS_URL,
  redisGate,
  serviceFixture,
  startInstance,
  uniquePrefix,
} from './test-support.js';

const available = await redisGate();

const ROUNDS = 20;
const CONCURRENT = 100;

type Instance = Awaited<ReturnType<typeof startInstance>>;

describe.skipIf(!available)('a racing client on Redis', () => {
  const prefix = uniquePrefix('threat-race');
  const fixture = serviceFixture();
  let entered = 0;
  let answered = 0;
  let release = () => {};
  let gate = Promise.resolve();
  const maybeRelease = () => {
    if (entered + answered >= CONCURRENT) release();
  };
  const run = async () => {
    entered += 1;
    maybeRelease();
    await gate;
    return { paid: true };
  };
  const toolsA = moneyTools(run);
  const toolsB = moneyTools(run);
  const common: Omit<HandshakeOptions, 'tools' | 'store'> = {
    sessions: fixture.sessions,
    keys: fixture.keys,
    limits: { currency: 'USD', daily: '100000.00' },
    rateLimit: false,
  };
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    a = await startInstance({
      ...common,
      tools: toolsA.provider,
      store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }),
    });
    b = await startInstance({
      ...common,
      tools: toolsB.provider,
      store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }),
    });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it(`double spend: ${ROUNDS} rounds × ${CONCURRENT} concurrent executes of one token across two instances run the tool once per round (Redis store)`, async () => {
    const calls = () => toolsA.calls.count + toolsB.calls.count;
    for (let round = 0; round < ROUNDS; round += 1) {
      const parameters = { order: `O-${round}`, amount: { value: '10.00', currency: 'USD' } };
      const authorized = await postJson(
        `${a.url}/authorize`,
        { tool: 'buy', parameters },
        CREDENTIALS.alice,
      );
      expect(authorized.status).toBe(200);
      const { ephemeralToken, transactionId } = authorized.body as {
        ephemeralToken: string;
        transactionId: string;
      };
      const body = {
        ephemeralToken,
        tool: 'buy',
        parameters,
        ...fixture.sign('buy', parameters, transactionId),
      };
      entered = 0;
      answered = 0;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const results = await Promise.all(
        Array.from({ length: CONCURRENT }, async (_, i) => {
          const instance = i % 2 === 0 ? a : b;
          const credential = i % 4 < 2 ? CREDENTIALS.alice : CREDENTIALS.aliceOtherDevice;
          const result = await postJson(`${instance.url}/execute`, body, credential);
          answered += 1;
          maybeRelease();
          return { ...result, credential };
        }),
      );
      expect(calls(), `round ${round}`).toBe(round + 1);
      const winners = results.filter((r) => r.status === 200);
      expect(winners, `round ${round}`).toHaveLength(1);
      for (const loser of results.filter((r) => r.status !== 200)) {
        expect((loser.body.error as { code: string }).code, `round ${round}`).toBe(
          loser.credential === winners[0]!.credential
            ? 'EXECUTION_IN_PROGRESS'
            : 'TOKEN_ALREADY_USED',
        );
      }
    }
    for (const instance of [a, b]) {
      const limits = await instance.engine.limits(CREDENTIALS.alice);
      expect(limits?.windows[0]).toMatchObject({ used: (ROUNDS * 10).toFixed(2) });
    }
  }, 120_000);
});

describe.skipIf(!available)('racing validations on Redis', () => {
  const prefix = uniquePrefix('threat-overspend');
  const fixture = serviceFixture();
  const servers: Array<{ url: string; close(): Promise<void> }> = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i += 1) {
      const spend = spendTools({ issuer: simulatedCardIssuer() });
      const engine = createHandshake({
        tools: spend,
        store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }),
        sessions: fixture.sessions,
        keys: fixture.keys,
        limits: { currency: 'USD', daily: '1000.00' },
        rateLimit: false,
      });
      const running = await serve(
        createHandshakeHandler(engine, { routes: spendApiRoutes(engine, { tools: spend }) }),
      );
      servers.push({
        url: running.url,
        async close() {
          await running.close();
          await engine.close();
        },
      });
    }
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('overspend by racing validations: 100 concurrent validations of 30.00 against 1000.00, split over two instances, approve exactly 33 (Redis store)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const controller = new AbortController();
        const response = await fetch(`${servers[i % 2]!.url}/api/mcp/validate-transaction`, {
          method: 'POST',
          signal: controller.signal,
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${CREDENTIALS.alice}`,
          },
          body: JSON.stringify({
            merchant: { name: `Shop ${i}` },
            amount: '30.00',
            currency: 'USD',
          }),
        });
        const type = response.headers.get('content-type') ?? '';
        // A validation over the limit waits for a person: its stream is cut here.
        controller.abort();
        return { status: response.status, waiting: type.startsWith('text/event-stream') };
      }),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => !a.waiting)).toHaveLength(33);
    expect(answers.filter((a) => a.waiting)).toHaveLength(67);
    for (const server of servers) {
      const limits = await fetch(`${server.url}/api/mcp/limits`, {
        headers: { authorization: `Bearer ${CREDENTIALS.alice}` },
      });
      expect(await limits.json()).toMatchObject({ daily: { used: '990.00', remaining: '10.00' } });
    }
  });
});
