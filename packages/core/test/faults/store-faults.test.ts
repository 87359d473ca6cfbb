// Faults: the store failing in the middle of a handshake, at each step of authorize,
// execute and approval, either before its write (nothing happened) or after it (the
// write happened, the answer was lost — a Redis timeout looks like this). Whatever the
// step: no token is half-consumed (it is untouched, or consumed with a tombstone), a
// spend reservation is never leaked (it is released or lapses at its hold deadline),
// the tool never runs twice, and the audit trail says what happened.
import { HandshakeError } from '@handshake/protocol';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { StoreV1 } from '../../src/store/store-v1.js';
import { CREDENTIALS, testEngine } from '../fixtures.js';

type Method = Exclude<keyof StoreV1, 'specificationVersion' | 'subscribeApprovals' | 'close'>;

/** A memory store whose `method` throws on its `nth` call, before or after doing its work. */
function faultyStore(fault: { method: Method; nth: number; when: 'before' | 'after' }) {
  const inner = new MemoryStore();
  let calls = 0;
  const store = new Proxy(inner, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      if (key !== fault.method) return value.bind(target);
      return async (...args: unknown[]) => {
        calls += 1;
        if (calls !== fault.nth) return value.apply(target, args);
        if (fault.when === 'before') throw new Error('ECONNRESET 10.0.0.7:6379');
        await value.apply(target, args);
        throw new Error('ETIMEDOUT 10.0.0.7:6379 after write');
      };
    },
  }) as StoreV1;
  return { store, inner };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (HandshakeError.isInstance(error)) {
      // No store detail reaches the caller.
      expect(error.message).not.toMatch(/ECONN|ETIMEDOUT|6379|10\.0\.0\.7/);
      return error.code;
    }
    throw error;
  }
  return 'OK';
}

const buy = { order: 'O-1', amount: { value: '10.00', currency: 'USD' } };
const refund = { capture_id: 'CAP-1', amount: { value: '25.00', currency: 'USD' } };
/** Token lifetime plus the execution allowance: when a reservation's hold lapses. */
const HOLD = 30_000 + 30_000;

function setup(method: Method, nth: number, when: 'before' | 'after') {
  const { store } = faultyStore({ method, nth, when });
  const t = testEngine({ store, limits: { currency: 'USD', daily: '100.00' } });
  const used = async () => (await t.engine.limits(CREDENTIALS.alice))?.windows[0]?.used;
  const refusals = async (detail: string) => {
    await t.engine.flushAudit();
    return t.audit.events.filter(
      (e: AuditEvent) =>
        e.type === 'refusal' && e.outcome === 'STORE_UNAVAILABLE' && e.detail === detail,
    );
  };
  const request = (
    token: string,
    transactionId: string,
    parameters: Record<string, unknown> = buy,
    tool = 'buy',
  ) => ({
    ephemeralToken: token,
    tool,
    parameters,
    ...t.sign(tool, parameters, transactionId),
  });
  return { ...t, used, refusals, request };
}

describe('the store fails during authorize', () => {
  it('before its write: 503, nothing reserved, nothing issued, a refusal audited; a retry succeeds', async () => {
    const t = setup('authorize', 1, 'before');
    expect(
      await codeOf(t.engine.authorize({ tool: 'buy', parameters: buy }, CREDENTIALS.alice)),
    ).toBe('STORE_UNAVAILABLE');
    expect(await t.used()).toBe('0.00');
    expect(await t.refusals('authorize')).toHaveLength(1);
    const retry = await t.engine.authorize({ tool: 'buy', parameters: buy }, CREDENTIALS.alice);
    expect(retry.status).toBe('authorized');
    expect(await t.used()).toBe('10.00');
  });

  it('after its write: 503, and the reservation nobody holds a token for lapses at its hold deadline', async () => {
    const t = setup('authorize', 1, 'after');
    expect(
      await codeOf(t.engine.authorize({ tool: 'buy', parameters: buy }, CREDENTIALS.alice)),
    ).toBe('STORE_UNAVAILABLE');
    expect(await t.refusals('authorize')).toHaveLength(1);
    expect(await t.used()).toBe('10.00');
    t.clock.advance(HOLD);
    expect(await t.used()).toBe('0.00');
  });

  it('after its write of an approval: the request nobody knows of expires at its deadline and gives its reservation back', async () => {
    const t = setup('authorize', 1, 'after');
    expect(
      await codeOf(
        t.engine.authorize({ tool: 'create_refund', parameters: refund }, CREDENTIALS.alice),
      ),
    ).toBe('STORE_UNAVAILABLE');
    expect(await t.used()).toBe('25.00');
    t.clock.advance(300_000);
    const [expired] = await t.engine.listApprovals({}, CREDENTIALS.approver);
    expect(expired).toMatchObject({ status: 'expired' });
    expect(await t.used()).toBe('0.00');
    expect(t.tools.calls.create_refund).toBeUndefined();
  });
});

describe('the store fails during execute', () => {
  async function authorized(t: ReturnType<typeof setup>) {
    const auth = await t.engine.authorize({ tool: 'buy', parameters: buy }, CREDENTIALS.alice);
    if (auth.status !== 'authorized') throw new Error('expected authorized');
    return auth;
  }

  it('consume fails before its write: 503, the token is untouched and a retry runs the tool once', async () => {
    const t = setup('consume', 1, 'before');
    const auth = await authorized(t);
    const request = t.request(auth.ephemeralToken, auth.transactionId);
    expect(await codeOf(t.engine.execute(request, CREDENTIALS.alice))).toBe('STORE_UNAVAILABLE');
    expect(await t.refusals('execute')).toHaveLength(1);
    expect(t.tools.calls.buy).toBeUndefined();
    expect((await t.engine.execute(request, CREDENTIALS.alice)).status).toBe('completed');
    expect(t.tools.calls.buy).toBe(1);
    expect(await t.used()).toBe('10.00');
  });

  it('consume fails after its write: 503, the token is consumed with a tombstone, the tool never runs, and the amount stays counted until the call is resolved', async () => {
    const t = setup('consume', 1, 'after');
    const auth = await authorized(t);
    const request = t.request(auth.ephemeralToken, auth.transactionId);
    expect(await codeOf(t.engine.execute(request, CREDENTIALS.alice))).toBe('STORE_UNAVAILABLE');
    expect(await t.refusals('execute')).toHaveLength(1);
    // Consumed, not half-consumed: nobody can run it, and the session is told it is taken.
    expect(await codeOf(t.engine.execute(request, CREDENTIALS.alice))).toBe(
      'EXECUTION_IN_PROGRESS',
    );
    expect(await codeOf(t.engine.execute(request, CREDENTIALS.aliceOtherDevice))).toBe(
      'TOKEN_ALREADY_USED',
    );
    expect(t.tools.calls.buy).toBeUndefined();
    t.clock.advance(HOLD);
    // Unresolved, it stays counted: for all the store knows, the call may have run.
    expect(await t.used()).toBe('10.00');
    // The identical retry, past the execution timeout, resolves it once, still counted.
    expect(await codeOf(t.engine.execute(request, CREDENTIALS.alice))).toBe('PROVIDER_ERROR');
    expect(await t.used()).toBe('10.00');
    expect(t.tools.calls.buy).toBeUndefined();
  });

  it('complete fails before its write: the tool ran, so the caller gets its result, and the audit says the outcome was not stored', async () => {
    const t = setup('complete', 1, 'before');
    const auth = await authorized(t);
    const request = t.request(auth.ephemeralToken, auth.transactionId);
    const done = await t.engine.execute(request, CREDENTIALS.alice);
    expect(done).toMatchObject({ status: 'completed', result: { ok: true } });
    await t.engine.flushAudit();
    expect(t.audit.events.at(-1)).toMatchObject({
      type: 'execute',
      outcome: 'completed',
      detail: 'outcome not stored',
      amount: { value: '10.00' },
    });
    // Never run twice: the tombstone stays, without an outcome to replay.
    expect(await codeOf(t.engine.execute(request, CREDENTIALS.alice))).toBe(
      'EXECUTION_IN_PROGRESS',
    );
    expect(t.tools.calls.buy).toBe(1);
  });

  it('complete fails after its write: the caller gets the result, and a retry gets it replayed', async () => {
    const t = setup('complete', 1, 'after');
    const auth = await authorized(t);
    const request = t.request(auth.ephemeralToken, auth.transactionId);
    expect((await t.engine.execute(request, CREDENTIALS.alice)).status).toBe('completed');
    expect((await t.engine.execute(request, CREDENTIALS.alice)).replayed).toBe(true);
    expect(t.tools.calls.buy).toBe(1);
    t.clock.advance(HOLD);
    expect(await t.used()).toBe('10.00');
  });
});

describe('the store fails during an approval', () => {
  async function pending(t: ReturnType<typeof setup>) {
    const auth = await t.engine.authorize(
      { tool: 'create_refund', parameters: refund },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'pending') throw new Error('expected pending');
    return auth;
  }

  it('the decision fails before its write: still pending, and the approver can decide again', async () => {
    const t = setup('decideApproval', 1, 'before');
    const auth = await pending(t);
    expect(
      await codeOf(t.engine.decide(auth.approvalId, { decision: 'approve' }, CREDENTIALS.approver)),
    ).toBe('STORE_UNAVAILABLE');
    expect((await t.engine.approvalStatus(auth.approvalId, CREDENTIALS.alice)).status).toBe(
      'pending',
    );
    expect(
      (await t.engine.decide(auth.approvalId, { decision: 'approve' }, CREDENTIALS.approver))
        .status,
    ).toBe('approved');
  });

  it('the decision fails after its write: decided once, a second decision is refused, and the requester gets the token', async () => {
    const t = setup('decideApproval', 1, 'after');
    const auth = await pending(t);
    expect(
      await codeOf(t.engine.decide(auth.approvalId, { decision: 'approve' }, CREDENTIALS.approver)),
    ).toBe('STORE_UNAVAILABLE');
    expect(
      await codeOf(t.engine.decide(auth.approvalId, { decision: 'deny' }, CREDENTIALS.approver)),
    ).toBe('APPROVAL_PENDING');
    const view = await t.engine.approvalStatus(auth.approvalId, CREDENTIALS.alice);
    expect(view).toMatchObject({ status: 'approved', ephemeralToken: expect.any(String) });
  });

  it('issuing the token fails after its write: the lost token is replaced on the next read, and only the new one executes', async () => {
    const t = setup('issueApprovalToken', 1, 'after');
    const auth = await pending(t);
    await t.engine.decide(auth.approvalId, { decision: 'approve' }, CREDENTIALS.approver);
    expect(await codeOf(t.engine.approvalStatus(auth.approvalId, CREDENTIALS.alice))).toBe(
      'STORE_UNAVAILABLE',
    );
    const view = await t.engine.approvalStatus(auth.approvalId, CREDENTIALS.alice);
    const done = await t.engine.execute(
      t.request(view.ephemeralToken!, auth.transactionId, refund, 'create_refund'),
      CREDENTIALS.alice,
    );
    expect(done.status).toBe('completed');
    expect(t.tools.calls.create_refund).toBe(1);
  });

  it('reading the approval fails: 503 for that read only', async () => {
    const t = setup('getApproval', 1, 'before');
    const auth = await pending(t);
    expect(await codeOf(t.engine.approvalStatus(auth.approvalId, CREDENTIALS.alice))).toBe(
      'STORE_UNAVAILABLE',
    );
    expect((await t.engine.approvalStatus(auth.approvalId, CREDENTIALS.alice)).status).toBe(
      'pending',
    );
  });
});
