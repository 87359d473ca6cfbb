import type { AfterBreak, Broken } from './wait-live.js';

/** Options of {@link reconnectWithBackoff}. */
export interface BackoffOptions {
  /** Pause before reconnecting until the service sends `retry:`. */
  delayMs: number;
  /** Ceiling of the backoff after consecutive failed connections. */
  maxDelayMs: number;
  /** Silent stream responses in a row before falling back to polling. */
  silentLimit: number;
  /** Hears each reconnection, numbered from 1. */
  onReconnect(attempt: number, delayMs: number, reason: Broken['reason']): void;
}

/**
 * The reconnection policy of a resumable stream (WHATWG HTML §9.2.3): after a break,
 * wait what the service's `retry:` (or `Retry-After`) asked, doubling the pause while
 * connections keep failing without a byte; after `silentLimit` streams in a row that
 * delivered nothing at all (a buffering proxy), give streaming up for polling.
 */
export function reconnectWithBackoff(
  options: BackoffOptions,
): (broken: Broken) => AfterBreak<'silent-streams'> {
  let failures = 0;
  let silentStreams = 0;
  let attempt = 0;
  return (broken) => {
    failures = broken.gotBytes ? 0 : failures + 1;
    silentStreams = broken.silent ? silentStreams + 1 : broken.gotBytes ? 0 : silentStreams;
    if (silentStreams >= options.silentLimit) return { fallback: 'silent-streams' };
    const base = broken.serverRetryMs ?? options.delayMs;
    const delayMs =
      broken.retryAfterMs ??
      (failures === 0 ? base : backoff(Math.max(base, 1), failures, options.maxDelayMs));
    attempt += 1;
    options.onReconnect(attempt, delayMs, broken.reason);
    return { reconnectAfterMs: delayMs };
  };
}

/** `base` doubled for each failure after the first, up to `max`. */
export function backoff(base: number, failures: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, failures - 1));
}
