import { measure } from 'mitata';

/** Timing of one function, in nanoseconds per call. */
export interface Timing {
  avg: number;
  p50: number;
  p99: number;
  min: number;
  /** Calls measured. */
  calls: number;
}

/** Options of {@link time}. */
export interface TimeOptions {
  /** CPU time to spend measuring (default 400 ms), after mitata's warmup. */
  budgetMs?: number;
}

/**
 * Times `fn` with mitata (warmup, batching of fast functions, outlier-robust
 * percentiles). Async functions are awaited one at a time.
 */
export async function time(fn: () => unknown, options: TimeOptions = {}): Promise<Timing> {
  const stats = await measure(fn, {
    min_cpu_time: (options.budgetMs ?? 400) * 1e6,
    min_samples: 12,
  });
  return {
    avg: stats.avg,
    p50: stats.p50,
    p99: stats.p99,
    min: stats.min,
    calls: stats.ticks,
  };
}

/** Runs the garbage collector when Node was started with `--expose-gc`. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/**
 * Times several functions in alternation: `rounds` rounds, each running every function
 * for a batch of calls sized to take about `batchMs` of CPU. Answers, per function, the
 * CPU time per call (ns) of each round. CPU time rather than wall time: on a shared
 * machine a preempted batch would otherwise count the other work.
 */
export function interleave(
  fns: Record<string, () => unknown>,
  options: { rounds?: number; batchMs?: number } = {},
): Record<string, number[]> {
  const rounds = options.rounds ?? 15;
  const batchNs = (options.batchMs ?? 40) * 1e6;
  const cpuNs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) * 1000;
  };
  const sizes: Record<string, number> = {};
  for (const [name, fn] of Object.entries(fns)) {
    let calls = 1;
    for (;;) {
      const start = cpuNs();
      for (let i = 0; i < calls; i++) fn();
      const spent = cpuNs() - start;
      if (spent >= batchNs / 4 || calls >= 1e7) {
        sizes[name] = Math.max(1, Math.round((calls * batchNs) / Math.max(spent, 1)));
        break;
      }
      calls *= 4;
    }
  }
  const perCall: Record<string, number[]> = Object.fromEntries(
    Object.keys(fns).map((name) => [name, []]),
  );
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of Object.entries(fns)) {
      const calls = sizes[name]!;
      const start = cpuNs();
      for (let i = 0; i < calls; i++) fn();
      perCall[name]!.push((cpuNs() - start) / calls);
    }
  }
  return perCall;
}
