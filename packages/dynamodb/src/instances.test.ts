// Two service instances on one DynamoDB table, racing: the same properties the Redis
// store's instance and threat tests hold (double spend, overspend, double decision),
// and approval decisions crossing instances without pub/sub.
import { spendApiRoutes, spendTools } from '@handshake/cards';
import { simulatedCardIssuer } from '@handshake/cards/testing';
import {
  createHandshake,
  createHandshakeHandler,
  type HandshakeOptions,
  staticSessionVerifier,
} from '@handshake/core';
import { serve } from '@handshake/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStore } from './dynamodb-store.js';
import {
  CREDENTIALS,
  dynaliteGate,
  freshTable,
  moneyTools,
  postJson,
  serviceFixture,
  sseEvents,
  startInstance,
  testClient,
  within,
} from './test-support.js';

const server = await dynaliteGate();

type Instance = Awaited<ReturnType<typeof startInstance>>;
const POLL_MS = 200;
/** A user of the spend API who spends nowhere else in this file. */
const BOB = 'session-bob-0123456789';

describe.skipIf(!server)('two service instances sharing one DynamoDB table', () => {
  const client = testClient(server?.endpoint ?? '');
  const fixture = serviceFixture();
  let gate: Promise<void> = Promise.resolve();
  const toolsA = moneyTools(async () => {
    await gate;
    return { paid: true };
  });
  const toolsB = moneyTools(async () => {
    await gate;
    return { paid: true };
  });
  const calls = () => toolsA.calls.count + toolsB.calls.count;
  let tableName = '';
  // A generous bound per request: 200 racing requests queue on a shared test machine.
  const store = () =>
    new DynamoDBStore({ tableName, client, requestTimeoutMs: 20_000, approvalPollMs: POLL_MS });
  const common: Omit<HandshakeOptions, 'tools' | 'store'> = {
    sessions: fixture.sessions,
    keys: fixture.keys,
    approverCredentials: { [CREDENTIALS.approver]: 'ops' },
    limits: { currency: 'USD', daily: '1000.00' },
    rateLimit: false,
  };
  let a: Instance;
  let b: Instance;
  const spendServers: Array<{ url: string; close(): Promise<void> }> = [];

  beforeAll(async () => {
    tableName = await freshTable(client, 'two');
    // The handlers never poll within a test: what B hears, its store's polling delivers.
    a = await startInstance(
      { ...common, tools: toolsA.provider, store: store() },
      { pollMs: 600_000 },
    );
    b = await startInstance(
      { ...common, tools: toolsB.provider, store: store() },
      { pollMs: 600_000 },
    );
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await Promise.all(spendServers.map((s) => s.close()));
    client.destroy();
    await server?.kill();
  });

  it('runs the tool exactly once when 200 executes with one token race across both', async () => {
    const parameters = { order: 'O-race', amount: { value: '25.00', currency: 'USD' } };
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
    let release = () => {};
    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const total = 200;
    let settled = 0;
    let othersAnswered = () => {};
    const allButOne = new Promise<void>((resolve) => {
      othersAnswered = resolve;
    });
    const requests = Array.from({ length: total }, (_, i) => {
      const instance = i % 2 === 0 ? a : b;
      const credential = i % 4 < 2 ? CREDENTIALS.alice : CREDENTIALS.aliceOtherDevice;
      return postJson(`${instance.url}/execute`, body, credential).then((result) => {
        settled += 1;
        if (settled === total - 1) othersAnswered();
        return { ...result, credential, instance };
      });
    });
    // Every loser is answered while the winner's tool call is still running.
    await allButOne;
    expect(calls()).toBe(1);
    release();
    const results = await Promise.all(requests);
    expect(calls()).toBe(1);
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    for (const r of results.filter((x) => x.status !== 200)) {
      expect((r.body.error as { code: string }).code).toBe(
        r.credential === winner.credential ? 'EXECUTION_IN_PROGRESS' : 'TOKEN_ALREADY_USED',
      );
    }
    const other = winner.instance === a ? b : a;
    const replay = await postJson(`${other.url}/execute`, body, winner.credential);
    expect(replay.body).toMatchObject({ replayed: true, result: { paid: true }, transactionId });
    expect(calls()).toBe(1);
    for (const instance of [a, b]) {
      const limits = await instance.engine.limits(CREDENTIALS.alice);
      expect(limits?.windows[0]).toMatchObject({ window: 'daily', used: '25.00' });
    }
  }, 60_000);

  it('lets one of 10 racing decisions (approve on A, deny on B) win, and the waiter on B hears it within a poll', async () => {
    const parameters = { order: 'O-decide', amount: { value: '40.00', currency: 'USD' } };
    const pending = await postJson(
      `${a.url}/authorize`,
      { tool: 'pay_order', parameters },
      CREDENTIALS.alice,
    );
    expect(pending.status).toBe(202);
    const { approvalId } = pending.body as { approvalId: string };
    const stream = await fetch(`${b.url}/approvals/${approvalId}`, {
      headers: { authorization: `Bearer ${CREDENTIALS.alice}`, accept: 'text/event-stream' },
    });
    const events = sseEvents(stream);
    expect(JSON.parse((await events.next()).value?.data ?? '{}')).toMatchObject({
      status: 'pending',
    });

    const decidedAt = Date.now();
    const decisions = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        postJson(
          `${(i % 2 === 0 ? a : b).url}/approvals/${approvalId}/decision`,
          { decision: i % 2 === 0 ? 'approve' : 'deny' },
          CREDENTIALS.approver,
        ),
      ),
    );
    expect(decisions.filter((d) => d.status === 200)).toHaveLength(1);
    const refused = decisions.filter((d) => d.status !== 200);
    expect(refused.map((d) => (d.body.error as { code: string }).code)).toEqual(
      Array(9).fill('APPROVAL_PENDING'),
    );
    const winner = decisions.find((d) => d.status === 200);
    const won = (winner?.body as { status?: string } | undefined)?.status;
    expect(['approved', 'denied']).toContain(won);

    // B's handler never polls: the decision reached B through its store's polling.
    const second = await within(events.next(), 5_000, 'B heard no decision');
    const latency = Date.now() - decidedAt;
    expect(JSON.parse(second.value?.data ?? '{}')).toMatchObject({ status: won });
    expect(second.value?.id).toBe('2');
    // One poll interval, plus the racing decisions and a busy test machine.
    expect(latency).toBeLessThan(POLL_MS + 2_000);
  });

  it('approves exactly 33 of 40 racing validations of 30.00 against 1000.00 across two instances', async () => {
    for (let i = 0; i < 2; i += 1) {
      const spend = spendTools({ issuer: simulatedCardIssuer() });
      const engine = createHandshake({
        tools: spend,
        store: store(),
        sessions: staticSessionVerifier({ [BOB]: 'bob' }),
        limits: { currency: 'USD', daily: '1000.00' },
        rateLimit: false,
      });
      const running = await serve(
        createHandshakeHandler(engine, { routes: spendApiRoutes(engine, { tools: spend }) }),
      );
      spendServers.push({
        url: running.url,
        async close() {
          await running.close();
          await engine.close();
        },
      });
    }
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const controller = new AbortController();
        const response = await fetch(`${spendServers[i % 2]!.url}/api/mcp/validate-transaction`, {
          method: 'POST',
          signal: controller.signal,
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${BOB}`,
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
    expect(answers.every((x) => x.status === 200)).toBe(true);
    expect(answers.filter((x) => !x.waiting)).toHaveLength(33);
    expect(answers.filter((x) => x.waiting)).toHaveLength(7);
    for (const spendServer of spendServers) {
      const limits = await fetch(`${spendServer.url}/api/mcp/limits`, {
        headers: { authorization: `Bearer ${BOB}` },
      });
      expect(await limits.json()).toMatchObject({ daily: { used: '990.00', remaining: '10.00' } });
    }
  }, 60_000);
});
