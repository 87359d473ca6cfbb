// The live streams share what they can: one store subscription per engine and one
// heartbeat, one poll and one deadline timer per handler, whatever the number of
// streams. Streams are opened on the handler in process, with timers the test fires.
import { HandshakeError } from '@handshake/protocol';
import { describe, expect, it } from 'vitest';
import { CREDENTIALS, testEngine } from '../../test/fixtures.js';
import { approvalWatchers } from '../engine/watch.js';
import { MemoryStore } from '../store/memory-store.js';
import type { StoreV1 } from '../store/store-v1.js';
import { createHandshakeHandler } from './handler.js';
import type { TimerScheduler } from './live-timers.js';

/** Timers the test fires by hand. */
function manualTimers() {
  let next = 1;
  const pending = new Map<number, { callback: () => void; ms: number }>();
  const timers: TimerScheduler & { fire(ms: number): number; delays(): number[] } = {
    setTimeout(callback, ms) {
      const id = next++;
      pending.set(id, { callback, ms });
      return id;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
    fire(ms) {
      let fired = 0;
      for (const [id, timer] of [...pending]) {
        if (timer.ms !== ms) continue;
        pending.delete(id);
        timer.callback();
        fired += 1;
      }
      return fired;
    },
    delays: () => [...pending.values()].map((t) => t.ms),
  };
  return timers;
}

/** A memory store that counts its subscribers and can go away (and come back). */
function flakyStore() {
  const inner = new MemoryStore();
  const state = { subscribers: 0, subscriptions: 0, down: false, refuseSubscribe: false };
  const unavailable = () => new HandshakeError('STORE_UNAVAILABLE', 'The store is unreachable');
  const store = new Proxy(inner, {
    get(target, key) {
      // A store that can go away cannot promise to hear every decision: streams poll.
      if (key === 'approvalEventsComplete') return false;
      if (key === 'subscribeApprovals') {
        return (listener: Parameters<NonNullable<StoreV1['subscribeApprovals']>>[0]) => {
          if (state.down || state.refuseSubscribe) throw unavailable();
          state.subscribers += 1;
          state.subscriptions += 1;
          const off = target.subscribeApprovals(listener);
          let done = false;
          return () => {
            if (!done) state.subscribers -= 1;
            done = true;
            off();
          };
        };
      }
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      if (key === 'getApproval' || key === 'listApprovals') {
        return (...args: unknown[]) => {
          if (state.down) throw unavailable();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value.bind(target);
    },
  }) as StoreV1;
  return { store, state };
}

const HEARTBEAT_MS = 15_000;
const POLL_MS = 5_000;

function setup() {
  const { store, state } = flakyStore();
  const t = testEngine({ store });
  const timers = manualTimers();
  const handler = createHandshakeHandler(t.engine, {
    heartbeatMs: HEARTBEAT_MS,
    pollMs: POLL_MS,
    timers,
  });
  const authorize = async () => {
    const answer = await t.engine.authorize(
      {
        tool: 'create_refund',
        parameters: { capture_id: 'CAP-1', amount: { value: '25.00', currency: 'USD' } },
      },
      CREDENTIALS.alice,
    );
    if (answer.status !== 'pending') throw new Error('expected a pending approval');
    return answer.approvalId;
  };
  /** Opens a stream and reads it block by block. */
  const open = async (path: string, credential: string) => {
    const controller = new AbortController();
    const response = await handler(
      new Request(`http://localhost${path}`, {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${credential}` },
        signal: controller.signal,
      }),
    );
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    /** The next block (event or comment), or `undefined` at the end of the stream. */
    const next = async (): Promise<string | undefined> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!block.startsWith('retry:')) return block;
          continue;
        }
        const { done, value } = await reader.read();
        if (done) return undefined;
        buffer += decoder.decode(value, { stream: true });
      }
    };
    return {
      next,
      abort: () => controller.abort(),
      cancel: () => reader.cancel(),
    };
  };
  return { ...t, state, timers, handler, authorize, open };
}

describe('live streams share one subscription and one set of timers', () => {
  it('200 requester and 20 approver streams hold one store listener and three timers; one heartbeat timer beats for all', async () => {
    const t = setup();
    const approvalId = await t.authorize();
    const requesters = await Promise.all(
      Array.from({ length: 200 }, () => t.open(`/approvals/${approvalId}`, CREDENTIALS.alice)),
    );
    const approvers = await Promise.all(
      Array.from({ length: 20 }, () => t.open('/approvals?status=pending', CREDENTIALS.approver)),
    );
    for (const stream of requesters) expect(await stream.next()).toMatch(/^id: 1\nevent: status/);
    for (const stream of approvers) expect(await stream.next()).toMatch(/^event: snapshot/);

    expect(t.state.subscribers).toBe(1);
    expect(t.state.subscriptions).toBe(1);
    expect(approvalWatchers(t.engine.store)).toBe(220);
    // A heartbeat, a poll and a deadline timer (the approval's expiry), not one per stream.
    expect(t.timers.delays().sort((a, b) => a - b)).toEqual([POLL_MS, HEARTBEAT_MS, 300_005]);

    expect(t.timers.fire(HEARTBEAT_MS)).toBe(1);
    // The 220 members beat from the one heartbeat timer, re-armed for each next group
    // (those due together, at most 64 a turn) until the round is done: never a second
    // heartbeat timer.
    const heartbeatTimers = () =>
      t.timers.delays().filter((ms) => ms !== POLL_MS && ms !== 300_005);
    let turns = 1;
    for (;;) {
      const [delay, ...others] = heartbeatTimers();
      expect(others).toEqual([]);
      if (delay === undefined || delay > HEARTBEAT_MS - 1_000) break;
      expect(t.timers.fire(delay)).toBe(1);
      turns += 1;
    }
    expect(turns).toBeGreaterThanOrEqual(4);
    for (const stream of [...requesters, ...approvers]) {
      expect(await stream.next()).toBe(': heartbeat');
    }
    // Re-armed once, for the next period (less what the slices took).
    const rearmed = t.timers.delays().filter((ms) => ms > POLL_MS && ms <= HEARTBEAT_MS);
    expect(rearmed).toHaveLength(1);
    expect(rearmed[0]).toBeGreaterThan(HEARTBEAT_MS - 1_000);

    // One notification reaches every stream: the requesters end with the decision.
    await t.engine.decide(approvalId, { decision: 'deny' }, CREDENTIALS.approver);
    for (const stream of requesters) {
      expect(await stream.next()).toMatch(/^id: 2\nevent: status\ndata: .*"status":"denied"/);
      expect(await stream.next()).toBeUndefined();
    }
    for (const stream of approvers) {
      expect(await stream.next()).toMatch(/^event: approval\ndata: .*"status":"denied"/);
    }
    expect(approvalWatchers(t.engine.store)).toBe(20);
    for (const stream of approvers) stream.abort();
    expect(approvalWatchers(t.engine.store)).toBe(0);
    expect(t.state.subscribers).toBe(0);
    expect(t.timers.delays()).toEqual([]);
  });

  it('1,000 streams opened and closed by the client, by abort or by cancel, leave no entry, listener or timer', async () => {
    const t = setup();
    const approvalId = await t.authorize();
    for (let i = 0; i < 1_000; i += 1) {
      const stream =
        i % 10 === 9
          ? await t.open('/approvals?status=pending&limit=1', CREDENTIALS.approver)
          : await t.open(`/approvals/${approvalId}`, CREDENTIALS.alice);
      expect(await stream.next()).toMatch(/^(id: 1\n)?event: (status|snapshot)/);
      expect(approvalWatchers(t.engine.store)).toBe(1);
      if (i % 2 === 0) stream.abort();
      else await stream.cancel();
      expect(approvalWatchers(t.engine.store)).toBe(0);
    }
    expect(t.state.subscribers).toBe(0);
    // Every stream took the subscription and gave it back.
    expect(t.state.subscriptions).toBe(1_000);
    expect(t.timers.delays()).toEqual([]);
  });

  it("requester streams on a store that hears every decision take no poll; approvers' streams still do", async () => {
    const t = testEngine();
    expect(t.engine.store.approvalEventsComplete).toBe(true);
    const timers = manualTimers();
    const handler = createHandshakeHandler(t.engine, {
      heartbeatMs: HEARTBEAT_MS,
      pollMs: POLL_MS,
      timers,
    });
    const answer = await t.engine.authorize(
      {
        tool: 'create_refund',
        parameters: { capture_id: 'CAP-1', amount: { value: '25.00', currency: 'USD' } },
      },
      CREDENTIALS.alice,
    );
    if (answer.status !== 'pending') throw new Error('expected a pending approval');
    const decoder = new TextDecoder();
    const open = async (path: string, credential: string) => {
      const response = await handler(
        new Request(`http://localhost${path}`, {
          headers: { accept: 'text/event-stream', authorization: `Bearer ${credential}` },
        }),
      );
      const reader = response.body!.getReader();
      // Past `retry:`, to the first event (the status, or the approvers' snapshot).
      let text = '';
      while (!text.includes('event: ')) text += decoder.decode((await reader.read()).value);
      return reader;
    };
    const requesters = await Promise.all(
      Array.from({ length: 50 }, () => open(`/approvals/${answer.approvalId}`, CREDENTIALS.alice)),
    );
    // A heartbeat and the approval's deadline: no poll timer for 50 waiting requesters.
    expect(timers.delays().sort((a, b) => a - b)).toEqual([HEARTBEAT_MS, 300_005]);
    const approver = await open('/approvals?status=pending', CREDENTIALS.approver);
    expect(timers.delays().sort((a, b) => a - b)).toEqual([POLL_MS, HEARTBEAT_MS, 300_005]);
    await approver.cancel();
    // The decision still reaches every requester, from the store's notification alone.
    await t.engine.decide(answer.approvalId, { decision: 'approve' }, CREDENTIALS.approver);
    for (const reader of requesters) {
      const { value } = await reader.read();
      expect(decoder.decode(value)).toMatch(/^id: 2\nevent: status\ndata: .*"status":"approved"/);
    }
    for (const reader of requesters) expect((await reader.read()).done).toBe(true);
    expect(timers.delays()).toEqual([]);
  });

  it('a store that goes away gives each stream its `event: error`; later streams subscribe again', async () => {
    const t = setup();
    const approvalId = await t.authorize();
    const requesters = await Promise.all(
      Array.from({ length: 10 }, () => t.open(`/approvals/${approvalId}`, CREDENTIALS.alice)),
    );
    const approver = await t.open('/approvals?status=pending', CREDENTIALS.approver);
    for (const stream of requesters) await stream.next();
    await approver.next();
    expect(t.state.subscribers).toBe(1);

    t.state.down = true;
    expect(t.timers.fire(POLL_MS)).toBe(1);
    for (const stream of [...requesters, approver]) {
      expect(await stream.next()).toBe('event: error\ndata: {"code":"STORE_UNAVAILABLE"}');
      expect(await stream.next()).toBeUndefined();
    }
    expect(t.state.subscribers).toBe(0);
    expect(approvalWatchers(t.engine.store)).toBe(0);
    expect(t.timers.delays()).toEqual([]);

    // Back for reads but not yet for notifications: a new stream sends what it read,
    // then says that it cannot listen.
    t.state.down = false;
    t.state.refuseSubscribe = true;
    const early = await t.open(`/approvals/${approvalId}`, CREDENTIALS.alice);
    expect(await early.next()).toMatch(/^id: 1\nevent: status/);
    expect(await early.next()).toBe('event: error\ndata: {"code":"STORE_UNAVAILABLE"}');
    expect(await early.next()).toBeUndefined();
    expect(approvalWatchers(t.engine.store)).toBe(0);

    t.state.refuseSubscribe = false;
    const later = await t.open(`/approvals/${approvalId}`, CREDENTIALS.alice);
    expect(await later.next()).toMatch(/^id: 1\nevent: status/);
    expect(t.state.subscribers).toBe(1);
    // The new subscription delivers: no poll is fired.
    await t.engine.decide(approvalId, { decision: 'approve' }, CREDENTIALS.approver);
    expect(await later.next()).toMatch(/^id: 2\nevent: status\ndata: .*"status":"approved"/);
    expect(await later.next()).toBeUndefined();
    expect(t.state.subscribers).toBe(0);
  });
});
