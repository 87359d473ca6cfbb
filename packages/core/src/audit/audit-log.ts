import type { Clock } from '../types/common.js';
import { auditEventHash, GENESIS_HASH } from './audit-chain.js';
import type { AuditEvent, AuditSinkV1 } from './audit-event.js';

/** The fields the engine supplies for an event; the log adds the chain fields. */
export type AuditFields = Omit<AuditEvent, 'seq' | 'at' | 'chain' | 'prevHash' | 'hash'>;

/** One recorded event on its way to the sinks. */
interface Entry {
  event: AuditEvent;
  /** Sinks that have not written it yet. */
  left: number;
  settled: boolean;
  written: () => void;
  failed: (error: unknown) => void;
}

/** The events one sink has not written yet, in chain order. */
interface SinkQueue {
  sink: AuditSinkV1;
  entries: Entry[];
  /** Failed attempts at the head entry; 0 while the sink is healthy. */
  attempt: number;
  running: boolean;
  retry: ReturnType<typeof setTimeout> | undefined;
}

/** Options of {@link AuditLog}. */
export interface AuditLogOptions {
  clock: Clock;
  chain: string;
  onError?: (error: unknown, event: AuditEvent) => void;
  /** Delay before retry `attempt` (1, 2, …) of a failed write. */
  retryMs?: (attempt: number) => number;
  /**
   * Runs each `record` (from the event's chaining until it is written or kept for
   * retry), e.g. inside a span; it must call `write` once and answer what it answers.
   */
  around?: (type: AuditEvent['type'], write: () => Promise<void>) => Promise<void>;
}

const defaultRetryMs = (attempt: number) => Math.min(100 * 2 ** (attempt - 1), 30_000);

/**
 * Builds the hash chain and hands events to the sinks in order. Hashes are computed
 * synchronously when an event is recorded, so concurrent requests still produce one
 * well-ordered chain.
 *
 * Each sink has its own queue. A write that fails stays at the head of that sink's
 * queue and is retried with backoff; the events behind it wait, so a sink always
 * receives the chain in order, and nothing is dropped. `backlog()` lists what some
 * sink has not written yet.
 */
export class AuditLog {
  readonly #queues: SinkQueue[];
  readonly #clock: Clock;
  readonly #chain: string;
  readonly #onError: (error: unknown, event: AuditEvent) => void;
  readonly #retryMs: (attempt: number) => number;
  readonly #around: AuditLogOptions['around'];
  #seq = 0;
  #prevHash = GENESIS_HASH;
  #last: Promise<void> = Promise.resolve();
  #closed = false;
  #idle: Array<() => void> = [];

  constructor(sinks: readonly AuditSinkV1[], options: AuditLogOptions) {
    this.#queues = sinks.map((sink) => ({
      sink,
      entries: [],
      attempt: 0,
      running: false,
      retry: undefined,
    }));
    this.#clock = options.clock;
    this.#chain = options.chain;
    this.#onError = options.onError ?? (() => {});
    this.#retryMs = options.retryMs ?? defaultRetryMs;
    this.#around = options.around;
  }

  /** True while some sink is failing (its head event is waiting for a retry). */
  get failing(): boolean {
    return this.#queues.some((queue) => queue.attempt > 0);
  }

  /**
   * Appends an event. The promise settles when every sink has written it, or, when a
   * sink fails, once the event is kept in the backlog for retry; it never rejects.
   * With `required`, it rejects instead as soon as a sink holding the event fails (or
   * is already failing): the caller must not go on without the event written.
   */
  record(fields: AuditFields, options: { required?: boolean } = {}): Promise<void> {
    const around = this.#around;
    if (!around) return this.#record(fields, options);
    return around(fields.type, () => this.#record(fields, options));
  }

  #record(fields: AuditFields, options: { required?: boolean }): Promise<void> {
    const base = {
      ...stripUndefined(fields),
      seq: this.#seq,
      at: new Date(this.#clock.now()).toISOString(),
      chain: this.#chain,
      prevHash: this.#prevHash,
    } as Omit<AuditEvent, 'hash'>;
    const event: AuditEvent = { ...base, hash: auditEventHash(base) };
    this.#seq += 1;
    this.#prevHash = event.hash;
    if (this.#queues.length === 0) return Promise.resolve();
    let fullyWritten: () => void = () => {};
    this.#last = new Promise<void>((resolve) => {
      fullyWritten = resolve;
    });
    const answer = new Promise<void>((resolve, reject) => {
      const entry: Entry = {
        event,
        left: this.#queues.length,
        settled: false,
        written: () => {
          fullyWritten();
          if (entry.settled) return;
          entry.settled = true;
          resolve();
        },
        failed: (error) => {
          if (entry.settled) return;
          entry.settled = true;
          if (options.required) reject(error);
          else resolve();
        },
      };
      for (const queue of this.#queues) {
        queue.entries.push(entry);
        if (queue.attempt > 0) entry.failed(new Error('the audit sink is failing'));
        void this.#drain(queue);
      }
    });
    return answer;
  }

  /** Resolves when every event recorded so far has been written by every sink. */
  flush(): Promise<void> {
    return this.#last;
  }

  /** Events some sink has not written yet, in chain order. */
  backlog(): AuditEvent[] {
    const seen = new Set<Entry>();
    for (const queue of this.#queues) for (const entry of queue.entries) seen.add(entry);
    return [...seen].map((entry) => entry.event).sort((a, b) => a.seq - b.seq);
  }

  /**
   * Waits until every sink has written its queue or is failing, then stops the retry
   * timers (a later `record` still tries once). What is left stays in `backlog()`.
   */
  async close(): Promise<void> {
    while (this.#queues.some((queue) => queue.entries.length > 0 && queue.attempt === 0)) {
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
    this.#closed = true;
    for (const queue of this.#queues) {
      if (queue.retry) clearTimeout(queue.retry);
      queue.retry = undefined;
    }
  }

  async #drain(queue: SinkQueue): Promise<void> {
    if (queue.running || queue.retry) return;
    queue.running = true;
    try {
      while (queue.entries.length > 0) {
        const entry = queue.entries[0]!;
        try {
          await queue.sink.write(entry.event);
        } catch (error) {
          queue.attempt += 1;
          this.#onError(error, entry.event);
          for (const waiting of queue.entries) waiting.failed(error);
          if (!this.#closed) {
            queue.retry = setTimeout(() => {
              queue.retry = undefined;
              void this.#drain(queue);
            }, this.#retryMs(queue.attempt));
          }
          return;
        }
        queue.attempt = 0;
        queue.entries.shift();
        entry.left -= 1;
        if (entry.left === 0) entry.written();
      }
    } finally {
      queue.running = false;
      for (const wake of this.#idle.splice(0)) wake();
    }
  }
}

function stripUndefined<T extends object>(value: T): T {
  const out = {} as Record<string, unknown>;
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = v;
  return out as T;
}
