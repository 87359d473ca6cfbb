import { MemoryStore } from '@handshake/core';
import { sizeOf } from '../lib/bodies.js';
import { benchEngine, handshake, seedFlow, steppingClock, tierCalls } from '../lib/fixtures.js';
import { time } from '../lib/measure.js';
import { bytes, duration, printTable, times } from '../lib/report.js';

/**
 * (2) One in-process handshake (authorize + execute, `MemoryStore`) per tier, against
 * the seed's flow re-implemented naively: stringify, hash, a Map get and delete.
 */
export async function engineSuite(): Promise<void> {
  const rows: string[][] = [];
  for (const call of tierCalls()) {
    const seed = await time(seedFlow(call));
    const clock = steppingClock();
    const engine = benchEngine(new MemoryStore(), clock);
    await engine.ready();
    const run = handshake(engine, call);
    const ours = await time(async () => {
      clock.tick();
      await run();
    });
    await engine.close();
    rows.push([
      call.tier,
      `${call.tool} (${bytes(sizeOf(call.parameters))})`,
      duration(seed.avg),
      duration(ours.avg),
      duration(ours.p99),
      times(ours.avg / seed.avg),
    ]);
  }
  printTable({
    title: '2. In-process handshake (authorize + execute, MemoryStore) vs the seed flow',
    columns: ['tier', 'tool (parameters)', 'seed flow', 'handshake', 'handshake p99', 'ratio'],
    rows,
    notes: [
      'Mean time per full handshake; ratio = handshake ÷ seed flow, same run. Checks per',
      'tier are cumulative: INTERNAL adds session + Ed25519 verify, CONFIDENTIAL the strict',
      'zod schema and rules, RESTRICTED a confirmation agent that approves (decide, issue).',
      'Every tier includes the hash-chained audit trail (a sink that discards).',
    ],
  });
}
