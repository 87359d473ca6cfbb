import assert from 'node:assert/strict';
import type { AbandonedExecution } from '../store/abandoned.js';
import type { ExecutionOutcome } from '../store/records.js';
import type { StoreV1 } from '../store/store-v1.js';
import type { SingleUseContext } from './approval-single-use.js';
import { approvalOf, dailyUsed, hex, op, record, reservation, T0, unique } from './fixtures.js';

const DAY = 86_400_000;
const RETAIN = 600_000;
const UNKNOWN: ExecutionOutcome = {
  status: 'failed',
  code: 'PROVIDER_ERROR',
  message: 'interrupted; outcome unknown',
};

/**
 * Conformance cases for the optional `resolveAbandoned`. Each case runs a year before
 * the other cases' times, at a time of its own, so a store shared with them (one table,
 * one prefix) holds no execution of theirs old enough to be resolved here; results are
 * still read for the case's own partition only.
 */
export function abandonedConformance({ it, fresh, part, concurrency }: SingleUseContext): void {
  let era = 0;
  const epoch = () => {
    era += 1;
    return T0 - 400 * DAY + era * 2 * DAY;
  };

  /** A token of partition p authorized at t0 with a reservation of `minor`, then consumed at t0 + 1. */
  async function consumed(store: StoreV1, p: string, t0: number, minor = 1_500n) {
    const held = reservation(minor, 100_000n, { holdUntil: t0 + 60_000 });
    const rec = record(p, {
      reservationId: held.reservationId,
      createdAt: t0,
      expiresAt: t0 + 30_000,
    });
    const o = op(p, { now: t0, reservation: held, record: rec });
    assert.equal((await store.authorize(o)).status, 'authorized');
    const outcome = await store.consume({
      partition: p,
      digest: o.token.digest,
      now: t0 + 1,
      expect: { userId: rec.userId, tool: rec.tool, paramsHash: rec.paramsHash },
      sessionId: 's:1',
      retainMs: RETAIN,
      holdUntil: t0 + 1 + RETAIN,
    });
    assert.equal(outcome.status, 'ok');
    return { digest: o.token.digest, record: rec };
  }
  const mine = (p: string, found: readonly AbandonedExecution[]) =>
    found.filter((execution) => execution.partition === p);
  const replay = (
    store: StoreV1,
    p: string,
    d: string,
    rec: ReturnType<typeof record>,
    now: number,
  ) =>
    store.consume({
      partition: p,
      digest: d,
      now,
      expect: { userId: rec.userId, tool: rec.tool, paramsHash: rec.paramsHash },
      sessionId: 's:1',
      retainMs: RETAIN,
    });

  it('resolves an execution left executing, once, and keeps its amount counted (optional resolveAbandoned)', async () => {
    const store = await fresh();
    if (!store.resolveAbandoned) {
      assert.equal(store.resolveAbandoned, undefined);
      return;
    }
    const p = part();
    const t0 = epoch();
    const { digest, record: rec } = await consumed(store, p, t0);
    const resolve = (now: number) =>
      Promise.resolve(
        store.resolveAbandoned!({
          now,
          consumedBefore: now - 31_000,
          limit: 100,
          outcome: UNKNOWN,
          retainMs: RETAIN,
        }),
      );
    // Not yet older than the bound: left alone.
    assert.deepEqual(mine(p, await resolve(t0 + 20_000)), []);
    const found = mine(p, await resolve(t0 + 40_000));
    assert.equal(found.length, 1);
    assert.equal(found[0]?.tombstone.transactionId, rec.transactionId);
    assert.equal(found[0]?.tombstone.state, 'executing');
    assert.equal(found[0]?.tombstone.consumedAt, t0 + 1);
    assert.equal(found[0]?.tombstone.userId, rec.userId);
    // A retry now hears the stored outcome; a second sweep finds nothing.
    const after = await replay(store, p, digest, rec, t0 + 40_001);
    assert.equal(after.status, 'used');
    assert.equal(after.status === 'used' && after.tombstone.state, 'completed');
    assert.deepEqual(after.status === 'used' && after.tombstone.outcome, UNKNOWN);
    assert.deepEqual(mine(p, await resolve(t0 + 50_000)), []);
    // Committed: still counted after the consume's hold would have lapsed.
    assert.equal(
      await dailyUsed(store, {
        partition: p,
        userId: rec.userId,
        now: t0 + 2 * RETAIN,
        limitMinor: 100_000n,
      }),
      1_500n,
    );
  });

  it('leaves completed executions and unconsumed tokens alone (optional resolveAbandoned)', async () => {
    const store = await fresh();
    if (!store.resolveAbandoned) return;
    const p = part();
    const t0 = epoch();
    const done = await consumed(store, p, t0, 700n);
    await store.complete({
      partition: p,
      digest: done.digest,
      now: t0 + 2,
      outcome: { status: 'completed', result: { ok: true } },
      retainMs: RETAIN,
      reservation: { reservationId: done.record.reservationId!, action: 'release' },
    });
    const live = op(p, { now: t0, record: record(p, { createdAt: t0, expiresAt: t0 + 30_000 }) });
    await store.authorize(live);
    const found = await store.resolveAbandoned({
      now: t0 + 40_000,
      consumedBefore: t0 + 9_000,
      limit: 100,
      outcome: UNKNOWN,
      retainMs: RETAIN,
    });
    assert.deepEqual(mine(p, found), []);
    const kept = await replay(store, p, done.digest, done.record, t0 + 40_001);
    assert.deepEqual(kept.status === 'used' && kept.tombstone.outcome, {
      status: 'completed',
      result: { ok: true },
    });
  });

  it('resolves the execution of an approved token (optional resolveAbandoned)', async () => {
    const store = await fresh();
    if (!store.resolveAbandoned) return;
    const p = part();
    const t0 = epoch();
    const rec = record(p, { createdAt: t0, expiresAt: t0 + 30_000 });
    const o = op(p, {
      now: t0,
      requiresApproval: true,
      record: rec,
      approval: approvalOf(rec, { createdAt: t0, expiresAt: t0 + 300_000 }),
    });
    await store.authorize(o);
    await store.decideApproval({
      partition: p,
      approvalId: o.approval.approvalId,
      now: t0 + 1,
      expectedStatus: 'pending',
      status: 'approved',
      tokenExpiresAt: t0 + 30_000,
    });
    const d = hex(unique('abandoned-approval'));
    const issued = await store.issueApprovalToken({
      partition: p,
      approvalId: o.approval.approvalId,
      now: t0 + 2,
      token: { digest: d, record: { ...rec, approvalId: o.approval.approvalId } },
      retainMs: RETAIN,
      maxLiveTokens: 4,
    });
    assert.equal(issued.status, 'issued');
    assert.equal((await replay(store, p, d, rec, t0 + 3)).status, 'ok');
    const found = mine(
      p,
      await store.resolveAbandoned({
        now: t0 + 40_000,
        consumedBefore: t0 + 9_000,
        limit: 100,
        outcome: UNKNOWN,
        retainMs: RETAIN,
      }),
    );
    assert.deepEqual(
      found.map((f) => f.tombstone.transactionId),
      [rec.transactionId],
    );
    const after = await replay(store, p, d, rec, t0 + 40_001);
    assert.deepEqual(after.status === 'used' && after.tombstone.outcome, UNKNOWN);
  });

  const racers = Math.min(concurrency, 20);
  it(`lets ${racers} racing sweeps resolve each execution once (optional resolveAbandoned)`, async () => {
    const store = await fresh();
    if (!store.resolveAbandoned) return;
    const p = part();
    const t0 = epoch();
    const made = [];
    for (let i = 0; i < 5; i += 1) made.push(await consumed(store, p, t0 + i, 100n));
    const rounds = await Promise.all(
      Array.from({ length: racers }, () =>
        store.resolveAbandoned!({
          now: t0 + 40_000,
          consumedBefore: t0 + 9_000,
          limit: 100,
          outcome: UNKNOWN,
          retainMs: RETAIN,
        }),
      ),
    );
    const ids = rounds.flatMap((found) => mine(p, found).map((f) => f.tombstone.transactionId));
    assert.deepEqual([...ids].sort(), made.map((m) => m.record.transactionId).sort());
    // Each reservation committed once: five times 1.00.
    assert.equal(
      await dailyUsed(store, {
        partition: p,
        userId: made[0]!.record.userId,
        now: t0 + 2 * RETAIN,
        limitMinor: 100_000n,
      }),
      500n,
    );
  });
}
