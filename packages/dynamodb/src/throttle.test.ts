import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
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
  startInstance,
  testClient,
} from './test-support.js';

const server = await dynaliteGate();

const THROTTLED = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded.',
});

/**
 * A proxy in front of dynalite that throttles the consume of a token: it answers
 * `ProvisionedThroughputExceededException` to the first attempts, after forwarding them
 * (the write landed, its reply was lost: the worst case) or without forwarding them.
 */
async function throttlingProxy(target: Dynalite) {
  const plan: Array<'forward-then-throttle' | 'throttle'> = [];
  const seen = { consumes: 0, throttled: 0 };
  const proxy: Server = createServer(async (request, response) => {
    const body = await read(request);
    const isConsume =
      request.headers['x-amz-target'] === 'DynamoDB_20120810.UpdateItem' &&
      body.includes('#k = :live');
    const forward = () =>
      fetch(`${target.endpoint}${request.url ?? '/'}`, {
        method: 'POST',
        headers: Object.fromEntries(
          Object.entries(request.headers).filter(
            (entry): entry is [string, string] =>
              typeof entry[1] === 'string' && entry[0] !== 'host' && entry[0] !== 'content-length',
          ),
        ),
        body,
      });
    const step = isConsume ? plan.shift() : undefined;
    if (isConsume) seen.consumes += 1;
    if (step) {
      if (step === 'forward-then-throttle') await (await forward()).text();
      seen.throttled += 1;
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(THROTTLED);
      return;
    }
    const answer = await forward();
    response.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/x-amz-json-1.0',
    });
    response.end(Buffer.from(await answer.arrayBuffer()));
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const address = proxy.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    plan,
    seen,
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}

async function read(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe.skipIf(!server)('DynamoDB throttling', () => {
  const fixture = serviceFixture();
  const tools = moneyTools(() => ({ paid: true }));
  let proxy: Awaited<ReturnType<typeof throttlingProxy>>;
  let service: Awaited<ReturnType<typeof startInstance>>;

  beforeAll(async () => {
    const admin = testClient(server?.endpoint ?? '');
    const tableName = await freshTable(admin, 'throttle');
    admin.destroy();
    proxy = await throttlingProxy(server as Dynalite);
    service = await startInstance({
      tools: tools.provider,
      store: new DynamoDBStore({
        tableName,
        // Room for the SDK's back-off on throttling (it starts at half a second).
        requestTimeoutMs: 10_000,
        client: testClient(proxy.endpoint, { maxAttempts: 4 }),
      }),
      sessions: fixture.sessions,
      keys: fixture.keys,
    });
  });
  afterAll(async () => {
    await service?.close();
    await proxy?.close();
    await server?.kill();
  });

  async function handshake(order: string) {
    const parameters = { order, amount: { value: '5.00', currency: 'USD' } };
    const authorized = await postJson(
      `${service.url}/authorize`,
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
    return () => postJson(`${service.url}/execute`, body, CREDENTIALS.alice);
  }

  it('retries a throttled consume with the SDK back-off and runs the call once', async () => {
    const execute = await handshake('O-throttled');
    proxy.plan.push('throttle', 'throttle');
    const before = { ...proxy.seen };
    const done = await execute();
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', result: { paid: true } });
    expect(proxy.seen.consumes - before.consumes).toBe(3);
    expect(proxy.seen.throttled - before.throttled).toBe(2);
    expect(tools.calls.count).toBe(1);
  });

  it('recognises its own consume when the write landed but the reply said throttled', async () => {
    const execute = await handshake('O-landed');
    const calls = tools.calls.count;
    // The first attempt consumes the token; the SDK resends it, and the resend is refused.
    proxy.plan.push('forward-then-throttle');
    const done = await execute();
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', result: { paid: true } });
    expect(tools.calls.count).toBe(calls + 1);
    // Another execute of the same token is a replay, not a second run.
    const again = await execute();
    expect(again.body).toMatchObject({ replayed: true });
    expect(tools.calls.count).toBe(calls + 1);
  });
});
