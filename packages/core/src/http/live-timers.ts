/**
 * The timers live streams use (heartbeats, safety-net polls, deadlines). Injected so
 * tests fire them instead of waiting.
 *
 * @example
 * ```ts
 * import type { TimerScheduler } from '@handshake/core';
 *
 * const timers: TimerScheduler = {
 *   setTimeout: (callback, ms) => setTimeout(callback, ms),
 *   clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
 * };
 * ```
 */
export interface TimerScheduler {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The runtime's own timers, the default {@link TimerScheduler}.
 *
 * @example
 * ```ts
 * import { systemTimers } from '@handshake/core';
 *
 * const handle = systemTimers.setTimeout(() => console.log('later'), 1_000);
 * systemTimers.clearTimeout(handle);
 * ```
 */
export const systemTimers: TimerScheduler = {
  setTimeout: (callback, ms) => setTimeout(callback, Math.min(ms, 2_147_483_647)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The longest delay runtimes accept (2^31 - 1 ms). */
const MAX_DELAY = 2_147_483_647;

/** Members run in one timer callback at most; the rest follow on the next turn. */
const SLICE = 64;

/** Members due within this of the first run with it (less for a period under 160 ms). */
const GROUP_MS = 10;

const monotonic = () => performance.now();

/**
 * A member of a {@link Ticker} or an entry of {@link Deadlines} that its owner keeps and
 * hands back to leave or cancel, in place of the closure `add` and `after` return: one
 * object per member, whose `fire` the timer calls. The ticker or queue sets `due`; an
 * entry belongs to one ticker or queue at a time.
 *
 * @example
 * ```ts
 * import { Ticker, type TimerEntry } from './live-timers.js';
 *
 * const heartbeats = new Ticker(15_000);
 * const beat: TimerEntry = { due: 0, fire: () => console.log('beat') };
 * heartbeats.join(beat);
 * heartbeats.leave(beat);
 * ```
 */
export interface TimerEntry {
  /** When it is next due, on the timer's clock; set by the ticker or queue. */
  due: number;
  /** Called when it falls due. */
  fire(): void;
}

/** The entry of a callback given to `add` or `after`. */
class CallbackEntry implements TimerEntry {
  due = 0;
  constructor(readonly callback: () => void) {}

  fire(): void {
    this.callback();
  }
}

/**
 * Many callbacks on one period with ONE timer: members are kept in the order they fall
 * due (all share the period, so that is the order they joined), and the timer is armed
 * for the first. Each member fires once per period, counted from when it joined, so
 * members that joined at different moments fire at different moments: no spike of
 * thousands of callbacks at once. Those due within 10 ms of each other (`period / 16`
 * for a shorter period) run in one callback (a little early, never late), at most 64
 * per turn of the event loop: a wider group would gather members that joined apart into
 * one burst, and thousands of heartbeats written in bursts cost the process far more
 * than the same heartbeats written as they fall due.
 * The timer exists only while there are members.
 *
 * @example
 * ```ts
 * import { Ticker } from './live-timers.js';
 *
 * const heartbeats = new Ticker(15_000);
 * const leave = heartbeats.add(() => console.log('beat'));
 * leave();
 * ```
 */
export class Ticker {
  readonly periodMs: number;
  readonly #timers: TimerScheduler;
  readonly #now: () => number;
  /** Insertion order is due order. */
  readonly #entries = new Set<TimerEntry>();
  #handle: unknown;
  #armed = false;
  #firing = false;

  constructor(periodMs: number, timers: TimerScheduler = systemTimers, now = monotonic) {
    if (!(periodMs > 0)) throw new RangeError('A ticker needs a positive period');
    this.periodMs = periodMs;
    this.#timers = timers;
    this.#now = now;
  }

  /** Members now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Calls `callback` every period from now on; returns the way to stop. */
  add(callback: () => void): () => void {
    const entry = new CallbackEntry(callback);
    this.join(entry);
    return () => this.leave(entry);
  }

  /**
   * Calls `entry.fire()` every period from now on, until {@link leave}: the same as
   * {@link add} without a closure per member. An entry already in joins again from now.
   */
  join(entry: TimerEntry): void {
    this.#entries.delete(entry);
    entry.due = this.#now() + this.periodMs;
    this.#entries.add(entry);
    if (!this.#armed && !this.#firing) this.#arm(this.periodMs);
  }

  /** Stops calling `entry` (nothing when it is not a member). */
  leave(entry: TimerEntry): void {
    if (this.#entries.delete(entry) && this.#entries.size === 0) this.#disarm();
  }

  #arm(ms: number): void {
    this.#armed = true;
    // Whole milliseconds: a due time minus another is not exact in floating point.
    this.#handle = this.#timers.setTimeout(() => this.#fire(), Math.max(0, Math.round(ms)));
  }

  #disarm(): void {
    if (!this.#armed) return;
    this.#armed = false;
    this.#timers.clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  #fire(): void {
    this.#armed = false;
    this.#handle = undefined;
    const first = this.#entries.values().next().value;
    if (first === undefined) return;
    // The timer fired for the first member: it is due even if the clock lags the timer.
    const now = Math.max(this.#now(), first.due);
    const window = Math.min(this.periodMs / 16, GROUP_MS);
    const horizon = now + window;
    let ran = 0;
    this.#firing = true;
    for (const entry of this.#entries) {
      if (entry.due > horizon || ran === SLICE) break;
      ran += 1;
      // Moved to the end: it is due again in a period, after every other member. A
      // timer that fired late does not make up for it with beats in a burst.
      this.#entries.delete(entry);
      entry.due = Math.max(entry.due + this.periodMs, now + this.periodMs - window);
      this.#entries.add(entry);
      try {
        entry.fire();
      } catch {
        // One member's failure must not stop the others' beats.
      }
    }
    this.#firing = false;
    const next = this.#entries.values().next().value;
    if (next !== undefined) this.#arm(ran === SLICE ? 0 : next.due - now);
  }
}

/**
 * One-shot callbacks at given delays with ONE timer, armed for the earliest.
 *
 * @example
 * ```ts
 * import { Deadlines } from './live-timers.js';
 *
 * const deadlines = new Deadlines();
 * const cancel = deadlines.after(60_000, () => console.log('expired'));
 * cancel();
 * ```
 */
export class Deadlines {
  readonly #timers: TimerScheduler;
  readonly #now: () => number;
  /** Sorted by due time, earliest first; equal times keep their order. */
  readonly #entries: TimerEntry[] = [];
  #handle: unknown;
  #armedFor = Number.POSITIVE_INFINITY;
  /** The timer was armed short of the deadline: runtimes cap a delay at 2^31 - 1 ms. */
  #short = false;

  constructor(timers: TimerScheduler = systemTimers, now = monotonic) {
    this.#timers = timers;
    this.#now = now;
  }

  /** Callbacks waiting now. */
  get size(): number {
    return this.#entries.length;
  }

  /** Calls `callback` once after `ms`; returns the way to cancel it. */
  after(ms: number, callback: () => void): () => void {
    const entry = new CallbackEntry(callback);
    this.schedule(ms, entry);
    return () => this.cancel(entry);
  }

  /**
   * Calls `entry.fire()` once after `ms`: the same as {@link after} without a closure
   * per deadline. The entry must not be waiting already; {@link cancel} it first.
   */
  schedule(ms: number, entry: TimerEntry): void {
    entry.due = this.#now() + Math.max(0, ms);
    const low = this.#after(entry.due);
    this.#entries.splice(low, 0, entry);
    if (low === 0) this.#rearm(Math.max(0, ms));
  }

  /** Cancels `entry` (nothing when it is not waiting: fired or cancelled already). */
  cancel(entry: TimerEntry): void {
    // Entries due at the same time sit together, from the first not earlier than it.
    let index = this.#before(entry.due);
    const entries = this.#entries;
    while (index < entries.length && entries[index] !== entry) {
      if ((entries[index] as TimerEntry).due !== entry.due) return;
      index += 1;
    }
    if (index === entries.length) return;
    entries.splice(index, 1);
    if (index === 0) {
      const next = entries[0];
      if (next === undefined) this.#rearm(undefined);
      else if (next.due !== this.#armedFor) this.#rearm(next.due - this.#now());
    }
  }

  /** The index of the first entry due after `due`. */
  #after(due: number): number {
    let low = 0;
    let high = this.#entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#entries[middle] as TimerEntry).due <= due) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The index of the first entry due at `due` or later. */
  #before(due: number): number {
    let low = 0;
    let high = this.#entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#entries[middle] as TimerEntry).due < due) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Arms the one timer `ms` from now (none when `undefined`). */
  #rearm(ms: number | undefined): void {
    if (this.#armedFor !== Number.POSITIVE_INFINITY) this.#timers.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const first = this.#entries[0];
    if (ms === undefined || first === undefined) return;
    this.#armedFor = first.due;
    this.#short = ms > MAX_DELAY;
    this.#handle = this.#timers.setTimeout(
      () => this.#fire(),
      Math.min(Math.max(0, Math.round(ms)), MAX_DELAY),
    );
  }

  #fire(): void {
    this.#handle = undefined;
    const first = this.#entries[0];
    this.#armedFor = Number.POSITIVE_INFINITY;
    if (first === undefined) return;
    if (this.#short) {
      this.#rearm(first.due - this.#now());
      return;
    }
    // The timer fired for the earliest entry: it is due even if the clock lags the timer.
    const now = Math.max(this.#now(), first.due);
    let count = 0;
    while (count < this.#entries.length && (this.#entries[count] as TimerEntry).due <= now) {
      count += 1;
    }
    for (const entry of this.#entries.splice(0, count)) {
      try {
        entry.fire();
      } catch {
        // One deadline's failure must not keep the others from firing.
      }
    }
    const next = this.#entries[0];
    if (next !== undefined && this.#armedFor === Number.POSITIVE_INFINITY) {
      this.#rearm(next.due - now);
    }
  }
}

/**
 * The shared timers of one handler's live streams: one heartbeat ticker, one poll
 * ticker and one deadline queue, whatever the number of streams.
 *
 * @example
 * ```ts
 * import { liveTimers } from '@handshake/core';
 *
 * const live = liveTimers({ heartbeatMs: 15_000, pollMs: 15_000 });
 * console.log(live.heartbeats.size); // 0
 * ```
 */
export interface LiveTimers {
  readonly heartbeats: Ticker;
  readonly polls: Ticker;
  readonly deadlines: Deadlines;
}

/**
 * Creates the {@link LiveTimers} of one handler.
 *
 * @example
 * ```ts
 * import { liveTimers } from '@handshake/core';
 *
 * const live = liveTimers({ heartbeatMs: 15_000, pollMs: 2_000 });
 * ```
 */
export function liveTimers(options: {
  heartbeatMs: number;
  pollMs: number;
  timers?: TimerScheduler;
}): LiveTimers {
  const timers = options.timers ?? systemTimers;
  return {
    heartbeats: new Ticker(options.heartbeatMs, timers),
    polls: new Ticker(options.pollMs, timers),
    deadlines: new Deadlines(timers),
  };
}
