import { collectGarbage } from './measure.js';

/** This process's memory after a garbage collection. */
export function memory() {
  collectGarbage();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers };
}

/**
 * Memory once garbage collection has settled: closed sockets and streams are released
 * over a few turns of the event loop (weak callbacks, finalizers), so one GC is not
 * enough right after a change.
 */
export async function settledMemory() {
  let last = memory();
  for (let i = 0; i < 20; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const next = memory();
    const settled = Math.abs(next.heap - last.heap) < last.heap * 0.002;
    last = next;
    if (settled) break;
  }
  return last;
}
