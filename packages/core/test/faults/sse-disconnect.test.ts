// Faults: Server-Sent Events clients that disconnect by the thousand. Over real HTTP,
// 1 400 streams of the three kinds (a requester waiting on an approval, an approver's
// console, a validation waiting for a person) are opened and then cut. Open, they share
// one store listener and a handful of timers, whatever their number; afterwards no store
// listener, timer or socket of theirs may remain, and the heap returns to its baseline.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { StoreV1 } from '../../src/store/store-v1.js';
import { CREDENTIALS, type Harness, startHarness } from '../harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A memory store that counts the approval listeners currently subscribed. */
function countingStore() {
  const inner = new MemoryStore();
  const counter = { active: 0 };
  const store = new Proxy(inner, {
    get(target, key) {
      if (key === 'subscribeApprovals') {
        return (listener: Parameters<NonNullable<StoreV1['subscribeApprovals']>>[0]) => {
          counter.active += 1;
          const off = target.subscribeApprovals(listener);
          let done = false;
          return () => {
            if (!done) counter.active -= 1;
            done = true;
            off();
          };
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as StoreV1;
  return { store, counter };
}

function resources() {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return { timers: counts.Timeout ?? 0, sockets: counts.TCPSocketWrap ?? 0 };
}

function heapMb() {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** The least of a few readings: what other tests of the run allocate meanwhile is noise. */
async function settledHeapMb() {
  let least = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    least = Math.min(least, heapMb());
  }
  return least;
}

describe('SSE clients that disconnect by the thousand', () => {
  let h: Harness;
  let counter: { active: number };
  let approvalId: string;

  beforeAll(async () => {
    const counting = countingStore();
    counter = counting.counter;
    h = await startHarness({
      engine: {
        store: counting.store,
        limits: { currency: 'USD', daily: '1000000.00', transaction: '500.00' },
      },
    });
    const pending = await h.request('POST', '/authorize', {
      body: {
        tool: 'create_refund',
        parameters: { capture_id: 'CAP-1', amount: { value: '25.00', currency: 'USD' } },
      },
      credential: CREDENTIALS.alice,
    });
    approvalId = (pending.json as { approvalId: string }).approvalId;
  });
  afterAll(() => h.close());

  /** Opens one stream, waits for its first event, and returns a way to cut it. */
  async function open(kind: 'requester' | 'approver' | 'validation'): Promise<() => void> {
    const controller = new AbortController();
    const init: RequestInit =
      kind === 'validation'
        ? {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${CREDENTIALS.alice}`,
            },
            body: JSON.stringify({
              merchant: { name: 'Big Shop' },
              amount: '600.00',
              currency: 'USD',
            }),
          }
        : {
            headers: {
              accept: 'text/event-stream',
              authorization: `Bearer ${kind === 'approver' ? CREDENTIALS.approver : CREDENTIALS.alice}`,
            },
          };
    const path =
      kind === 'requester'
        ? `/approvals/${approvalId}`
        : kind === 'approver'
          ? '/approvals?status=pending&limit=1'
          : '/api/mcp/validate-transaction';
    const response = await fetch(`${h.url}${path}`, { ...init, signal: controller.signal });
    expect(response.headers.get('content-type'), `${kind}: ${response.status}`).toMatch(
      /^text\/event-stream/,
    );
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('event: ')) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the ${kind} stream ended early`);
      text += new TextDecoder().decode(value);
    }
    return () => {
      controller.abort();
      reader.cancel().catch(() => {});
    };
  }

  async function round(requesters: number, approvers: number, validations: number) {
    const cuts = await Promise.all([
      ...Array.from({ length: requesters }, () => open('requester')),
      ...Array.from({ length: approvers }, () => open('approver')),
      ...Array.from({ length: validations }, () => open('validation')),
    ]);
    return cuts;
  }

  it('1 000 requester, 200 approver and 200 validation streams share one store listener and six timers at most, and cut at once leave no listener, timer or socket behind, and the heap returns to its baseline', async () => {
    // A warm-up round of the same size, so whatever is created once (compiled code,
    // connection pools, the capacity of maps) is in the baseline.
    for (const cut of await round(1_000, 200, 200)) cut();
    await vi.waitFor(() => expect(counter.active).toBe(0), { timeout: 10_000 });
    // Closed connections take a moment to be released on both ends.
    await vi.waitFor(() => expect(resources().sockets).toBeLessThan(10), { timeout: 20_000 });
    const before = { ...resources(), heap: await settledHeapMb() };

    const cuts = await round(1_000, 200, 200);
    // 1 400 streams, one store listener: the engine's watch shares it.
    expect(counter.active).toBe(1);
    const peak = { ...resources(), heap: heapMb() };
    // And no timer per stream: the handler's streams share one heartbeat, one poll and
    // one deadline timer, and so do the spend routes' validation streams.
    expect(peak.timers - before.timers, JSON.stringify({ before, peak })).toBeLessThanOrEqual(6);
    for (const cut of cuts) cut();

    await vi.waitFor(() => expect(counter.active).toBe(0), { timeout: 10_000 });
    await vi.waitFor(
      () => {
        const after = resources();
        // vi.waitFor's own timeout and polling interval are the two allowed here.
        expect(after.timers).toBeLessThanOrEqual(before.timers + 2);
        expect(after.sockets).toBeLessThan(10);
      },
      { timeout: 20_000 },
    );
    const after = await settledHeapMb();
    // Open, the streams held tens of megabytes; cut, at least three quarters of that is
    // given back at once (what stays is the 200 approvals the validations created, and
    // garbage of the run's other tests). A leak of the streams' state would keep it all.
    const figures = `heap before ${before.heap} MB, open ${peak.heap} MB, after ${after} MB`;
    expect(peak.heap - before.heap, figures).toBeGreaterThan(10);
    expect(after - before.heap, figures).toBeLessThan((peak.heap - before.heap) / 4);

    // And the service still serves, streams included.
    expect((await h.request('GET', '/health')).status).toBe(200);
    const again = await open('requester');
    again();
  }, 120_000);
});
