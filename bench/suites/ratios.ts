import { RedisStore } from '@handshake/redis';
import { startGenerator, startService } from '../http/harness.js';
import type { Scenario } from '../http/load-generator.js';
import { REDIS_URL, redisUp } from '../lib/redis-info.js';
import { perSecond, printLine, times } from '../lib/report.js';
import { minMedian, ratioText, recordTarget } from '../lib/targets.js';

const ROUNDS = Number(process.env.BENCH_RATIO_ROUNDS ?? 3);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1_000);
const DURATION_MS = Number(process.env.BENCH_RATIO_DURATION_MS ?? 2_000);

/**
 * (4c) The targets of the HTTP rows: a full INTERNAL handshake (authorize, sign,
 * execute) against the same service's floor (`GET /health` twice), with 1 and with 16
 * clients, on the memory store and on Redis. Floor and handshake alternate, round after
 * round, and each ratio is against the floor run just before it.
 */
export async function ratiosSuite(): Promise<void> {
  const stores: Array<[string, () => RedisStore | undefined]> = [['memory', () => undefined]];
  if (await redisUp()) {
    stores.push([
      'Redis',
      () => new RedisStore({ url: REDIS_URL, keyPrefix: `hsratio${process.pid}x${Date.now()}` }),
    ]);
  } else {
    printLine(`(Redis is not answering at ${REDIS_URL}: the Redis ratio rows are skipped.)\n`);
  }
  const generator = startGenerator();
  try {
    for (const [label, makeStore] of stores) {
      const running = await startService(makeStore());
      try {
        for (const concurrency of [1, 16]) {
          const runs: Record<'floor' | 'internal', Array<{ rate: number; cpu: number }>> = {
            floor: [],
            internal: [],
          };
          for (let round = 0; round < ROUNDS; round++) {
            for (const scenario of ['floor', 'internal'] as const satisfies Scenario[]) {
              const before = process.cpuUsage();
              const result = await generator.run({
                url: running.url,
                scenario,
                concurrency,
                warmupMs: WARMUP_MS,
                durationMs: DURATION_MS,
                sessions: running.sessions,
                client: 'http',
              });
              const cpu = process.cpuUsage(before);
              if (result.errors > 0) throw new Error(`${label} ${scenario}: ${result.firstError}`);
              runs[scenario].push({
                rate: (result.pairs / result.elapsedMs) * 1000,
                cpu: (cpu.user + cpu.system) / result.totalPairs,
              });
            }
          }
          const rateRatios = runs.internal.map((run, i) => run.rate / runs.floor[i]!.rate);
          const floorRate = minMedian(runs.floor.map((run) => run.rate));
          const ourRate = minMedian(runs.internal.map((run) => run.rate));
          recordTarget({
            measure: `full INTERNAL handshake over HTTP, pairs/s, ${label} store, c=${concurrency}`,
            baseline: `floor (GET /health twice): ${perSecond(floorRate.median)}`,
            ours: perSecond(ourRate.median),
            ratio: ratioText(rateRatios),
            target: '≥ 0.6×',
            met: minMedian(rateRatios).median >= 0.6,
          });
          if (concurrency === 16) {
            const cpuRatios = runs.internal.map((run, i) => run.cpu / runs.floor[i]!.cpu);
            const floorCpu = minMedian(runs.floor.map((run) => run.cpu));
            const ourCpu = minMedian(runs.internal.map((run) => run.cpu));
            recordTarget({
              measure: `server CPU per INTERNAL handshake pair, ${label} store, c=16`,
              baseline: `floor: ${floorCpu.min.toFixed(0)} µs / ${floorCpu.median.toFixed(0)} µs`,
              ours: `${ourCpu.min.toFixed(0)} µs / ${ourCpu.median.toFixed(0)} µs`,
              ratio: ratioText(cpuRatios),
              target: `≤ ${times(1.7)}`,
              met: minMedian(cpuRatios).median <= 1.7,
            });
          }
        }
      } finally {
        await running.close();
      }
    }
  } finally {
    generator.close();
  }
}
