// Threats: a tampering proxy or a confused agent changing the call between authorize and
// execute, a replaying client, and a token used after its time.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREDENTIALS, type Harness, startHarness } from '../harness.js';
import { authorized, execute, refusal } from './support.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

const buy = (value: string) => ({ order: 'O-1', amount: { value, currency: 'USD' } });
const used = async () => (await h.engine.limits(CREDENTIALS.alice))?.windows[0]?.used;

describe('the call that was authorized is the call that runs', () => {
  it('tampered parameters: a changed amount is refused with TRANSACTION_MISMATCH, nothing runs, and the token still serves the real call', async () => {
    const auth = await authorized(h, 'buy', buy('10.00'), CREDENTIALS.alice);
    // Re-signed for the new parameters, as a compromised agent holding the key could.
    for (const tampered of [
      buy('1000.00'),
      { ...buy('10.00'), order: 'O-2' },
      { ...buy('10.00'), extra: true },
      { order: 'O-1', amount: { value: '10.00', currency: 'EUR' } },
    ]) {
      const answer = await execute(h, {
        token: auth.ephemeralToken,
        tool: 'buy',
        parameters: tampered,
        transactionId: auth.transactionId,
        credential: CREDENTIALS.alice,
      });
      expect(refusal(answer)).toBe('TRANSACTION_MISMATCH');
    }
    expect(h.calls.buy).toBeUndefined();
    const real = await execute(h, {
      token: auth.ephemeralToken,
      tool: 'buy',
      parameters: buy('10.00'),
      transactionId: auth.transactionId,
      credential: CREDENTIALS.alice,
    });
    expect(real.status).toBe(200);
    expect(h.calls.buy).toBe(1);
    expect(await used()).toBe('10.00');
  });

  it('tampered tool: a token for a read cannot run another tool', async () => {
    const order = { order_id: 'O-1' };
    const auth = await authorized(h, 'get_order', order, CREDENTIALS.alice);
    for (const tool of ['list_orders', 'buy', 'create_refund']) {
      const answer = await execute(h, {
        token: auth.ephemeralToken,
        tool,
        parameters: order,
        transactionId: auth.transactionId,
        credential: CREDENTIALS.alice,
      });
      expect(refusal(answer), tool).toBe('TRANSACTION_MISMATCH');
    }
    expect(h.calls).toEqual({});
    const real = await execute(h, {
      token: auth.ephemeralToken,
      tool: 'get_order',
      parameters: order,
      transactionId: auth.transactionId,
      credential: CREDENTIALS.alice,
    });
    expect(real.status).toBe(200);
  });

  it('tampered user: another user presenting the token learns nothing and burns nothing', async () => {
    const auth = await authorized(h, 'buy', buy('10.00'), CREDENTIALS.alice);
    const asBob = await execute(h, {
      token: auth.ephemeralToken,
      tool: 'buy',
      parameters: buy('10.00'),
      transactionId: auth.transactionId,
      credential: CREDENTIALS.bob,
      key: { keyId: 'bob-key', privateKey: h.bobKey.privateKey },
    });
    // The same answer as for a token that never existed.
    expect(refusal(asBob)).toBe('TOKEN_INVALID');
    const madeUp = await execute(h, {
      token: 'hset_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      tool: 'buy',
      parameters: buy('10.00'),
      transactionId: auth.transactionId,
      credential: CREDENTIALS.bob,
      key: { keyId: 'bob-key', privateKey: h.bobKey.privateKey },
    });
    expect(madeUp.text).toBe(asBob.text);
    expect(h.calls.buy).toBeUndefined();
    const real = await execute(h, {
      token: auth.ephemeralToken,
      tool: 'buy',
      parameters: buy('10.00'),
      transactionId: auth.transactionId,
      credential: CREDENTIALS.alice,
    });
    expect(real.status).toBe(200);
  });
});

describe('a replaying client', () => {
  it('replay across sessions: only the session that executed gets the stored result; another device and another user are refused', async () => {
    const auth = await authorized(h, 'buy', buy('10.00'), CREDENTIALS.alice);
    const send = (credential: string, key?: { keyId: string; privateKey: string }) =>
      execute(h, {
        token: auth.ephemeralToken,
        tool: 'buy',
        parameters: buy('10.00'),
        transactionId: auth.transactionId,
        credential,
        ...(key ? { key } : {}),
      });
    const first = await send(CREDENTIALS.alice);
    expect(first.status).toBe(200);
    const otherDevice = await send(CREDENTIALS.aliceOtherDevice);
    expect(refusal(otherDevice)).toBe('TOKEN_ALREADY_USED');
    expect(otherDevice.text).not.toContain('"result"');
    const otherUser = await send(CREDENTIALS.bob, {
      keyId: 'bob-key',
      privateKey: h.bobKey.privateKey,
    });
    expect(refusal(otherUser)).toBe('TOKEN_INVALID');
    const replay = await send(CREDENTIALS.alice);
    expect(replay.status).toBe(200);
    expect(replay.json).toEqual({ ...(first.json as object), replayed: true });
    expect(h.calls.buy).toBe(1);
    expect(await used()).toBe('10.00');
  });
});

describe('a token used after its time', () => {
  it('expiry by the injected clock: a token works until 30 s and is refused from then on, with its reservation given back', async () => {
    const early = await authorized(h, 'buy', buy('10.00'), CREDENTIALS.alice);
    const late = await authorized(h, 'buy', { ...buy('20.00'), order: 'O-2' }, CREDENTIALS.alice);
    expect(await used()).toBe('30.00');
    h.clock.advance(29_999);
    const inTime = await execute(h, {
      token: early.ephemeralToken,
      tool: 'buy',
      parameters: buy('10.00'),
      transactionId: early.transactionId,
      credential: CREDENTIALS.alice,
    });
    expect(inTime.status).toBe(200);
    h.clock.advance(1);
    const expired = await execute(h, {
      token: late.ephemeralToken,
      tool: 'buy',
      parameters: { ...buy('20.00'), order: 'O-2' },
      transactionId: late.transactionId,
      credential: CREDENTIALS.alice,
    });
    expect(refusal(expired)).toBe('TOKEN_EXPIRED');
    expect(h.calls.buy).toBe(1);
    // The reservation lapses once the execution allowance has passed too.
    h.clock.advance(30_000);
    expect(await used()).toBe('10.00');
  });

  it('expiry by the injected clock: an approval nobody decided expires at its deadline and cannot be approved after', async () => {
    const refund = { capture_id: 'CAP-1', amount: { value: '25.00', currency: 'USD' } };
    const pending = await h.request('POST', '/authorize', {
      body: { tool: 'create_refund', parameters: refund },
      credential: CREDENTIALS.alice,
    });
    expect(pending.status).toBe(202);
    const { approvalId } = pending.json as { approvalId: string };
    h.clock.advance(299_999);
    const before = await h.request('GET', `/approvals/${approvalId}`, {
      credential: CREDENTIALS.alice,
    });
    expect(before.json).toMatchObject({ status: 'pending' });
    h.clock.advance(1);
    const decided = await h.request('POST', `/approvals/${approvalId}/decision`, {
      body: { decision: 'approve' },
      credential: CREDENTIALS.approver,
    });
    expect(refusal(decided)).toBe('APPROVAL_EXPIRED');
    const after = await h.request('GET', `/approvals/${approvalId}`, {
      credential: CREDENTIALS.alice,
    });
    expect(after.json).toMatchObject({ status: 'expired' });
    expect(after.json).not.toHaveProperty('ephemeralToken');
    expect(h.calls.create_refund).toBeUndefined();
  });
});
