import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from './redis-store.js';
import {
  CREDENTIALS,
  freePort,
  moneyTools,
  postJson,
  type RedisProcess,
  redisGate,
  serviceFixture,
  startInstance,
  startRedisServer,
  uniquePrefix,
} from './test-support.js';

const available = await redisGate();

/**
 * Redis stopped and restarted mid-test. The shared Redis on 6379 is left alone: this
 * test runs its own `redis-server` on a free port, kills it and starts it again there.
 */
describe.skipIf(!available)('a Redis outage', () => {
  const fixture = serviceFixture();
  const tools = moneyTools(() => ({ paid: true }));
  let port: number;
  let redis: RedisProcess;
  let store: RedisStore;
  let service: Awaited<ReturnType<typeof startInstance>>;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedisServer(port);
    store = new RedisStore({
      url: `redis://127.0.0.1:${port}`,
      keyPrefix: uniquePrefix('outage'),
      commandTimeoutMs: 1_000,
    });
    service = await startInstance({
      tools: tools.provider,
      store,
      sessions: fixture.sessions,
      keys: fixture.keys,
      approverCredentials: { [CREDENTIALS.approver]: 'ops' },
      limits: { currency: 'USD', daily: '1000.00' },
    });
  });
  afterAll(async () => {
    await service?.close();
    await redis?.kill();
  });

  const parameters = { order: 'O-outage', amount: { value: '5.00', currency: 'USD' } };
  const authorize = () =>
    postJson(`${service.url}/authorize`, { tool: 'buy', parameters }, CREDENTIALS.alice);
  const execute = (token: string, transactionId: string) =>
    postJson(
      `${service.url}/execute`,
      {
        ephemeralToken: token,
        tool: 'buy',
        parameters,
        ...fixture.sign('buy', parameters, transactionId),
      },
      CREDENTIALS.alice,
    );

  async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
    const started = performance.now();
    const result = await work();
    return { ms: performance.now() - started, result };
  }

  it('answers 503 STORE_UNAVAILABLE within the bound while Redis is down, then recovers', async () => {
    const before = await authorize();
    expect(before.status).toBe(200);
    const held = before.body as { ephemeralToken: string; transactionId: string };
    // A subscriber hears when notifications may have been lost (live streams then read
    // again instead of polling).
    expect(store.approvalEventsComplete).toBe(true);
    let gaps = 0;
    const unsubscribe = store.subscribeApprovals(
      () => {},
      () => {
        gaps += 1;
      },
    );
    await store.ready();
    expect(gaps).toBe(0);

    await redis.kill();

    const refused = await timed(authorize);
    expect(refused.result.status).toBe(503);
    expect(refused.result.body).toEqual({
      success: false,
      error: {
        code: 'STORE_UNAVAILABLE',
        message: 'The state store is unavailable; retry shortly',
      },
    });
    // No token was handed out without its record.
    expect(JSON.stringify(refused.result.body)).not.toContain('hset_');
    expect(refused.ms).toBeLessThan(3_000);

    const stuck = await timed(() => execute(held.ephemeralToken, held.transactionId));
    expect(stuck.result.status).toBe(503);
    expect((stuck.result.body.error as { code: string }).code).toBe('STORE_UNAVAILABLE');
    expect(stuck.ms).toBeLessThan(3_000);
    expect(tools.calls.count).toBe(0);

    const listing = await timed(() =>
      fetch(`${service.url}/approvals`, {
        headers: { authorization: `Bearer ${CREDENTIALS.approver}` },
      }),
    );
    expect(listing.result.status).toBe(503);
    expect(listing.ms).toBeLessThan(3_000);

    // Redis comes back on the same port, empty (no persistence). The same store, the
    // same service: the client reconnects by itself.
    redis = await startRedisServer(port);
    const recovered = await retryUntil(authorize, (r) => r.status === 200, 10_000);
    expect(recovered.status).toBe(200);
    const token = recovered.body as { ephemeralToken: string; transactionId: string };
    const done = await execute(token.ephemeralToken, token.transactionId);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', result: { paid: true } });
    expect(tools.calls.count).toBe(1);
    // The token authorized before the outage lived in the Redis that was lost: refused.
    const lost = await execute(held.ephemeralToken, held.transactionId);
    expect((lost.body.error as { code: string }).code).toBe('TOKEN_INVALID');
    // The subscription is back: its gap was reported once.
    await expect.poll(() => gaps, { timeout: 10_000 }).toBe(1);
    unsubscribe();
  });
});

/** Repeats `attempt` until `done` holds; a restarted server is awaited over real sockets. */
async function retryUntil<T>(
  attempt: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
