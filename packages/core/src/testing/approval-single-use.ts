import assert from 'node:assert/strict';
import type { ConsumeOutcome, StoreV1 } from '../store/store-v1.js';
import { consumeOf, dailyUsed, op, record, reservation, T0 } from './fixtures.js';

/** What the single-use cases need from the suite that runs them. */
export interface SingleUseContext {
  it(name: string, body: () => Promise<void> | void, timeoutMs?: number): void;
  fresh(): Promise<StoreV1>;
  part(): string;
  concurrency: number;
}

const digest = (n: number) => n.toString(16).padStart(64, 'd');

/** An approved request with helpers to issue, consume and complete its tokens. */
async function approved(store: StoreV1, partition: string, tokenTtlMs: number) {
  const o = op(partition, { requiresApproval: true });
  const approvalId = o.approval.approvalId;
  await store.authorize(o);
  const tokenExpiresAt = T0 + 5 + tokenTtlMs;
  await store.decideApproval({
    partition,
    approvalId,
    now: T0 + 5,
    expectedStatus: 'pending',
    status: 'approved',
    tokenExpiresAt,
  });
  const record = { ...o.token.record, expiresAt: tokenExpiresAt, approvalId };
  return {
    partition,
    approvalId,
    transactionId: record.transactionId,
    issue: (d: string, now: number, retainMs: number, maxLiveTokens = 32) =>
      store.issueApprovalToken({
        partition,
        approvalId,
        now,
        token: { digest: d, record },
        retainMs,
        maxLiveTokens,
      }),
    consume: (d: string, now: number, retainMs: number): Promise<ConsumeOutcome> =>
      Promise.resolve(
        store.consume({
          partition,
          digest: d,
          now,
          expect: { userId: record.userId, tool: record.tool, paramsHash: record.paramsHash },
          sessionId: 's:1',
          retainMs,
        }),
      ),
    complete: (d: string, now: number, retainMs: number) =>
      store.complete({
        partition,
        digest: d,
        now,
        outcome: { status: 'completed', result: { refund: 'R-1' } },
        retainMs,
      }),
  };
}

/**
 * Conformance cases for "an approval is single-use in itself": consuming any token of
 * an approval spends it in the same step, a spent approval never issues another token
 * whatever the token lifetime and replay window, and concurrent waiters each hold a
 * live token of their own (up to the bound) without revoking each other.
 */
export function approvalSingleUse({ it, fresh, part, concurrency }: SingleUseContext): void {
  it('spends the approval when any of its tokens is consumed', async () => {
    const store = await fresh();
    const a = await approved(store, part(), 30_000);
    for (const n of [1, 2, 3])
      assert.equal((await a.issue(digest(n), T0 + 10, 600_000)).status, 'issued');
    assert.equal((await a.consume(digest(2), T0 + 20, 600_000)).status, 'ok');
    const spent = await store.getApproval(a.partition, a.approvalId);
    assert.equal(spent?.executedAt, T0 + 20);
    assert.equal(spent?.executedDigest, digest(2));
    const sibling = await a.consume(digest(1), T0 + 21, 600_000);
    assert.equal(sibling.status, 'used');
    assert.equal(sibling.status === 'used' && sibling.tombstone.state, 'executing');
    assert.equal(sibling.status === 'used' && sibling.tombstone.transactionId, a.transactionId);
    await a.complete(digest(2), T0 + 22, 600_000);
    const after = await a.consume(digest(3), T0 + 23, 600_000);
    assert.equal(after.status, 'used');
    assert.deepEqual(after.status === 'used' && after.tombstone.outcome, {
      status: 'completed',
      result: { refund: 'R-1' },
    });
    assert.equal((await a.issue(digest(4), T0 + 24, 600_000)).status, 'used');
    assert.equal((await a.consume(digest(4), T0 + 25, 600_000)).status, 'unknown');
  });

  const lifetimes: Array<[tokenTtlMs: number, retainMs: number]> = [
    [30_000, 600_000],
    [600_000, 600_000],
    [3_600_000, 600_000],
    [3_600_000, 1_000],
    [30_000, 1_000],
  ];
  for (const [ttl, retain] of lifetimes) {
    it(`never issues or runs a spent approval again (token ${ttl / 1000} s, replay window ${retain / 1000} s)`, async () => {
      const store = await fresh();
      const a = await approved(store, part(), ttl);
      assert.equal((await a.issue(digest(1), T0 + 10, retain)).status, 'issued');
      assert.equal((await a.issue(digest(2), T0 + 11, retain)).status, 'issued');
      assert.equal((await a.consume(digest(1), T0 + 20, retain)).status, 'ok');
      await a.complete(digest(1), T0 + 21, retain);
      // After the replay window lapsed, just before the token lifetime ends, and after both.
      const checkpoints = [T0 + 21 + retain + 1, T0 + 5 + ttl - 1, T0 + 5 + ttl + retain + 1]
        .filter((at) => at > T0 + 21)
        .sort((x, y) => x - y);
      let n = 10;
      for (const at of checkpoints) {
        n += 1;
        const issued = await a.issue(digest(n), at, retain);
        assert.notEqual(issued.status, 'issued', `a token was issued again at +${at - T0} ms`);
        if (await store.getApproval(a.partition, a.approvalId)) assert.equal(issued.status, 'used');
        for (const d of [digest(1), digest(2), digest(n)]) {
          const consumed = await a.consume(d, at, retain);
          assert.notEqual(consumed.status, 'ok', `a token ran again at +${at - T0} ms`);
        }
        if (at < T0 + 5 + ttl) {
          // The sibling token is still within its lifetime: it answers used, not unknown.
          assert.equal((await a.consume(digest(2), at, retain)).status, 'used');
        }
      }
    });
  }

  const waiters = Math.min(concurrency, 32);
  it(`gives ${waiters} concurrent waiters live tokens of their own; one consume spends them all`, async () => {
    const store = await fresh();
    const a = await approved(store, part(), 30_000);
    const issued = await Promise.all(
      Array.from({ length: waiters }, (_, i) => a.issue(digest(100 + i), T0 + 10, 600_000, 32)),
    );
    assert.ok(issued.every((outcome) => outcome.status === 'issued'));
    const consumed = await Promise.all(
      Array.from({ length: waiters }, (_, i) => a.consume(digest(100 + i), T0 + 20, 600_000)),
    );
    assert.equal(consumed.filter((c) => c.status === 'ok').length, 1);
    assert.equal(consumed.filter((c) => c.status === 'used').length, waiters - 1);
    assert.equal((await a.issue(digest(999), T0 + 21, 600_000)).status, 'used');
  });

  it("keeps a consumed token's reservation held until the hold the consume asks for", async () => {
    const store = await fresh();
    const p = part();
    const held = reservation(2_500n, 10_000n, { holdUntil: T0 + 60_000 });
    const o = op(p, {
      reservation: held,
      record: record(p, { reservationId: held.reservationId }),
    });
    assert.equal((await store.authorize(o)).status, 'authorized');
    const consumed = await store.consume(consumeOf(o, { holdUntil: T0 + 600_001 }));
    assert.equal(consumed.status, 'ok');
    // Past the hold authorize set, the unresolved execute is still counted…
    const used = async (now: number) =>
      dailyUsed(store, { partition: p, userId: o.userId, now: now, limitMinor: 10_000n });
    assert.equal(await used(T0 + 300_000), 2_500n);
    // …until the hold the consume asked for.
    assert.equal(await used(T0 + 600_002), 0n);
  });

  it('bounds the live tokens of an approval, revoking the oldest', async () => {
    const store = await fresh();
    const a = await approved(store, part(), 30_000);
    for (let n = 1; n <= 6; n += 1) {
      assert.equal((await a.issue(digest(n), T0 + 10 + n, 600_000, 4)).status, 'issued');
    }
    assert.equal((await a.consume(digest(1), T0 + 20, 600_000)).status, 'unknown');
    assert.equal((await a.consume(digest(2), T0 + 20, 600_000)).status, 'unknown');
    assert.equal((await a.consume(digest(6), T0 + 21, 600_000)).status, 'ok');
    assert.equal((await a.consume(digest(3), T0 + 22, 600_000)).status, 'used');
  });
}
