import { linkSignals, sleep, type Timers } from '../timers.js';

/** One status read while polling. */
export type PollRead<T> =
  | { kind: 'decided'; value: T }
  /** Still undecided; `retryAfterMs` is the service's `Retry-After`, if it sent one. */
  | { kind: 'pending'; retryAfterMs?: number | undefined }
  /** A transient failure: polling goes on, backing off. */
  | { kind: 'failed'; retryAfterMs?: number | undefined; error: unknown };

/** How to poll: the read, the pauses, and when to stop. */
export interface PollOptions<T> {
  /** One status read; a fatal failure is thrown. */
  read(signal: AbortSignal): Promise<PollRead<T>>;
  /** The pause after a read, given the failures in a row and the service's `Retry-After`. */
  delayMs(failures: number, retryAfterMs: number | undefined): number;
  /**
   * When this aborts, the current pause ends at once and the next read is the last;
   * if it decides nothing, polling ends with `giveUp`'s error.
   */
  until?: { signal: AbortSignal; giveUp(lastError: unknown): unknown };
}

/**
 * Reads the status until it is decided, pausing between reads (longer after failures,
 * as the service's `Retry-After` asks). `pauseFirst` waits before the first read (the
 * status was just read another way). Ends with `signal`'s reason when it aborts.
 */
export async function pollUntilDecided<T>(
  options: PollOptions<T> & {
    signal: AbortSignal;
    timers: Timers;
    pauseFirst: boolean;
    /** Hears each transient failure (the cause of a later timeout). */
    onFailure(error: unknown): void;
  },
): Promise<T> {
  const { signal, timers, until } = options;
  let failures = 0;
  let lastError: unknown;
  if (options.pauseFirst) await pause(options.delayMs(0, undefined));
  for (;;) {
    if (signal.aborted) throw signal.reason;
    const last = until?.signal.aborted ?? false;
    const read = await options.read(signal);
    if (read.kind === 'decided') return read.value;
    if (read.kind === 'failed') {
      failures += 1;
      lastError = read.error;
      options.onFailure(read.error);
    } else {
      failures = 0;
    }
    if (last && until) throw until.giveUp(lastError);
    await pause(options.delayMs(failures, read.retryAfterMs));
  }

  async function pause(ms: number): Promise<void> {
    if (!until) return sleep(ms, signal, timers);
    const wait = linkSignals([signal, until.signal]);
    try {
      await sleep(ms, wait.signal, timers);
    } catch (error) {
      if (signal.aborted) throw error;
      // `until` passed during the pause: one last read.
    } finally {
      wait.dispose();
    }
  }
}
