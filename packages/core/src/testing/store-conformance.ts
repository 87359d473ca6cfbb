import assert from 'node:assert/strict';
import type { StoreV1 } from '../store/store-v1.js';
import { abandonedConformance } from './abandoned-conformance.js';
import { approvalSingleUse } from './approval-single-use.js';
import { approvalWithdrawal } from './approval-withdrawal.js';
import { consumeOf, dailyUsed, hex, op, record, reservation, T0, unique } from './fixtures.js';

/**
 * The test functions of your runner (Vitest, Jest, `node:test`).
 *
 * @example
 * ```ts
 * import { describe, it } from 'node:test';
 * import { MemoryStore } from '@handshake/core';
 * import { type ConformanceRunner, storeConformance } from '@handshake/core/testing';
 *
 * // node:test works as well as Vitest or Jest
 * const runner: ConformanceRunner = {
 *   describe: (name, body) => void describe(name, body),
 *   it: (name, body) => void it(name, async () => body()),
 * };
 * storeConformance('MemoryStore', () => new MemoryStore(), runner);
 * ```
 */
export interface ConformanceRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void> | void, timeoutMs?: number): void;
  afterEach?(body: () => Promise<void> | void): void;
}

/**
 * Options of {@link storeConformance}.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { MemoryStore } from '@handshake/core';
 * import { type StoreConformanceOptions, storeConformance } from '@handshake/core/testing';
 *
 * const options: StoreConformanceOptions = { concurrency: 50 }; // fewer racing operations for a slow backend
 * storeConformance('MemoryStore', () => new MemoryStore(), { describe, it }, options);
 * ```
 */
export interface StoreConformanceOptions {
  /** Concurrent operations in the race tests (default 200). */
  concurrency?: number;
}

/**
 * The store conformance suite: every `StoreV1` implementation must pass it. It checks
 * single consumption under concurrency, the tombstone answers, conditional consume,
 * expiry, rate limiting, atomic reservations under racing requests, approval
 * compare-and-set (an approver's decision and a requester's withdrawal alike) and token
 * re-issue.
 *
 * `makeStore` is called once per test and should return an empty store (or one whose
 * keys cannot collide: the suite uses fresh partitions and ids in every test).
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { MemoryStore } from '@handshake/core';
 * import { storeConformance } from '@handshake/core/testing';
 *
 * storeConformance('MemoryStore', () => new MemoryStore(), { describe, it });
 * ```
 */
export function storeConformance(
  name: string,
  makeStore: () => StoreV1 | Promise<StoreV1>,
  runner: ConformanceRunner,
  options: StoreConformanceOptions = {},
): void {
  const { describe, it } = runner;
  const concurrency = options.concurrency ?? 200;
  const stores: StoreV1[] = [];
  const fresh = async () => {
    const store = await makeStore();
    stores.push(store);
    return store;
  };
  runner.afterEach?.(async () => {
    for (const store of stores.splice(0)) await store.close?.();
  });
  const part = () => hex(unique('p')).slice(0, 16);

  describe(`${name} conforms to StoreV1`, () => {
    it('declares specificationVersion v1', async () => {
      const store = await fresh();
      assert.equal(store.specificationVersion, 'v1');
    });

    it('consumes a token once, then answers used with a tombstone', async () => {
      const store = await fresh();
      const p = part();
      const o = op(p);
      assert.deepEqual(await store.authorize(o), { status: 'authorized', reserved: false });
      const first = await store.consume(consumeOf(o));
      assert.equal(first.status, 'ok');
      assert.equal(
        first.status === 'ok' && first.record.transactionId,
        o.token.record.transactionId,
      );
      const second = await store.consume(consumeOf(o, { now: T0 + 2 }));
      assert.equal(second.status, 'used');
      assert.equal(second.status === 'used' && second.tombstone.state, 'executing');
      assert.equal(second.status === 'used' && second.tombstone.sessionId, 's:1');
      await store.complete({
        partition: p,
        digest: o.token.digest,
        now: T0 + 3,
        outcome: { status: 'completed', result: { refund: 'R-1', n: 2 } },
        retainMs: 600_000,
      });
      const third = await store.consume(consumeOf(o, { now: T0 + 4 }));
      assert.equal(third.status, 'used');
      if (third.status === 'used') {
        assert.equal(third.tombstone.state, 'completed');
        assert.deepEqual(third.tombstone.outcome, {
          status: 'completed',
          result: { refund: 'R-1', n: 2 },
        });
      }
    });

    it(`lets exactly one of ${concurrency} concurrent consumes win`, async () => {
      const store = await fresh();
      const p = part();
      const o = op(p);
      await store.authorize(o);
      const results = await Promise.all(
        Array.from({ length: concurrency }, () =>
          Promise.resolve().then(() => store.consume(consumeOf(o))),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'ok').length, 1);
      assert.equal(results.filter((r) => r.status === 'used').length, concurrency - 1);
    });

    it('answers unknown for a digest it never stored and for another partition', async () => {
      const store = await fresh();
      const p = part();
      const o = op(p);
      await store.authorize(o);
      assert.equal(
        (await store.consume(consumeOf(o, { digest: 'f'.repeat(64) }))).status,
        'unknown',
      );
      assert.equal((await store.consume(consumeOf(o, { partition: part() }))).status, 'unknown');
      assert.equal((await store.consume(consumeOf(o))).status, 'ok');
    });

    it('does not consume on a mismatch, and names the field', async () => {
      const store = await fresh();
      const p = part();
      const o = op(p);
      await store.authorize(o);
      const base = consumeOf(o);
      const good = base.expect;
      const tampered = await store.consume({
        ...base,
        expect: { ...good, paramsHash: 'b'.repeat(64) },
      });
      assert.deepEqual(tampered, { status: 'mismatch', field: 'paramsHash' });
      const tool = await store.consume({ ...base, expect: { ...good, tool: 'pay_order' } });
      assert.deepEqual(tool, { status: 'mismatch', field: 'tool' });
      const user = await store.consume({ ...base, expect: { ...good, userId: 'mallory' } });
      assert.deepEqual(user, { status: 'mismatch', field: 'userId' });
      const tx = await store.consume({ ...base, expect: { ...good, transactionId: 'tx_other' } });
      assert.deepEqual(tx, { status: 'mismatch', field: 'transactionId' });
      assert.equal((await store.consume({ ...base, expect: good })).status, 'ok');
    });

    it('binds the amount: a different amount or currency does not consume', async () => {
      const store = await fresh();
      const p = part();
      // Authorized for EUR 10.00, counted as USD 11.00 against the limits.
      const rec = record(p, {
        amountMinor: '1100',
        currency: 'USD',
        originalAmount: { value: '10.00', currency: 'EUR' },
        exchangeRate: '1.1',
      });
      const o = op(p, { record: rec });
      await store.authorize(o);
      const base = {
        partition: p,
        digest: o.token.digest,
        now: T0 + 1,
        sessionId: 's:1',
        retainMs: 600_000,
      };
      const expect = { userId: rec.userId, tool: rec.tool, paramsHash: rec.paramsHash };
      for (const amount of ['EUR 1200', 'USD 1000', 'USD 1100', '']) {
        const changed = await store.consume({ ...base, expect: { ...expect, amount } });
        assert.deepEqual(changed, { status: 'mismatch', field: 'amount' }, amount);
      }
      const same = await store.consume({ ...base, expect: { ...expect, amount: 'EUR 1000' } });
      assert.equal(same.status, 'ok');

      // The same on a token issued for an approval, and for a record without an amount.
      const q = part();
      const plain = op(q, { requiresApproval: true });
      await store.authorize(plain);
      await store.decideApproval({
        partition: q,
        approvalId: plain.approval.approvalId,
        now: T0 + 5,
        expectedStatus: 'pending',
        status: 'approved',
        tokenExpiresAt: T0 + 35_000,
      });
      const issued = await store.issueApprovalToken({
        partition: q,
        approvalId: plain.approval.approvalId,
        now: T0 + 10,
        token: {
          digest: '6'.repeat(64),
          record: { ...plain.token.record, amountMinor: '500', currency: 'JPY' },
        },
        retainMs: 600_000,
        maxLiveTokens: 32,
      });
      assert.equal(issued.status, 'issued');
      const approved = {
        ...base,
        partition: q,
        digest: '6'.repeat(64),
        now: T0 + 20,
        expect: {
          userId: plain.userId,
          tool: plain.token.record.tool,
          paramsHash: plain.token.record.paramsHash,
        },
      };
      const more = await store.consume({
        ...approved,
        expect: { ...approved.expect, amount: 'JPY 501' },
      });
      assert.deepEqual(more, { status: 'mismatch', field: 'amount' });
      const exact = await store.consume({
        ...approved,
        expect: { ...approved.expect, amount: 'JPY 500' },
      });
      assert.equal(exact.status, 'ok');
      const none = part();
      const free = op(none);
      await store.authorize(free);
      const unbound = await store.consume({
        ...base,
        partition: none,
        digest: free.token.digest,
        expect: {
          userId: free.userId,
          tool: free.token.record.tool,
          paramsHash: free.token.record.paramsHash,
          amount: '',
        },
      });
      assert.equal(unbound.status, 'ok');
    });

    it('tells expired from unknown, by the time each operation carries', async () => {
      const store = await fresh();
      const p = part();
      const o = op(p);
      await store.authorize(o);
      const at = (now: number) => store.consume(consumeOf(o, { now }));
      assert.equal((await at(T0 + 30_000)).status, 'expired');
      assert.equal((await at(T0 + 30_000 + 600_001)).status, 'unknown');
    });

    it('rate-limits per partition with a retry time', async () => {
      const store = await fresh();
      const p = part();
      const rateLimit = { limit: 3, windowMs: 60_000 };
      for (let i = 0; i < 3; i += 1) {
        assert.equal(
          (await store.authorize(op(p, { rateLimit, now: T0 + i }))).status,
          'authorized',
        );
      }
      const limited = await store.authorize(op(p, { rateLimit, now: T0 + 10 }));
      assert.equal(limited.status, 'rate_limited');
      if (limited.status === 'rate_limited') {
        assert.ok(limited.retryAfterMs > 0 && limited.retryAfterMs <= 60_000);
      }
      assert.equal(
        (await store.authorize(op(part(), { rateLimit, now: T0 + 10 }))).status,
        'authorized',
      );
      assert.equal(
        (await store.authorize(op(p, { rateLimit, now: T0 + 60_000 }))).status,
        'authorized',
      );
    });

    it('counts each rate-limit bucket of a partition apart', async () => {
      const store = await fresh();
      const p = part();
      const limit = (bucket: string) => ({ limit: 2, windowMs: 60_000, bucket });
      for (let i = 0; i < 2; i += 1) {
        assert.equal(
          (await store.authorize(op(p, { rateLimit: limit('a'), now: T0 + i }))).status,
          'authorized',
        );
      }
      assert.equal(
        (await store.authorize(op(p, { rateLimit: limit('a'), now: T0 + 5 }))).status,
        'rate_limited',
      );
      // Another bucket of the same partition still has its own allowance.
      assert.equal(
        (await store.authorize(op(p, { rateLimit: limit('b'), now: T0 + 5 }))).status,
        'authorized',
      );
    });

    it('reserves reservation, asks for approval over a limit, and commits or releases', async () => {
      const store = await fresh();
      const p = part();
      const first = reservation(6_000n, 10_000n);
      assert.deepEqual(await store.authorize(op(p, { reservation: first })), {
        status: 'authorized',
        reserved: true,
      });
      const overOp = op(p, { reservation: reservation(5_000n, 10_000n) });
      const over = await store.authorize(overOp);
      assert.equal(over.status, 'pending');
      assert.deepEqual(over.status === 'pending' && over.exceeded, ['daily']);
      const overRecord = await store.getApproval(p, overOp.approval.approvalId);
      assert.deepEqual(overRecord?.reasons, [{ kind: 'tier' }, { kind: 'limit', window: 'daily' }]);
      // The pending answer is the approval as stored: nothing reserved, so no reservation.
      assert.deepEqual(over.status === 'pending' && over.approval, overRecord);
      assert.equal(overRecord?.reservationId, undefined);
      const usage = async (now = T0 + 1) =>
        dailyUsed(store, { partition: p, userId: 'u', now: now, limitMinor: 10_000n });
      assert.equal(await usage(), 6_000n);
      const o = op(p, { reservation: reservation(1_000n, 10_000n, { reservationId: 'r-commit' }) });
      await store.authorize(o);
      assert.equal(await usage(), 7_000n);
      await store.consume(consumeOf(o, { now: T0 + 2 }));
      await store.complete({
        partition: p,
        digest: o.token.digest,
        now: T0 + 3,
        outcome: { status: 'completed', result: null },
        retainMs: 600_000,
        reservation: { reservationId: 'r-commit', action: 'commit' },
      });
      assert.equal(await usage(), 7_000n);
      await store.complete({
        partition: p,
        digest: 'e'.repeat(64),
        now: T0 + 4,
        outcome: { status: 'failed', code: 'PROVIDER_ERROR', message: 'x' },
        retainMs: 600_000,
        reservation: { reservationId: first.reservationId, action: 'release' },
      });
      assert.equal(await usage(), 1_000n);
      // The committed amount outlives the reservation's hold; the lapsed ones do not count.
      assert.equal(await usage(T0 + 120_000), 1_000n);
    });

    it('counts a capture at its share once, committed or still reserved (optional captureReservation)', async () => {
      const store = await fresh();
      // An optional capability: a store without it leaves the reserved amount counted.
      if (!store.captureReservation) {
        assert.equal(store.captureReservation, undefined);
        return;
      }
      const p = part();
      const usage = async () =>
        dailyUsed(store, { partition: p, userId: 'u', now: T0 + 10, limitMinor: 100_000n });
      const committed = op(p, {
        reservation: reservation(3_000n, 100_000n, { reservationId: 'r-cap' }),
      });
      await store.authorize(committed);
      await store.complete({
        partition: p,
        digest: committed.token.digest,
        now: T0 + 1,
        outcome: { status: 'completed', result: null },
        retainMs: 600_000,
        reservation: { reservationId: 'r-cap', action: 'commit' },
      });
      const capture = (reservationId: string, part: bigint, whole: bigint) =>
        store.captureReservation!({
          partition: p,
          reservationId,
          now: T0 + 2,
          share: { part, whole },
        });
      assert.deepEqual(await capture('r-cap', 2_400n, 3_000n), {
        status: 'captured',
        keptMinor: 2_400n,
        releasedMinor: 600n,
      });
      assert.equal(await usage(), 2_400n);
      assert.deepEqual(await capture('r-cap', 100n, 3_000n), { status: 'already_captured' });
      assert.equal(await usage(), 2_400n);
      // Captured before its creation was recorded: only the captured share is committed.
      await store.authorize(
        op(p, { reservation: reservation(5_000n, 100_000n, { reservationId: 'r-live' }) }),
      );
      assert.equal(await usage(), 7_400n);
      assert.deepEqual(await capture('r-live', 1n, 5n), {
        status: 'captured',
        keptMinor: 1_000n,
        releasedMinor: 4_000n,
      });
      await store.complete({
        partition: p,
        digest: 'f'.repeat(64),
        now: T0 + 3,
        outcome: { status: 'completed', result: null },
        retainMs: 600_000,
        reservation: { reservationId: 'r-live', action: 'commit' },
      });
      assert.equal(await usage(), 3_400n);
      assert.deepEqual(await capture('r-none', 1n, 2n), { status: 'unknown' });
    });

    it('refuses over the per-transaction limit', async () => {
      const store = await fresh();
      const outcome = await store.authorize(
        op(part(), { reservation: reservation(501n, 1_000_000n, { perTransactionMinor: 500n }) }),
      );
      assert.equal(outcome.status, 'pending');
      assert.ok(outcome.status === 'pending' && outcome.exceeded.includes('transaction'));
    });

    it('releases a reservation whose hold lapsed', async () => {
      const store = await fresh();
      const p = part();
      await store.authorize(
        op(p, { reservation: reservation(9_000n, 10_000n, { holdUntil: T0 + 1_000 }) }),
      );
      assert.equal(
        (await store.authorize(op(p, { now: T0 + 500, reservation: reservation(2_000n, 10_000n) })))
          .status,
        'pending',
      );
      assert.equal(
        (
          await store.authorize(
            op(p, { now: T0 + 1_000, reservation: reservation(2_000n, 10_000n) }),
          )
        ).status,
        'authorized',
      );
    });

    it('never lets racing reservations exceed a limit (40 × 30.00 against 970.00)', async () => {
      const store = await fresh();
      const p = part();
      await store.authorize(
        op(p, { reservation: reservation(3_000n, 100_000n, { holdUntil: T0 + 3_600_000 }) }),
      );
      const results = await Promise.all(
        Array.from({ length: 40 }, () =>
          Promise.resolve().then(() =>
            store.authorize(op(p, { reservation: reservation(3_000n, 100_000n) })),
          ),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'authorized').length, 32);
      assert.equal(results.filter((r) => r.status === 'pending').length, 8);
      assert.equal(
        await dailyUsed(store, { partition: p, userId: 'u', now: T0 + 1, limitMinor: 100_000n }),
        99_000n,
      );
    });

    it('stores pending approvals, decides them by compare-and-set and notifies', async () => {
      const store = await fresh();
      const p = part();
      const events: string[] = [];
      const unsubscribe = store.subscribeApprovals?.((event) =>
        events.push(`${event.approvalId}:${event.status}`),
      );
      const o = op(p, { requiresApproval: true });
      const outcome = await store.authorize(o);
      assert.equal(outcome.status, 'pending');
      const stored = await store.getApproval(p, o.approval.approvalId);
      assert.equal(stored?.status, 'pending');
      assert.deepEqual(outcome.status === 'pending' && outcome.approval, stored);
      assert.equal(await store.getApproval(part(), o.approval.approvalId), undefined);
      const listed = await store.listApprovals({ status: 'pending', limit: 500 });
      assert.ok(listed.some((a) => a.approvalId === o.approval.approvalId));
      const decide = (status: 'approved' | 'denied') =>
        Promise.resolve().then(() =>
          store.decideApproval({
            partition: p,
            approvalId: o.approval.approvalId,
            now: T0 + 5,
            expectedStatus: 'pending',
            status,
            decidedBy: 'ops',
            tokenExpiresAt: T0 + 35_000,
          }),
        );
      const results = await Promise.all([decide('approved'), decide('denied'), decide('approved')]);
      assert.equal(results.filter((r) => r.status === 'ok').length, 1);
      assert.equal(results.filter((r) => r.status === 'conflict').length, 2);
      const after = await store.getApproval(p, o.approval.approvalId);
      assert.equal(after?.version, 2);
      assert.equal(after?.decidedBy, 'ops');
      const unknown = await store.decideApproval({
        partition: p,
        approvalId: 'apr_nope',
        now: T0,
        expectedStatus: 'pending',
        status: 'denied',
      });
      assert.equal(unknown.status, 'unknown');
      if (unsubscribe) {
        for (
          let i = 0;
          i < 100 && !events.some((e) => e.endsWith(':approved') || e.endsWith(':denied'));
          i += 1
        ) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.ok(
          events.some(
            (e) => e.startsWith(o.approval.approvalId) && e.endsWith(after?.status ?? ''),
          ),
        );
        unsubscribe();
      }
    });

    it('issues approval tokens once approved, keeps earlier ones live, and stops after use', async () => {
      const store = await fresh();
      const p = part();
      const o = op(p, { requiresApproval: true });
      await store.authorize(o);
      const issue = (digest: string, now = T0 + 10) =>
        store.issueApprovalToken({
          partition: p,
          approvalId: o.approval.approvalId,
          now,
          token: {
            digest,
            record: {
              ...o.token.record,
              expiresAt: T0 + 35_000,
              approvalId: o.approval.approvalId,
            },
          },
          retainMs: 600_000,
          maxLiveTokens: 32,
        });
      assert.equal((await issue('1'.repeat(64))).status, 'not_approved');
      await store.decideApproval({
        partition: p,
        approvalId: o.approval.approvalId,
        now: T0 + 5,
        expectedStatus: 'pending',
        status: 'approved',
        tokenExpiresAt: T0 + 35_000,
      });
      assert.equal((await issue('2'.repeat(64))).status, 'issued');
      assert.equal((await issue('3'.repeat(64))).status, 'issued');
      const consume = (digest: string) => store.consume(consumeOf(o, { digest, now: T0 + 20 }));
      assert.equal((await consume('3'.repeat(64))).status, 'ok');
      // The earlier token was live beside it; the consume spent the whole approval.
      assert.equal((await consume('2'.repeat(64))).status, 'used');
      assert.equal((await issue('4'.repeat(64))).status, 'used');
      assert.equal((await consume('4'.repeat(64))).status, 'unknown');
    });

    it('refuses to issue after the approval token window', async () => {
      const store = await fresh();
      const p = part();
      const o = op(p, { requiresApproval: true });
      await store.authorize(o);
      await store.decideApproval({
        partition: p,
        approvalId: o.approval.approvalId,
        now: T0 + 5,
        expectedStatus: 'pending',
        status: 'approved',
        tokenExpiresAt: T0 + 35_000,
      });
      const outcome = await store.issueApprovalToken({
        partition: p,
        approvalId: o.approval.approvalId,
        now: T0 + 35_000,
        token: { digest: '5'.repeat(64), record: o.token.record },
        retainMs: 600_000,
        maxLiveTokens: 32,
      });
      assert.equal(outcome.status, 'expired');
    });

    it('forces a reservation on approval of an over-limit request and releases on denial', async () => {
      const store = await fresh();
      const p = part();
      const over = op(p, { reservation: reservation(20_000n, 10_000n) });
      assert.equal((await store.authorize(over)).status, 'pending');
      const usage = async () =>
        dailyUsed(store, { partition: p, userId: 'u', now: T0 + 1, limitMinor: 10_000n });
      assert.equal(await usage(), 0n);
      await store.decideApproval({
        partition: p,
        approvalId: over.approval.approvalId,
        now: T0 + 1,
        expectedStatus: 'pending',
        status: 'approved',
        tokenExpiresAt: T0 + 31_000,
        reservation: {
          action: 'force',
          request: reservation(20_000n, 10_000n, { reservationId: 'r-forced' }),
        },
      });
      assert.equal(await usage(), 20_000n);
      assert.equal(
        (await store.getApproval(p, over.approval.approvalId))?.reservationId,
        'r-forced',
      );
      const within = op(p, {
        requiresApproval: true,
        reservation: reservation(0n, 100_000n, { reservationId: 'r-held' }),
      });
      const held = await store.authorize(within);
      // Reserved within the limit: the approval, as answered and as stored, names it.
      assert.equal(held.status === 'pending' && held.approval.reservationId, 'r-held');
      assert.deepEqual(
        held.status === 'pending' && held.approval,
        await store.getApproval(p, within.approval.approvalId),
      );
      await store.decideApproval({
        partition: p,
        approvalId: within.approval.approvalId,
        now: T0 + 2,
        expectedStatus: 'pending',
        status: 'denied',
        reservation: { action: 'release', reservationId: 'r-held' },
      });
      assert.equal((await store.getApproval(p, within.approval.approvalId))?.status, 'denied');
    });

    approvalSingleUse({ it, fresh, part, concurrency });
    approvalWithdrawal({ it, fresh, part, concurrency });
    abandonedConformance({ it, fresh, part, concurrency });
  });
}
