import { HandshakeError } from '@handshake/protocol';
import { describe, expect, it } from 'vitest';
import { CREDENTIALS, testEngine } from '../../test/fixtures.js';

async function refusalOf(promise: Promise<unknown>): Promise<HandshakeError> {
  try {
    await promise;
  } catch (error) {
    if (HandshakeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a HandshakeError');
}

const refund = { capture_id: 'CAP-1', amount: { value: '25.00', currency: 'USD' } };
const limits = { currency: 'USD', daily: '100.00' };

async function pendingRefund(setup = testEngine({ limits })) {
  const auth = await setup.engine.authorize(
    { tool: 'create_refund', parameters: refund },
    CREDENTIALS.alice,
  );
  if (auth.status !== 'pending') throw new Error('expected pending');
  return { ...setup, auth };
}

const used = async (engine: ReturnType<typeof testEngine>['engine']) =>
  (await engine.limits(CREDENTIALS.alice))?.windows[0]?.used;

describe('withdrawal by the requester', () => {
  it('ends a pending approval as withdrawn: final, its spend given back, audited and streamed', async () => {
    const { engine, audit, auth } = await pendingRefund();
    expect(await used(engine)).toBe('25.00');
    const changes = engine.watchApprovals();
    const view = await engine.withdraw(auth.approvalId, CREDENTIALS.alice);
    expect(view).toMatchObject({ approvalId: auth.approvalId, status: 'withdrawn' });
    expect(view.ephemeralToken).toBeUndefined();
    const change = await changes.next();
    expect(change.value).toMatchObject({
      type: 'changed',
      approvalId: auth.approvalId,
      status: 'withdrawn',
    });
    await changes.return?.();
    expect((await engine.approvalStatus(auth.approvalId, CREDENTIALS.alice)).status).toBe(
      'withdrawn',
    );
    expect(await used(engine)).toBe('0.00');
    const listed = await engine.listApprovals({ status: 'withdrawn' }, CREDENTIALS.approver);
    expect(listed.map((a) => [a.approvalId, a.decidedBy])).toEqual([[auth.approvalId, 'alice']]);
    expect(await engine.listApprovals({ status: 'pending' }, CREDENTIALS.approver)).toEqual([]);
    await engine.flushAudit();
    const event = audit.events.find((e) => e.type === 'approval.withdrawn');
    expect(event).toMatchObject({
      outcome: 'withdrawn',
      approvalId: auth.approvalId,
      userId: 'alice',
      decidedBy: 'alice',
    });
    // Withdrawing again answers the same final status (a retried request, a second waiter).
    expect((await engine.withdraw(auth.approvalId, CREDENTIALS.alice)).status).toBe('withdrawn');
    expect(audit.events.filter((e) => e.type === 'approval.withdrawn')).toHaveLength(1);
  });

  it('a withdrawn approval can no longer be approved or denied, and says why', async () => {
    const { engine, auth } = await pendingRefund();
    await engine.withdraw(auth.approvalId, CREDENTIALS.alice);
    for (const decision of ['approve', 'deny'] as const) {
      const refusal = await refusalOf(
        engine.decide(auth.approvalId, { decision }, CREDENTIALS.approver),
      );
      expect(refusal.code).toBe('APPROVAL_PENDING');
      expect(refusal.status).toBe(409);
      expect(refusal.message).toMatch(/already withdrawn/);
    }
    expect(await used(engine)).toBe('0.00');
  });

  it('a decided or expired approval cannot be withdrawn', async () => {
    const { engine, clock, auth } = await pendingRefund();
    await engine.decide(auth.approvalId, { decision: 'approve' }, CREDENTIALS.approver);
    const refusal = await refusalOf(engine.withdraw(auth.approvalId, CREDENTIALS.alice));
    expect(refusal).toMatchObject({ code: 'APPROVAL_PENDING', status: 409 });
    expect(refusal.message).toMatch(/already approved/);
    expect((await engine.approvalStatus(auth.approvalId, CREDENTIALS.alice)).status).toBe(
      'approved',
    );
    const later = await engine.authorize(
      { tool: 'create_refund', parameters: refund },
      CREDENTIALS.alice,
    );
    if (later.status !== 'pending') throw new Error('expected pending');
    clock.advance(300_000);
    expect((await refusalOf(engine.withdraw(later.approvalId, CREDENTIALS.alice))).code).toBe(
      'APPROVAL_EXPIRED',
    );
  });

  it("another user's withdrawal answers NOT_FOUND, like a read, and changes nothing", async () => {
    const { engine, auth } = await pendingRefund();
    expect((await refusalOf(engine.withdraw(auth.approvalId, CREDENTIALS.bob))).code).toBe(
      'NOT_FOUND',
    );
    expect((await refusalOf(engine.approvalStatus(auth.approvalId, CREDENTIALS.bob))).code).toBe(
      'NOT_FOUND',
    );
    expect((await refusalOf(engine.withdraw(auth.approvalId, undefined))).code).toBe(
      'UNAUTHORIZED',
    );
    expect((await engine.approvalStatus(auth.approvalId, CREDENTIALS.alice)).status).toBe(
      'pending',
    );
    expect(await used(engine)).toBe('25.00');
  });

  it('racing an approver: exactly one of approve and withdraw wins, the other is refused', async () => {
    for (let round = 0; round < 20; round += 1) {
      const { engine, auth } = await pendingRefund();
      const results = await Promise.allSettled([
        engine.decide(auth.approvalId, { decision: 'approve' }, CREDENTIALS.approver),
        engine.withdraw(auth.approvalId, CREDENTIALS.alice),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected');
      expect(lost?.status === 'rejected' && lost.reason).toMatchObject({
        code: 'APPROVAL_PENDING',
      });
      const final = (await engine.approvalStatus(auth.approvalId, CREDENTIALS.alice)).status;
      expect(final).toBe(results[0].status === 'fulfilled' ? 'approved' : 'withdrawn');
      expect(await used(engine)).toBe(final === 'approved' ? '25.00' : '0.00');
    }
  });
});
