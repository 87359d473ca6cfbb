import type { Timers } from '../timers.js';

/** The abort reason of a connection the watchdog gave up on. */
const HEARTBEAT_LOST = Symbol('heartbeat lost');

/**
 * Ends a connection that goes silent: every `arm()` (at the request, then at each chunk
 * received) restarts a countdown of `ms`; when it runs out, `controller` aborts, which
 * ends the connection's fetch and body. The service sends a heartbeat comment well
 * within `ms`, so silence means the connection is dead (or a proxy holds it).
 */
export class HeartbeatWatchdog {
  readonly #timers: Timers;
  readonly #ms: number;
  readonly #controller: AbortController;
  #handle: unknown;

  constructor(timers: Timers, ms: number, controller: AbortController) {
    this.#timers = timers;
    this.#ms = ms;
    this.#controller = controller;
  }

  /** Starts, or restarts, the countdown. */
  arm(): void {
    this.#timers.clearTimeout(this.#handle);
    this.#handle = this.#timers.setTimeout(() => this.#controller.abort(HEARTBEAT_LOST), this.#ms);
  }

  /** True when the countdown ran out and ended the connection. */
  get lost(): boolean {
    const { signal } = this.#controller;
    return signal.aborted && signal.reason === HEARTBEAT_LOST;
  }

  /** Cancels the countdown. */
  stop(): void {
    this.#timers.clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}
