import { createHash } from 'node:crypto';
import {
  type ApprovalRecord,
  MemoryStore,
  partitionOf,
  type TransactionRecord,
} from '@handshake/core';
import { benchEngine, handshake, steppingClock, tierCalls } from '../lib/fixtures.js';
import { type Timing, time } from '../lib/measure.js';
import { memory } from '../lib/memory.js';
import { bytes, duration, printLine, printTable, times } from '../lib/report.js';

const LIVE_TOKENS = Number(process.env.BENCH_LIVE_TOKENS ?? 1_000_000);

/** Figures of suite 6 for the targets table. */
export interface ScaleResults {
  bytesPerWaiter?: number;
  flatRatio?: number;
  flatMedianRatio?: number;
  waiters?: number;
}

/** (6b) Handshake cost as the MemoryStore holds `BENCH_LIVE_TOKENS` live tokens. */
export async function liveTokens(scaleResults: ScaleResults): Promise<void> {
  // PUBLIC shows the store's share best (no signature to verify); INTERNAL is the
  // common signed call.
  const calls = [tierCalls()[0]!, tierCalls()[1]!];
  // One clock per store, carried across its measurements, so the rate limit's windows
  // move on as they would for a user calling once a second.
  const clocks = new WeakMap<MemoryStore, ReturnType<typeof steppingClock>>();
  const measure = async (store: MemoryStore, call: (typeof calls)[number]) => {
    const clock = clocks.get(store) ?? steppingClock();
    clocks.set(store, clock);
    const engine = benchEngine(store, clock);
    await engine.ready();
    const run = handshake(engine, call);
    const timing = await time(
      async () => {
        clock.tick();
        await run();
      },
      { budgetMs: 1_500 },
    );
    await engine.flushAudit();
    return timing;
  };
  const empty: Timing[] = [];
  for (const call of calls) empty.push(await measure(new MemoryStore(), call));

  const store = new MemoryStore();
  const start = Date.UTC(2026, 0, 1);
  const before = memory();
  const filling = performance.now();
  const approval = {} as ApprovalRecord;
  const partitions = Array.from({ length: 1_000 }, (_, i) => partitionOf(`filler-${i}`));
  for (let i = 0; i < LIVE_TOKENS; i += 1) {
    const digest = createHash('sha256').update(`filler-token-${i}`).digest('hex');
    const record: TransactionRecord = {
      transactionId: `tx_filler${i.toString(36).padStart(17, '0')}`,
      userId: `filler-${i % 1_000}`,
      sessionId: `s:${digest.slice(0, 32)}`,
      tool: 'show_order_details',
      tier: 'INTERNAL',
      paramsHash: digest,
      // Live for the whole measurement: the stepping clock moves one second per call.
      expiresAt: start + 30 * 86_400_000,
      createdAt: start,
    };
    store.authorize({
      partition: partitions[i % 1_000]!,
      userId: record.userId,
      now: start,
      requiresApproval: false,
      token: { digest, record },
      approval,
      retainMs: 600_000,
    });
  }
  const fillSeconds = (performance.now() - filling) / 1000;
  const filled = memory();
  if (store.size < LIVE_TOKENS) throw new Error(`the store holds ${store.size} tokens`);
  // After the fill, the full store and a fresh empty one are measured in turn, twice,
  // in the same process (same heap, same garbage collector): their ratio is what the
  // store's size costs. The empty store measured before the fill shows what holding the
  // tokens' 600 MB costs the whole process besides (garbage collection marks them).
  // The median of three rounds for each figure: rounds disturbed by other work on the
  // machine fall out, amortized costs that recur in every round stay in.
  const median = (rounds: Timing[]): Timing => {
    const pick = (key: 'avg' | 'p50' | 'p99') =>
      rounds.map((t) => t[key]).sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
    return {
      avg: pick('avg'),
      p50: pick('p50'),
      p99: pick('p99'),
      min: Math.min(...rounds.map((t) => t.min)),
      calls: rounds.reduce((sum, t) => sum + t.calls, 0),
    };
  };
  const full: Timing[] = [];
  const alongside: Timing[] = [];
  for (const call of calls) {
    const fullRounds: Timing[] = [];
    const emptyRounds: Timing[] = [];
    for (let round = 0; round < 3; round += 1) {
      fullRounds.push(await measure(store, call));
      emptyRounds.push(await measure(new MemoryStore(), call));
    }
    full.push(median(fullRounds));
    alongside.push(median(emptyRounds));
  }
  scaleResults.flatRatio = Math.max(...full.map((timing, i) => timing.avg / alongside[i]!.avg));
  scaleResults.flatMedianRatio = Math.max(
    ...full.map((timing, i) => timing.p50 / alongside[i]!.p50),
  );
  const rows: string[][] = [];
  calls.forEach((call, i) => {
    const [e, a, f] = [empty[i]!, alongside[i]!, full[i]!];
    const row = (store: string, t: Timing) => [
      call.tier,
      store,
      duration(t.avg),
      duration(t.p50),
      duration(t.p99),
      times(t.avg / a.avg),
      times(t.p50 / a.p50),
    ];
    rows.push(row('empty, before the fill', e));
    rows.push(row('empty, alongside the full one', a));
    rows.push(row(`${LIVE_TOKENS.toLocaleString('en-US')} live tokens`, f));
  });
  printTable({
    title: `6b. Handshake cost as the MemoryStore holds ${LIVE_TOKENS.toLocaleString('en-US')} live tokens`,
    columns: [
      'tier',
      'store',
      'handshake mean',
      'p50',
      'p99',
      'mean ÷ empty alongside',
      'p50 ÷ empty alongside',
    ],
    rows,
    notes: [
      `In-process handshake (authorize + execute). The tokens were put through the`,
      `store's own authorize operation (${fillSeconds.toFixed(1)} s; ${bytes((filled.heap - before.heap) / LIVE_TOKENS)} of heap per live token),`,
      'spread over 1,000 users, and stay live for the whole measurement. The full store and',
      'a fresh empty one are measured in turn, three rounds each, after the fill (same',
      'heap); each figure is the median of its rounds. The empty store measured before the',
      'fill shows the cost of the larger heap itself. The mean is the verdict: it carries',
      'what sweeping the whole store every so many operations cost (the store before this',
      'work), which the median alone would hide.',
    ],
  });
  printLine('');
}
