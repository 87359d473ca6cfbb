import { generateSigningKey, HandshakeError } from '@handshake/protocol';
import { describe, expect, it, vi } from 'vitest';
import { CREDENTIALS, testEngine, testTools } from '../../test/fixtures.js';
import { agentApprover, rulesApprover } from '../approvals/approver.js';
import { verifyAuditChain } from '../audit/audit-chain.js';
import { MemoryStore } from '../store/memory-store.js';
import type { StoreV1 } from '../store/store-v1.js';
import { createHandshake } from './engine.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (HandshakeError.isInstance(error)) return error.code;
    throw error;
  }
  throw new Error('expected a HandshakeError');
}

const order = { order_id: 'O-1001' };
const refund = { capture_id: 'CAP-1', amount: { value: '25.00', currency: 'USD' } };

describe('tiers', () => {
  it('PUBLIC tools need no session', async () => {
    const { engine, tools } = testEngine();
    const auth = await engine.authorize({ tool: 'get_exchange_rate', parameters: { from: 'EUR' } });
    expect(auth.status).toBe('authorized');
    if (auth.status !== 'authorized') return;
    const done = await engine.execute({
      ephemeralToken: auth.ephemeralToken,
      tool: 'get_exchange_rate',
      parameters: { from: 'EUR' },
    });
    expect(done.result).toMatchObject({ tool: 'get_exchange_rate' });
    expect(tools.calls.get_exchange_rate).toBe(1);
  });

  it('INTERNAL tools need a valid session', async () => {
    const { engine } = testEngine();
    expect(await codeOf(engine.authorize({ tool: 'get_order', parameters: order }))).toBe(
      'UNAUTHORIZED',
    );
    expect(await codeOf(engine.authorize({ tool: 'get_order', parameters: order }, 'nope'))).toBe(
      'UNAUTHORIZED',
    );
  });

  it('INTERNAL execute needs an Ed25519 signature from a key registered to the user', async () => {
    const { engine, sign, bobKey, tools } = testEngine();
    const auth = await engine.authorize(
      { tool: 'get_order', parameters: order },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'authorized') throw new Error('expected authorized');
    const base = { ephemeralToken: auth.ephemeralToken, tool: 'get_order', parameters: order };
    // No signature at all.
    expect(await codeOf(engine.execute(base, CREDENTIALS.alice))).toBe('SIGNATURE_INVALID');
    // Forged: signed by a key nobody registered, presented under alice's key id.
    const forger = generateSigningKey();
    expect(
      await codeOf(
        engine.execute(
          {
            ...base,
            ...sign('get_order', order, auth.transactionId, {
              keyId: 'alice-key',
              privateKey: forger.privateKey,
            }),
          },
          CREDENTIALS.alice,
        ),
      ),
    ).toBe('SIGNATURE_INVALID');
    // Wrong key: bob's registered key used for alice's call.
    expect(
      await codeOf(
        engine.execute(
          {
            ...base,
            ...sign('get_order', order, auth.transactionId, {
              keyId: 'bob-key',
              privateKey: bobKey.privateKey,
            }),
          },
          CREDENTIALS.alice,
        ),
      ),
    ).toBe('SIGNATURE_INVALID');
    // Signature over other parameters.
    expect(
      await codeOf(
        engine.execute(
          { ...base, ...sign('get_order', { order_id: 'O-9' }, auth.transactionId) },
          CREDENTIALS.alice,
        ),
      ),
    ).toBe('SIGNATURE_INVALID');
    expect(tools.calls.get_order).toBeUndefined();
    // None of the refusals burned the token.
    const done = await engine.execute(
      { ...base, ...sign('get_order', order, auth.transactionId) },
      CREDENTIALS.alice,
    );
    expect(done.status).toBe('completed');
    expect(tools.calls.get_order).toBe(1);
  });

  it('CONFIDENTIAL checks the strict schema and rules at authorize, naming the field', async () => {
    const { engine } = testEngine();
    const good = { recipient_email: 'a@example.com', amount: { value: '10.00', currency: 'USD' } };
    const ok = await engine.authorize(
      { tool: 'create_invoice', parameters: good },
      CREDENTIALS.alice,
    );
    expect(ok.status).toBe('authorized');
    const bad = async (parameters: Record<string, unknown>) => {
      try {
        await engine.authorize({ tool: 'create_invoice', parameters }, CREDENTIALS.alice);
      } catch (error) {
        if (HandshakeError.isInstance(error))
          return { code: error.code, path: error.path, message: error.message };
      }
      throw new Error('expected a refusal');
    };
    expect(await bad({ ...good, recipient_email: 'not-an-email' })).toMatchObject({
      code: 'VALIDATION_ERROR',
      path: 'parameters.recipient_email',
    });
    expect(await bad({ ...good, extra: 1 })).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await bad({ ...good, amount: { value: '1', currency: 'usd' } })).toMatchObject({
      code: 'VALIDATION_ERROR',
      path: 'parameters.amount.currency',
    });
    const leaked = await bad({ ...good, recipient_email: 'secret-value-xyz' });
    expect(leaked.message).not.toContain('secret-value-xyz');
  });

  it('tiers are cumulative: a RESTRICTED tool still has its schema checked before anyone is asked', async () => {
    const { engine } = testEngine();
    expect(
      await codeOf(
        engine.authorize(
          { tool: 'create_refund', parameters: { capture_id: 'C', amount: 5 } },
          CREDENTIALS.alice,
        ),
      ),
    ).toBe('VALIDATION_ERROR');
    expect(await engine.listApprovals({ status: 'pending' }, CREDENTIALS.approver)).toHaveLength(0);
  });

  it('refuses unknown tools and never lets a policy lower a tier', async () => {
    const { engine } = testEngine();
    expect(
      await codeOf(engine.authorize({ tool: 'send_money', parameters: {} }, CREDENTIALS.alice)),
    ).toBe('TOOL_NOT_ALLOWED');
    const lowering = createHandshake({
      tools: testTools().provider,
      policy: { tiers: { create_refund: 'INTERNAL' } },
    });
    await expect(lowering.ready()).rejects.toThrow(/tiers can only be raised/);
    const raising = createHandshake({
      tools: testTools().provider,
      policy: { tiers: { get_order: 'RESTRICTED' } },
    });
    expect((await raising.listTools()).find((t) => t.name === 'get_order')?.tier).toBe(
      'RESTRICTED',
    );
  });
});

describe('single use', () => {
  async function authorized(engineSetup = testEngine()) {
    const auth = await engineSetup.engine.authorize(
      { tool: 'get_order', parameters: order },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'authorized') throw new Error('expected authorized');
    return { ...engineSetup, auth };
  }

  it('double spend: 200 concurrent executes of one token run the tool exactly once', async () => {
    const { engine, sign, tools, auth } = await authorized();
    const request = {
      ephemeralToken: auth.ephemeralToken,
      tool: 'get_order',
      parameters: order,
      ...sign('get_order', order, auth.transactionId),
    };
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () => engine.execute(request, CREDENTIALS.alice)),
    );
    expect(tools.calls.get_order).toBe(1);
    const fresh = results.filter((r) => r.status === 'fulfilled' && !r.value.replayed);
    expect(fresh).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected')
        expect((r.reason as HandshakeError).code).toBe('EXECUTION_IN_PROGRESS');
    }
  });

  it('double spend from other sessions: 200 concurrent executes by another session are all refused but one', async () => {
    const { engine, sign, tools, auth } = await authorized();
    const request = {
      ephemeralToken: auth.ephemeralToken,
      tool: 'get_order',
      parameters: order,
      ...sign('get_order', order, auth.transactionId),
    };
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        engine.execute(request, i % 2 ? CREDENTIALS.alice : CREDENTIALS.aliceOtherDevice),
      ),
    );
    expect(tools.calls.get_order).toBe(1);
    expect(results.filter((r) => r.status === 'fulfilled' && !r.value.replayed)).toHaveLength(1);
  });

  it('replays the stored result to the same session re-sending the identical request', async () => {
    const { engine, sign, tools, auth } = await authorized();
    const request = {
      ephemeralToken: auth.ephemeralToken,
      tool: 'get_order',
      parameters: order,
      ...sign('get_order', order, auth.transactionId),
    };
    const first = await engine.execute(request, CREDENTIALS.alice);
    const again = await engine.execute(request, CREDENTIALS.alice);
    expect(again).toEqual({ ...first, replayed: true });
    expect(tools.calls.get_order).toBe(1);
  });

  it('replay across sessions: another session of the same user gets TOKEN_ALREADY_USED', async () => {
    const { engine, sign, auth } = await authorized();
    const request = {
      ephemeralToken: auth.ephemeralToken,
      tool: 'get_order',
      parameters: order,
      ...sign('get_order', order, auth.transactionId),
    };
    await engine.execute(request, CREDENTIALS.alice);
    expect(await codeOf(engine.execute(request, CREDENTIALS.aliceOtherDevice))).toBe(
      'TOKEN_ALREADY_USED',
    );
  });

  it('answers EXECUTION_IN_PROGRESS while the first execute runs', async () => {
    let release: (value: unknown) => void = () => {};
    const gate = new Promise((resolve) => {
      release = resolve;
    });
    const { provider, calls } = testTools({ run: () => gate.then(() => ({ done: true })) });
    const setup = testEngine({ tools: provider });
    const { engine, sign, auth } = await authorized(setup);
    const request = {
      ephemeralToken: auth.ephemeralToken,
      tool: 'get_order',
      parameters: order,
      ...sign('get_order', order, auth.transactionId),
    };
    const first = engine.execute(request, CREDENTIALS.alice);
    // Wait until the first execute is inside the tool.
    await vi.waitFor(() => expect(calls.get_order).toBe(1));
    expect(await codeOf(engine.execute(request, CREDENTIALS.alice))).toBe('EXECUTION_IN_PROGRESS');
    release(undefined);
    expect((await first).result).toEqual({ done: true });
    expect((await engine.execute(request, CREDENTIALS.alice)).replayed).toBe(true);
  });

  it('tampered parameters or tool: TRANSACTION_MISMATCH, and the token survives for the real call', async () => {
    const { engine, sign, auth } = await authorized();
    const tampered = { order_id: 'O-6666' };
    expect(
      await codeOf(
        engine.execute(
          {
            ephemeralToken: auth.ephemeralToken,
            tool: 'get_order',
            parameters: tampered,
            ...sign('get_order', tampered, auth.transactionId),
          },
          CREDENTIALS.alice,
        ),
      ),
    ).toBe('TRANSACTION_MISMATCH');
    expect(
      await codeOf(
        engine.execute(
          {
            ephemeralToken: auth.ephemeralToken,
            tool: 'list_orders',
            parameters: order,
            ...sign('list_orders', order, auth.transactionId),
          },
          CREDENTIALS.alice,
        ),
      ),
    ).toBe('TRANSACTION_MISMATCH');
    const done = await engine.execute(
      {
        ephemeralToken: auth.ephemeralToken,
        tool: 'get_order',
        parameters: order,
        ...sign('get_order', order, auth.transactionId),
      },
      CREDENTIALS.alice,
    );
    expect(done.status).toBe('completed');
  });

  it('key order does not matter: the canonical hash binds the call', async () => {
    const { engine, sign } = testEngine();
    const params = { b: 1, a: { y: [1, 2], x: 'é' } };
    const reordered = { a: { x: 'é', y: [1, 2] }, b: 1 };
    const auth = await engine.authorize(
      { tool: 'get_order', parameters: params },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'authorized') throw new Error('expected authorized');
    const done = await engine.execute(
      {
        ephemeralToken: auth.ephemeralToken,
        tool: 'get_order',
        parameters: reordered,
        ...sign('get_order', reordered, auth.transactionId),
      },
      CREDENTIALS.alice,
    );
    expect(done.status).toBe('completed');
  });

  it('wrong user: another user presenting the token learns nothing and burns nothing', async () => {
    const { engine, sign, bobKey, auth } = await authorized();
    const asBob = {
      ephemeralToken: auth.ephemeralToken,
      tool: 'get_order',
      parameters: order,
      ...sign('get_order', order, auth.transactionId, {
        keyId: 'bob-key',
        privateKey: bobKey.privateKey,
      }),
    };
    expect(await codeOf(engine.execute(asBob, CREDENTIALS.bob))).toBe('TOKEN_INVALID');
    const done = await engine.execute(
      {
        ephemeralToken: auth.ephemeralToken,
        tool: 'get_order',
        parameters: order,
        ...sign('get_order', order, auth.transactionId),
      },
      CREDENTIALS.alice,
    );
    expect(done.status).toBe('completed');
  });

  it('expiry by the injected clock: TOKEN_EXPIRED at 30 s, TOKEN_INVALID for a made-up token', async () => {
    const { engine, sign, clock, auth, tools } = await authorized();
    clock.advance(30_000);
    const request = {
      ephemeralToken: auth.ephemeralToken,
      tool: 'get_order',
      parameters: order,
      ...sign('get_order', order, auth.transactionId),
    };
    expect(await codeOf(engine.execute(request, CREDENTIALS.alice))).toBe('TOKEN_EXPIRED');
    expect(
      await codeOf(
        engine.execute({ ...request, ephemeralToken: 'hset_made-up' }, CREDENTIALS.alice),
      ),
    ).toBe('TOKEN_INVALID');
    expect(tools.calls.get_order).toBeUndefined();
  });

  it('stores tokens only as digests', async () => {
    const ops: string[] = [];
    const inner = new MemoryStore();
    const recording = new Proxy(inner, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          ops.push(JSON.stringify(args, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
          return value.apply(target, args);
        };
      },
    }) as StoreV1;
    const { engine, sign } = testEngine({ store: recording });
    const auth = await engine.authorize(
      { tool: 'get_order', parameters: order },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'authorized') throw new Error('expected authorized');
    await engine.execute(
      {
        ephemeralToken: auth.ephemeralToken,
        tool: 'get_order',
        parameters: order,
        ...sign('get_order', order, auth.transactionId),
      },
      CREDENTIALS.alice,
    );
    expect(ops.length).toBeGreaterThanOrEqual(3);
    for (const op of ops) {
      expect(op).not.toContain(auth.ephemeralToken);
      expect(op).not.toContain(CREDENTIALS.alice);
    }
  });
});

describe('approvals', () => {
  async function pendingRefund(setup = testEngine()) {
    const auth = await setup.engine.authorize(
      { tool: 'create_refund', parameters: refund },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'pending') throw new Error('expected pending');
    return { ...setup, auth };
  }

  it('a RESTRICTED call waits; approval mints a token shown only to the requesting session', async () => {
    const { engine, sign, tools, auth } = await pendingRefund();
    expect(auth.reasons).toEqual([{ kind: 'tier' }]);
    const before = await engine.approvalStatus(auth.approvalId, CREDENTIALS.alice);
    expect(before.status).toBe('pending');
    expect(before.ephemeralToken).toBeUndefined();
    const listed = await engine.listApprovals({ status: 'pending' }, CREDENTIALS.approver);
    expect(listed.map((a) => a.approvalId)).toContain(auth.approvalId);
    expect(listed[0]?.amount).toEqual({ value: '25.00', currency: 'USD' });
    await engine.decide(auth.approvalId, { decision: 'approve' }, CREDENTIALS.approver);
    const other = await engine.approvalStatus(auth.approvalId, CREDENTIALS.aliceOtherDevice);
    expect(other.status).toBe('approved');
    expect(other.ephemeralToken).toBeUndefined();
    const mine = await engine.approvalStatus(auth.approvalId, CREDENTIALS.alice);
    expect(mine.ephemeralToken).toMatch(/^hset_/);
    const done = await engine.execute(
      {
        ephemeralToken: mine.ephemeralToken!,
        tool: 'create_refund',
        parameters: refund,
        ...sign('create_refund', refund, auth.transactionId),
      },
      CREDENTIALS.alice,
    );
    expect(done.status).toBe('completed');
    expect(tools.calls.create_refund).toBe(1);
  });

  it('re-reading an approved status issues another live token; the first execute spends both', async () => {
    const { engine, sign, tools, auth } = await pendingRefund();
    await engine.decide(auth.approvalId, { decision: 'approve' }, CREDENTIALS.approver);
    const first = await engine.approvalStatus(auth.approvalId, CREDENTIALS.alice);
    const second = await engine.approvalStatus(auth.approvalId, CREDENTIALS.alice);
    const exec = (token: string) =>
      engine.execute(
        {
          ephemeralToken: token,
          tool: 'create_refund',
          parameters: refund,
          ...sign('create_refund', refund, auth.transactionId),
        },
        CREDENTIALS.alice,
      );
    expect(first.ephemeralToken).not.toBe(second.ephemeralToken);
    expect((await exec(first.ephemeralToken!)).status).toBe('completed');
    // The same session's identical execute through the other token learns the result.
    expect(await exec(second.ephemeralToken!)).toMatchObject({ replayed: true });
    expect(tools.calls.create_refund).toBe(1);
    const after = await engine.approvalStatus(auth.approvalId, CREDENTIALS.alice);
    expect(after.ephemeralToken).toBeUndefined();
    expect(after.executed).toBe(true);
  });

  it('approval read by another user: NOT_FOUND, indistinguishable from a missing id', async () => {
    const { engine, auth } = await pendingRefund();
    expect(await codeOf(engine.approvalStatus(auth.approvalId, CREDENTIALS.bob))).toBe('NOT_FOUND');
    expect(await codeOf(engine.approvalStatus('apr_0000000000000000_x', CREDENTIALS.bob))).toBe(
      'NOT_FOUND',
    );
  });

  it('approval by the requester itself is refused', async () => {
    const { engine, auth } = await pendingRefund();
    expect(
      await codeOf(engine.decide(auth.approvalId, { decision: 'approve' }, CREDENTIALS.opsSession)),
    ).toBe('FORBIDDEN');
    expect(
      await codeOf(engine.decide(auth.approvalId, { decision: 'approve' }, CREDENTIALS.alice)),
    ).toBe('UNAUTHORIZED');
    expect((await engine.approvalStatus(auth.approvalId, CREDENTIALS.alice)).status).toBe(
      'pending',
    );
  });

  it('denial and expiry are final', async () => {
    const { engine, clock, auth } = await pendingRefund();
    await engine.decide(
      auth.approvalId,
      { decision: 'deny', reason: 'not today' },
      CREDENTIALS.approver,
    );
    const denied = await engine.approvalStatus(auth.approvalId, CREDENTIALS.alice);
    expect(denied).toMatchObject({ status: 'denied', reason: 'not today' });
    expect(
      await codeOf(engine.decide(auth.approvalId, { decision: 'approve' }, CREDENTIALS.approver)),
    ).toBe('APPROVAL_PENDING');
    const second = await engine.authorize(
      { tool: 'create_refund', parameters: refund },
      CREDENTIALS.alice,
    );
    if (second.status !== 'pending') throw new Error('expected pending');
    clock.advance(300_000);
    expect((await engine.approvalStatus(second.approvalId, CREDENTIALS.alice)).status).toBe(
      'expired',
    );
    expect(
      await codeOf(engine.decide(second.approvalId, { decision: 'approve' }, CREDENTIALS.approver)),
    ).toBe('APPROVAL_EXPIRED');
  });

  it('a confirmation agent may approve, deny or escalate', async () => {
    const verdicts = ['approve', 'deny', 'escalate'] as const;
    for (const decision of verdicts) {
      const setup = testEngine({ approver: agentApprover({ decide: () => ({ decision }) }) });
      const attempt = setup.engine.authorize(
        { tool: 'create_refund', parameters: refund },
        CREDENTIALS.alice,
      );
      if (decision === 'deny') {
        expect(await codeOf(attempt)).toBe('APPROVAL_DENIED');
        continue;
      }
      const auth = await attempt;
      expect(auth.status).toBe(decision === 'approve' ? 'authorized' : 'pending');
    }
  });

  it('a confirmation agent never approves alone above its threshold', async () => {
    const setup = testEngine({
      approver: agentApprover({
        decide: () => ({ decision: 'approve' }),
        maxAutoApprove: { value: '20.00', currency: 'USD' },
      }),
    });
    const auth = await setup.engine.authorize(
      { tool: 'create_refund', parameters: refund },
      CREDENTIALS.alice,
    );
    expect(auth.status).toBe('pending');
  });

  it('rules decide by tool and amount, exactly', async () => {
    const setup = testEngine({
      approver: rulesApprover([
        {
          tools: ['create_refund'],
          maxAmount: { value: '25.00', currency: 'USD' },
          decision: 'approve',
        },
      ]),
    });
    const within = await setup.engine.authorize(
      { tool: 'create_refund', parameters: refund },
      CREDENTIALS.alice,
    );
    expect(within.status).toBe('authorized');
    const above = await setup.engine.authorize(
      {
        tool: 'create_refund',
        parameters: { ...refund, amount: { value: '25.01', currency: 'USD' } },
      },
      CREDENTIALS.alice,
    );
    expect(above.status).toBe('pending');
  });
});

describe('spending limits', () => {
  const limits = { currency: 'USD', daily: '100.00', transaction: '60.00' };
  const buy = (value: string) => ({ amount: { value, currency: 'USD' } });

  it('reserves at authorize, counts reservations in the balance and asks for approval over a limit', async () => {
    const { engine } = testEngine({ limits });
    expect(
      (await engine.authorize({ tool: 'buy', parameters: buy('50.00') }, CREDENTIALS.alice)).status,
    ).toBe('authorized');
    expect((await engine.limits(CREDENTIALS.alice))?.windows[0]).toMatchObject({
      remaining: '50.00',
      used: '50.00',
    });
    const over = await engine.authorize(
      { tool: 'buy', parameters: buy('50.01') },
      CREDENTIALS.alice,
    );
    expect(over).toMatchObject({
      status: 'pending',
      reasons: [{ kind: 'limit', window: 'daily' }],
    });
    const perTx = await engine.authorize(
      { tool: 'buy', parameters: buy('60.01') },
      CREDENTIALS.alice,
    );
    expect(
      perTx.status === 'pending' &&
        perTx.reasons?.map((r) => (r.kind === 'limit' ? r.window : 'tier')),
    ).toContain('transaction');
  });

  it('overspend by racing requests: 40 concurrent buys of 30.00 with 970.00 left approve exactly 32', async () => {
    const { engine } = testEngine({ limits: { currency: 'USD', daily: '1000.00' } });
    await engine.authorize({ tool: 'buy', parameters: buy('30.00') }, CREDENTIALS.alice);
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        engine.authorize({ tool: 'buy', parameters: buy('30.00') }, CREDENTIALS.alice),
      ),
    );
    expect(results.filter((r) => r.status === 'authorized')).toHaveLength(32);
    expect(results.filter((r) => r.status === 'pending')).toHaveLength(8);
    expect((await engine.limits(CREDENTIALS.alice))?.windows[0]?.remaining).toBe('10.00');
  });

  it('releases on a failed execute and on expiry; commits on success', async () => {
    const fail = { fail: false };
    const { provider } = testTools({
      run: () => {
        if (fail.fail) throw new Error('card declined at 4242 4242 4242 4242');
        return { ok: true };
      },
    });
    const setup = testEngine({ limits, tools: provider });
    const { engine, clock } = setup;
    const go = async (value: string) => {
      const auth = await setup.engine.authorize(
        { tool: 'buy', parameters: buy(value) },
        CREDENTIALS.alice,
      );
      if (auth.status !== 'authorized') throw new Error('expected authorized');
      return setup.engine.execute(
        {
          ephemeralToken: auth.ephemeralToken,
          tool: 'buy',
          parameters: buy(value),
          ...setup.sign('buy', buy(value), auth.transactionId),
        },
        CREDENTIALS.alice,
      );
    };
    const left = async () => (await setup.engine.limits(CREDENTIALS.alice))?.windows[0]?.remaining;
    await go('10.00');
    expect(await left()).toBe('90.00');
    fail.fail = true;
    const error = await go('20.00').catch((e: HandshakeError) => e);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(String((error as Error).message)).not.toContain('4242');
    expect(await left()).toBe('90.00');
    // A token never executed gives its reservation back once it lapses.
    await engine.authorize({ tool: 'buy', parameters: buy('40.00') }, CREDENTIALS.alice);
    expect(await left()).toBe('50.00');
    // Token lifetime plus the execution allowance.
    clock.advance(30_000 + 30_000);
    expect(await left()).toBe('90.00');
  });

  it('an over-limit request approved by a person is counted; a denied one is not', async () => {
    const { engine, sign } = testEngine({ limits: { currency: 'USD', daily: '100.00' } });
    const over = await engine.authorize(
      { tool: 'buy', parameters: buy('150.00') },
      CREDENTIALS.alice,
    );
    if (over.status !== 'pending') throw new Error('expected pending');
    await engine.decide(over.approvalId, { decision: 'approve' }, CREDENTIALS.approver);
    const view = await engine.approvalStatus(over.approvalId, CREDENTIALS.alice);
    await engine.execute(
      {
        ephemeralToken: view.ephemeralToken!,
        tool: 'buy',
        parameters: buy('150.00'),
        ...sign('buy', buy('150.00'), over.transactionId),
      },
      CREDENTIALS.alice,
    );
    expect((await engine.limits(CREDENTIALS.alice))?.windows[0]).toMatchObject({
      used: '150.00',
      remaining: '0.00',
    });
    const again = await engine.authorize(
      { tool: 'buy', parameters: buy('1.00') },
      CREDENTIALS.alice,
    );
    expect(again.status).toBe('pending');
  });

  it('an agent approver cannot approve over a limit: it escalates', async () => {
    const { engine } = testEngine({
      limits: { currency: 'USD', daily: '10.00' },
      approver: agentApprover({ decide: () => ({ decision: 'approve' }) }),
    });
    expect(
      (await engine.authorize({ tool: 'buy', parameters: buy('11.00') }, CREDENTIALS.alice)).status,
    ).toBe('pending');
  });
});

describe('failures', () => {
  it('a provider that throws yields PROVIDER_ERROR without its detail, replayed the same way', async () => {
    const { provider, calls } = testTools({
      run: () => {
        throw new Error('upstream said: token=abc123 card 4111111111111111');
      },
    });
    const { engine, sign } = testEngine({ tools: provider });
    const auth = await engine.authorize(
      { tool: 'get_order', parameters: order },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'authorized') throw new Error('expected authorized');
    const request = {
      ephemeralToken: auth.ephemeralToken,
      tool: 'get_order',
      parameters: order,
      ...sign('get_order', order, auth.transactionId),
    };
    const first = await engine.execute(request, CREDENTIALS.alice).catch((e: HandshakeError) => e);
    expect(first).toMatchObject({ code: 'PROVIDER_ERROR' });
    expect((first as Error).message).not.toMatch(/abc123|4111/);
    expect(await codeOf(engine.execute(request, CREDENTIALS.alice))).toBe('PROVIDER_ERROR');
    expect(calls.get_order).toBe(1);
  });

  it('a provider that hangs is abandoned at the execution timeout', async () => {
    const { provider } = testTools({ run: () => new Promise(() => {}) });
    const { engine, sign } = testEngine({ tools: provider, executionTimeoutMs: 20 });
    const auth = await engine.authorize(
      { tool: 'get_order', parameters: order },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'authorized') throw new Error('expected authorized');
    const error = await engine
      .execute(
        {
          ephemeralToken: auth.ephemeralToken,
          tool: 'get_order',
          parameters: order,
          ...sign('get_order', order, auth.transactionId),
        },
        CREDENTIALS.alice,
      )
      .catch((e: HandshakeError) => e);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR' });
    expect((error as Error).message).toMatch(/did not finish in time/);
  });

  it('a store that goes away answers STORE_UNAVAILABLE and issues no token', async () => {
    const broken: StoreV1 = new Proxy(new MemoryStore(), {
      get(target, key, receiver) {
        if (key === 'authorize' || key === 'consume') {
          return () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379'));
        }
        return Reflect.get(target, key, receiver);
      },
    });
    const { engine } = testEngine({ store: broken });
    const error = await engine
      .authorize({ tool: 'get_order', parameters: order }, CREDENTIALS.alice)
      .catch((e: HandshakeError) => e);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503 });
    expect((error as Error).message).not.toContain('6379');
  });

  it('rate-limits authorizations per user with a retry time', async () => {
    const { engine, clock } = testEngine({ rateLimit: { limit: 2, windowMs: 10_000 } });
    await engine.authorize({ tool: 'get_order', parameters: order }, CREDENTIALS.alice);
    await engine.authorize({ tool: 'get_order', parameters: order }, CREDENTIALS.alice);
    const limited = await engine
      .authorize({ tool: 'get_order', parameters: order }, CREDENTIALS.alice)
      .catch((e: HandshakeError) => e);
    expect(limited).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect((limited as HandshakeError).retryAfterSeconds).toBeGreaterThan(0);
    expect(
      (await engine.authorize({ tool: 'get_order', parameters: order }, CREDENTIALS.bob)).status,
    ).toBe('authorized');
    clock.advance(10_000);
    expect(
      (await engine.authorize({ tool: 'get_order', parameters: order }, CREDENTIALS.alice)).status,
    ).toBe('authorized');
  });
});

describe('audit', () => {
  it('chains every step, without tokens, credentials or parameters, and detects tampering', async () => {
    const { engine, audit, sign } = testEngine();
    const secretParams = { order_id: 'O-secret-7777' };
    const auth = await engine.authorize(
      { tool: 'get_order', parameters: secretParams },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'authorized') throw new Error('expected authorized');
    await engine.execute(
      {
        ephemeralToken: auth.ephemeralToken,
        tool: 'get_order',
        parameters: secretParams,
        ...sign('get_order', secretParams, auth.transactionId),
      },
      CREDENTIALS.alice,
    );
    await engine.authorize({ tool: 'nope', parameters: {} }, CREDENTIALS.alice).catch(() => {});
    const pending = await engine.authorize(
      { tool: 'create_refund', parameters: refund },
      CREDENTIALS.alice,
    );
    if (pending.status !== 'pending') throw new Error('expected pending');
    await engine.decide(pending.approvalId, { decision: 'approve' }, CREDENTIALS.approver);
    const view = await engine.approvalStatus(pending.approvalId, CREDENTIALS.alice);
    await engine.flushAudit();
    const events = audit.events;
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'authorize',
        'execute',
        'refusal',
        'approval.requested',
        'approval.decided',
        'approval.token_issued',
      ]),
    );
    expect(verifyAuditChain(events)).toEqual({ ok: true, count: events.length });
    const text = JSON.stringify(events);
    for (const secret of [
      auth.ephemeralToken,
      view.ephemeralToken!,
      CREDENTIALS.alice,
      CREDENTIALS.approver,
      'O-secret-7777',
    ]) {
      expect(text).not.toContain(secret);
    }
    const changed = events.map((e, i) => (i === 1 ? { ...e, outcome: 'failed' } : e));
    expect(verifyAuditChain(changed)).toMatchObject({ ok: false, index: 1 });
    const removed = events.filter((_, i) => i !== 2);
    expect(verifyAuditChain(removed)).toMatchObject({ ok: false, index: 2 });
    const reordered = [events[0]!, events[2]!, events[1]!, ...events.slice(3)];
    expect(verifyAuditChain(reordered)).toMatchObject({ ok: false, index: 1 });
  });
});
