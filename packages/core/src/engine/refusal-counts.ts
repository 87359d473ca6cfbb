/** One minute of refusals: when it starts, and the count per code. */
interface Bucket {
  minute: number;
  counts: Map<string, number>;
}

/** The code the codes beyond {@link RefusalCounts}' bound are counted under. */
export const OTHER_CODE = '_OTHER';

/**
 * The engine's refusals of the last hour, by code, in fixed memory: one bucket per
 * minute in a ring of sixty, each holding at most `maxCodes` codes (the rest count as
 * `_OTHER`). A bucket is reused when its minute comes round again, so nothing grows with
 * traffic or time. Counts are this process's: each instance of a service keeps its own.
 */
export class RefusalCounts {
  readonly #buckets: Bucket[];
  readonly #maxCodes: number;

  constructor(options: { minutes?: number; maxCodes?: number } = {}) {
    const minutes = options.minutes ?? 60;
    this.#maxCodes = options.maxCodes ?? 32;
    this.#buckets = Array.from({ length: minutes }, () => ({ minute: -1, counts: new Map() }));
  }

  /** How many minutes the counts cover. */
  get minutes(): number {
    return this.#buckets.length;
  }

  /** Counts one refusal of `code` at `now` (epoch ms). */
  add(code: string, now: number): void {
    const minute = Math.floor(now / 60_000);
    const bucket = this.#buckets[minute % this.#buckets.length]!;
    if (bucket.minute !== minute) {
      bucket.minute = minute;
      bucket.counts.clear();
    }
    const key = bucket.counts.has(code) || bucket.counts.size < this.#maxCodes ? code : OTHER_CODE;
    bucket.counts.set(key, (bucket.counts.get(key) ?? 0) + 1);
  }

  /**
   * The counts of the last `minutes` whole and current minutes before `now`, by code,
   * the most frequent first (ties by code).
   */
  byCode(now: number): Array<{ code: string; count: number }> {
    const current = Math.floor(now / 60_000);
    const totals = new Map<string, number>();
    for (const bucket of this.#buckets) {
      if (bucket.minute > current || bucket.minute <= current - this.#buckets.length) continue;
      for (const [code, count] of bucket.counts) totals.set(code, (totals.get(code) ?? 0) + count);
    }
    return [...totals]
      .map(([code, count]) => ({ code, count }))
      .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  }
}
