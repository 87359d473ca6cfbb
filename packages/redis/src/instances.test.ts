import type { ApprovalEvent, HandshakeOptions } from '@handshake/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from './redis-store.js';
import {
  CREDENTIALS,
  moneyTools,
  postJson,
  REDIS_URL,
  redisGate,
  serviceFixture,
  sseEvents,
  startInstance,
  uniquePrefix,
  within,
} from './test-support.js';

const available = await redisGate();

type Instance = Awaited<ReturnType<typeof startInstance>>;

describe.skipIf(!available)('two service instances sharing one Redis', () => {
  const prefix = uniquePrefix('two');
  const fixture = serviceFixture();
  // The tool of both instances waits on this gate, so the race is decided while it runs.
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
  const storeA = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
  const storeB = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
  const common: Omit<HandshakeOptions, 'tools' | 'store'> = {
    sessions: fixture.sessions,
    keys: fixture.keys,
    approverCredentials: { [CREDENTIALS.approver]: 'ops' },
    limits: { currency: 'USD', daily: '1000.00' },
    rateLimit: { limit: 1_000, windowMs: 60_000 },
  };
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    // Neither instance polls within a test's lifetime: what B hears, it hears by pub/sub.
    a = await startInstance(
      { ...common, tools: toolsA.provider, store: storeA },
      { pollMs: 600_000 },
    );
    b = await startInstance(
      { ...common, tools: toolsB.provider, store: storeB },
      { pollMs: 600_000 },
    );
    storeB.subscribeApprovals(() => {});
    await storeB.ready();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('runs the tool exactly once when 120 executes with one token race across both', async () => {
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
    const total = 120;
    let settled = 0;
    let othersAnswered = () => {};
    const allButOne = new Promise<void>((resolve) => {
      othersAnswered = resolve;
    });
    const requests = Array.from({ length: total }, (_, i) => {
      const instance = i % 2 === 0 ? a : b;
      // Half from the session that authorized, half from the same user's other device.
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
    expect(winners[0]?.body).toMatchObject({ status: 'completed', result: { paid: true } });
    const codes = results
      .filter((r) => r.status !== 200)
      .map((r) => (r.body.error as { code: string }).code);
    expect(codes).toHaveLength(total - 1);
    expect(new Set(codes)).toEqual(new Set(['TOKEN_ALREADY_USED', 'EXECUTION_IN_PROGRESS']));
    // Only the session that won may be told "still running"; the other device is refused.
    const winner = winners[0]!;
    for (const r of results.filter((x) => x.status !== 200)) {
      const code = (r.body.error as { code: string }).code;
      expect(code).toBe(
        r.credential === winner.credential ? 'EXECUTION_IN_PROGRESS' : 'TOKEN_ALREADY_USED',
      );
    }

    // The winner's session retries on the other instance: the stored result, no second run.
    const other = winner.instance === a ? b : a;
    const replay = await postJson(`${other.url}/execute`, body, winner.credential);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ replayed: true, result: { paid: true }, transactionId });
    expect(calls()).toBe(1);

    // The amount was counted once, and both instances see the same balance.
    for (const instance of [a, b]) {
      const limits = await instance.engine.limits(CREDENTIALS.alice);
      expect(limits?.windows[0]).toMatchObject({ window: 'daily', used: '25.00' });
    }
  });

  it('delivers a decision made on instance A to an SSE waiter on instance B', async () => {
    const parameters = { order: 'O-approve', amount: { value: '40.00', currency: 'USD' } };
    const pending = await postJson(
      `${a.url}/authorize`,
      { tool: 'pay_order', parameters },
      CREDENTIALS.alice,
    );
    expect(pending.status).toBe(202);
    const { approvalId, transactionId } = pending.body as {
      approvalId: string;
      transactionId: string;
    };

    const stream = await fetch(`${b.url}/approvals/${approvalId}`, {
      headers: { authorization: `Bearer ${CREDENTIALS.alice}`, accept: 'text/event-stream' },
    });
    expect(stream.status).toBe(200);
    const events = sseEvents(stream);
    const first = await events.next();
    expect(JSON.parse(first.value?.data ?? '{}')).toMatchObject({ status: 'pending' });

    // The approver lists it on B and decides it on A.
    const listed = await fetch(`${b.url}/approvals?status=pending`, {
      headers: { authorization: `Bearer ${CREDENTIALS.approver}` },
    });
    const { approvals } = (await listed.json()) as { approvals: { approvalId: string }[] };
    expect(approvals.map((x) => x.approvalId)).toContain(approvalId);
    const decided = await postJson(
      `${a.url}/approvals/${approvalId}/decision`,
      { decision: 'approve' },
      CREDENTIALS.approver,
    );
    expect(decided.status).toBe(200);

    // B polls every 10 minutes: hearing it within the test means it came over pub/sub.
    const second = await within(events.next(), 15_000, 'B heard no decision over pub/sub');
    expect(second.value?.id).toBe('2');
    const view = JSON.parse(second.value?.data ?? '{}') as {
      status: string;
      ephemeralToken?: string;
    };
    expect(view.status).toBe('approved');
    expect(view.ephemeralToken).toBeTruthy();
    expect((await events.next()).done).toBe(true);

    // The token streamed by B executes on B.
    const executed = await postJson(
      `${b.url}/execute`,
      {
        ephemeralToken: view.ephemeralToken,
        tool: 'pay_order',
        parameters,
        ...fixture.sign('pay_order', parameters, transactionId),
      },
      CREDENTIALS.alice,
    );
    expect(executed.status).toBe(200);
    expect(executed.body).toMatchObject({ status: 'completed', transactionId });
  });

  it('delivers through the polling safety net when pub/sub is off', async () => {
    const quiet = new RedisStore({ url: REDIS_URL, keyPrefix: prefix, pubsub: false });
    const heard: ApprovalEvent[] = [];
    quiet.subscribeApprovals((event) => heard.push(event));
    const c = await startInstance(
      { ...common, tools: moneyTools().provider, store: quiet },
      { pollMs: 100 },
    );
    try {
      const parameters = { order: 'O-poll', amount: { value: '10.00', currency: 'USD' } };
      const pending = await postJson(
        `${a.url}/authorize`,
        { tool: 'pay_order', parameters },
        CREDENTIALS.alice,
      );
      const { approvalId } = pending.body as { approvalId: string };
      const stream = await fetch(`${c.url}/approvals/${approvalId}`, {
        headers: { authorization: `Bearer ${CREDENTIALS.alice}`, accept: 'text/event-stream' },
      });
      const events = sseEvents(stream);
      expect(JSON.parse((await events.next()).value?.data ?? '{}')).toMatchObject({
        status: 'pending',
      });
      const decided = await postJson(
        `${a.url}/approvals/${approvalId}/decision`,
        { decision: 'deny', reason: 'not this one' },
        CREDENTIALS.approver,
      );
      expect(decided.status).toBe(200);
      const second = await events.next();
      expect(JSON.parse(second.value?.data ?? '{}')).toMatchObject({
        status: 'denied',
        reason: 'not this one',
      });
      // Nothing reached C's store by pub/sub: the poll found the decision.
      expect(heard.filter((e) => e.approvalId === approvalId)).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('tells a listener on one store about decisions made through another', async () => {
    const other = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
    const heard: ApprovalEvent[] = [];
    let got = () => {};
    const arrived = new Promise<void>((resolve) => {
      got = resolve;
    });
    other.subscribeApprovals((event) => {
      heard.push(event);
      if (event.status === 'approved') got();
    });
    await other.ready();
    try {
      const pending = await postJson(
        `${a.url}/authorize`,
        {
          tool: 'pay_order',
          parameters: { order: 'O-e', amount: { value: '1.00', currency: 'USD' } },
        },
        CREDENTIALS.alice,
      );
      const { approvalId } = pending.body as { approvalId: string };
      await postJson(
        `${a.url}/approvals/${approvalId}/decision`,
        { decision: 'approve' },
        CREDENTIALS.approver,
      );
      await within(arrived, 15_000, 'the other store heard no event');
      expect(heard.filter((e) => e.approvalId === approvalId)).toEqual([
        { approvalId, status: 'pending', version: 1 },
        { approvalId, status: 'approved', version: 2 },
      ]);
    } finally {
      await other.close();
    }
  });
});
