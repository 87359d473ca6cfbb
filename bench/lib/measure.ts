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
