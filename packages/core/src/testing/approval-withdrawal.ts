import assert from 'node:assert/strict';
import type { DecideOp, StoreV1 } from '../store/store-v1.js';
import type { SingleUseContext } from './approval-single-use.js';
import { daily, op, reservation, T0 } from './fixtures.js';

/**
 * A requester's withdrawal is a decision like the others (`status: 'withdrawn'`, compare-
 * and-set on `pending`), so these cases check that a store treats it as one: final,
 * released like a denial, published, and racing fairly with an approver's decision.
 */
export function approvalWithdrawal({ it, fresh, part, concurrency }: SingleUseContext): void {
  /** A pending approval holding a reservation of 25.00 within a daily limit of 100.00. */
  async function pending(store: StoreV1) {
    const p = part();
    const held = reservation(2_500n, 10_000n);
    const o = op(p, { requiresApproval: true, reservation: held });
    assert.equal((await store.authorize(o)).status, 'pending');
    const approvalId = o.approval.approvalId;
    const usage = async () =>
      (
        await store.reservationUsage({
          partition: p,
          userId: o.userId,
          now: T0 + 1,
          windows: [daily(10_000n)],
        })
      ).used['daily:2026-03-02'];
    const end = (status: DecideOp['status'], now = T0 + 5, partition = p) =>
      Promise.resolve().then(() =>
        store.decideApproval({
          partition,
          approvalId,
          now,
          expectedStatus: 'pending',
          status,
          decidedBy: status === 'withdrawn' ? o.userId : 'ops',
          ...(status === 'approved'
            ? {
                tokenExpiresAt: now + 30_000,
                reservation: {
                  action: 'extend' as const,
                  reservationId: held.reservationId,
                  holdUntil: now + 60_000,
                },
              }
            : { reservation: { action: 'release' as const, reservationId: held.reservationId } }),
        }),
      );
    return { p, approvalId, usage, end };
  }

  it('withdraws a pending approval: final, its reservation released, and notified', async () => {
    const store = await fresh();
    const events: string[] = [];
    const unsubscribe = store.subscribeApprovals?.((event) =>
      events.push(`${event.approvalId}:${event.status}`),
    );
    try {
      const { p, approvalId, usage, end } = await pending(store);
      assert.equal(await usage(), 2_500n);
      const outcome = await end('withdrawn');
      assert.equal(outcome.status, 'ok');
      const stored = await store.getApproval(p, approvalId);
      assert.equal(stored?.status, 'withdrawn');
      assert.equal(stored?.version, 2);
      assert.equal(await usage(), 0n);
      const listedWithdrawn = async () =>
        (await store.listApprovals({ status: 'withdrawn', limit: 500 })).some(
          (a) => a.approvalId === approvalId,
        );
      let listed = await listedWithdrawn();
      for (let i = 0; i < 50 && !listed; i += 1) {
        // A listing index may be eventually consistent (DynamoDB's is).
        await new Promise((resolve) => setTimeout(resolve, 20));
        listed = await listedWithdrawn();
      }
      assert.ok(listed, 'listed under withdrawn');
      if (unsubscribe) {
        const wanted = `${approvalId}:withdrawn`;
        for (let i = 0; i < 100 && !events.includes(wanted); i += 1) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.ok(events.includes(wanted), 'subscribers hear the withdrawal');
      }
    } finally {
      unsubscribe?.();
    }
  });

  it('refuses to approve or deny a withdrawn approval, and to withdraw a decided one', async () => {
    const store = await fresh();
    const first = await pending(store);
    await first.end('withdrawn');
    for (const status of ['approved', 'denied'] as const) {
      const late = await first.end(status, T0 + 6);
      assert.equal(late.status, 'conflict');
      assert.equal(late.status === 'conflict' && late.approval.status, 'withdrawn');
    }
    assert.equal((await store.getApproval(first.p, first.approvalId))?.status, 'withdrawn');
    assert.equal(await first.usage(), 0n);

    const second = await pending(store);
    assert.equal((await second.end('approved')).status, 'ok');
    const late = await second.end('withdrawn', T0 + 6);
    assert.equal(late.status, 'conflict');
    assert.equal(late.status === 'conflict' && late.approval.status, 'approved');
    assert.equal((await store.getApproval(second.p, second.approvalId))?.status, 'approved');
    // The approved call keeps its amount held: a refused withdrawal released nothing.
    assert.equal(await second.usage(), 2_500n);
  });

  it(`lets exactly one of ${concurrency} racing approvals and withdrawals win`, async () => {
    const store = await fresh();
    const { p, approvalId, usage, end } = await pending(store);
    const results = await Promise.all(
      Array.from({ length: concurrency }, (_, i) => end(i % 2 === 0 ? 'approved' : 'withdrawn')),
    );
    const winners = results.filter((r) => r.status === 'ok');
    assert.equal(winners.length, 1);
    assert.equal(results.filter((r) => r.status === 'conflict').length, concurrency - 1);
    const stored = await store.getApproval(p, approvalId);
    const won = winners[0]?.status === 'ok' ? winners[0].approval.status : undefined;
    assert.equal(stored?.status, won);
    assert.equal(stored?.version, 2);
    assert.equal(await usage(), won === 'approved' ? 2_500n : 0n);
  });

  it("does not withdraw through another user's partition", async () => {
    const store = await fresh();
    const { p, approvalId, usage, end } = await pending(store);
    assert.equal((await end('withdrawn', T0 + 5, part())).status, 'unknown');
    assert.equal((await store.getApproval(p, approvalId))?.status, 'pending');
    assert.equal(await usage(), 2_500n);
  });
}
