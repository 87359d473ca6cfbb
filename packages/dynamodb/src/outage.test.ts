import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStore } from './dynamodb-store.js';
import {
  CREDENTIALS,
  type Dynalite,
  dynaliteGate,
  freshTable,
  moneyTools,
  postJson,
  serviceFixture,
  startDynalite,
  startInstance,
  testClient,
} from './test-support.js';

const probe = await dynaliteGate();
await probe?.kill();

const BOUND_MS = 1_000;

/**
 * DynamoDB stopped between authorize and execute, then started again. The server keeps
 * its data on disk (LevelDB), so the token authorized before the outage is still there.
 */
describe.skipIf(!probe)('a DynamoDB outage mid-handshake', () => {
  const fixture = serviceFixture();
  const tools = moneyTools(() => ({ paid: true }));
  let dir: string;
  let server: Dynalite;
  let service: Awaited<ReturnType<typeof startInstance>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hs-dynalite-'));
    server = await startDynalite({ path: dir });
    const client = testClient(server.endpoint);
    const tableName = await freshTable(client, 'outage');
    client.destroy();
    service = await startInstance({
      tools: tools.provider,
      store: new DynamoDBStore({
        tableName,
        requestTimeoutMs: BOUND_MS,
        clientConfig: {
          endpoint: server.endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        },
      }),
      sessions: fixture.sessions,
      keys: fixture.keys,
      approverCredentials: { [CREDENTIALS.approver]: 'ops' },
      limits: { currency: 'USD', daily: '1000.00' },
    });
  });
  afterAll(async () => {
    await service?.close();
    await server?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
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

  it('answers 503 STORE_UNAVAILABLE within the bound while DynamoDB is down, then executes once', async () => {
    const before = await authorize();
    expect(before.status).toBe(200);
    const held = before.body as { ephemeralToken: string; transactionId: string };

    await server.kill();

    const refused = await timed(authorize);
    expect(refused.result.status).toBe(503);
    expect(refused.result.body).toEqual({
      success: false,
      error: {
        code: 'STORE_UNAVAILABLE',
        message: 'The state store is unavailable; retry shortly',
      },
    });
    // One bounded store call fails the request: the bound plus the service's own work.
    expect(refused.ms).toBeLessThan(BOUND_MS + 1_500);

    const stuck = await timed(() => execute(held.ephemeralToken, held.transactionId));
    expect(stuck.result.status).toBe(503);
    expect((stuck.result.body.error as { code: string }).code).toBe('STORE_UNAVAILABLE');
    expect(stuck.ms).toBeLessThan(BOUND_MS + 1_500);
    expect(tools.calls.count).toBe(0);

    const listing = await timed(() =>
      fetch(`${service.url}/approvals`, {
        headers: { authorization: `Bearer ${CREDENTIALS.approver}` },
      }),
    );
    expect(listing.result.status).toBe(503);
    expect(listing.ms).toBeLessThan(BOUND_MS + 1_500);

    // DynamoDB comes back with its data: the same store reconnects by itself, and the
    // token authorized before the outage runs its call once.
    await server.restart();
    const done = await retryUntil(
      () => execute(held.ephemeralToken, held.transactionId),
      (r) => r.status !== 503,
      10_000,
    );
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', result: { paid: true } });
    expect(tools.calls.count).toBe(1);
    const replay = await execute(held.ephemeralToken, held.transactionId);
    expect(replay.body).toMatchObject({ replayed: true, result: { paid: true } });
    expect(tools.calls.count).toBe(1);
    expect((await authorize()).status).toBe(200);
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
