import type { AuditFields } from './audit-log.js';

/** One source's refusals of one code in one window. */
interface Window {
  fields: AuditFields;
  startedAt: number;
  endsAt: number;
  /** Refusals after the first, not written yet. */
  more: number;
}

/** Options of {@link RefusalAggregator}. */
export interface RefusalAggregatorOptions {
  windowMs: number;
  /** Sources tracked at once; refusals from sources beyond it share one window per code. */
  maxSources?: number;
  now: () => number;
  write: (fields: AuditFields) => Promise<void>;
}

/**
 * Keeps a flood of refusals from a caller nobody identified (bad credentials, rate
 * limits, anonymous callers) from writing one audit event per request, without losing
 * their count. Per code, user and source (the client address), the first refusal of a
 * window is written at once; the rest are counted, and when the window ends one
 * summary event carries their number in `count`. Windows are closed by the next
 * refusal after their end, by a timer, and by `close()`.
 */
export class RefusalAggregator {
  readonly #windows = new Map<string, Window>();
  readonly #options: Required<RefusalAggregatorOptions>;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RefusalAggregatorOptions) {
    this.#options = { maxSources: 10_000, ...options };
  }

  /** Writes the refusal, or counts it in the open window of its source. */
  record(fields: AuditFields): Promise<void> {
    const now = this.#options.now();
    const written = this.#flush(now);
    let key = `${fields.outcome}\u0000${fields.userId ?? ''}\u0000${fields.source ?? ''}`;
    if (!this.#windows.has(key) && this.#windows.size >= this.#options.maxSources) {
      key = `${fields.outcome}\u0000*`;
      fields = { type: 'refusal', outcome: fields.outcome, source: '*' };
    }
    const open = this.#windows.get(key);
    if (open) {
      open.more += 1;
      this.#schedule();
      return written;
    }
    this.#windows.set(key, {
      fields,
      startedAt: now,
      endsAt: now + this.#options.windowMs,
      more: 0,
    });
    return Promise.all([written, this.#options.write(fields)]).then(() => {});
  }

  /** Writes the summaries of every open window, ended or not. */
  close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#flush(Number.POSITIVE_INFINITY);
  }

  /** Writes the summaries of the windows that ended by `now`; oldest first, as they were opened. */
  #flush(now: number): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const [key, window] of this.#windows) {
      if (window.endsAt > now) break;
      this.#windows.delete(key);
      if (window.more > 0)
        writes.push(this.#options.write(summary(window, this.#options.windowMs)));
    }
    return writes.length === 0 ? Promise.resolve() : Promise.all(writes).then(() => {});
  }

  /** A timer closes windows nobody else closes, so counts reach the trail without more traffic. */
  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#flush(this.#options.now());
      if ([...this.#windows.values()].some((window) => window.more > 0)) this.#schedule();
    }, this.#options.windowMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }
}

function summary(window: Window, windowMs: number): AuditFields {
  const { fields } = window;
  const from = fields.source ? `from ${fields.source}` : 'from an unknown source';
  return {
    type: 'refusal',
    outcome: fields.outcome,
    ...(fields.userId !== undefined ? { userId: fields.userId } : {}),
    ...(fields.source !== undefined ? { source: fields.source } : {}),
    count: window.more,
    detail: `${window.more} more ${fields.outcome} refusals ${from} within ${Math.round(windowMs / 1000)} s of ${new Date(window.startedAt).toISOString()}`,
  };
}
