/**
 * The timer functions the client schedules with. Injected so tests can observe and
 * shorten every wait instead of sleeping; the default is the runtime's own
 * `setTimeout`/`clearTimeout`.
 *
 * @example
 * ```ts
 * import type { Timers } from '@handshake/client';
 *
 * // Runs every timer ten times faster and records what was asked for.
 * const asked: number[] = [];
 * const fast: Timers = {
 *   setTimeout: (callback, ms) => {
 *     asked.push(ms);
 *     return setTimeout(callback, ms / 10);
 *   },
 *   clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
 * };
 * ```
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The runtime's timers.
 *
 * @example
 * ```ts
 * import { systemTimers } from '@handshake/client';
 *
 * const handle = systemTimers.setTimeout(() => console.log('later'), 10);
 * systemTimers.clearTimeout(handle);
 * ```
 */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

// Browsers and Node cap timers at 2^31 - 1 ms; a longer delay would fire at once.
const MAX_TIMER_MS = 2_147_483_647;

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal, timers: Timers): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      timers.clearTimeout(handle);
      reject(signal.reason);
    };
    const handle = timers.setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(Math.max(0, ms), MAX_TIMER_MS),
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A signal that aborts when any of `signals` does, with that signal's reason. Written
 * out because `AbortSignal.any` is missing from some edge runtimes. Call `dispose` when
 * done so long-lived parent signals do not keep listeners.
 */
export function linkSignals(signals: ReadonlyArray<AbortSignal | undefined>): {
  signal: AbortSignal;
  dispose: () => void;
} {
  const controller = new AbortController();
  const cleanups: Array<() => void> = [];
  for (const parent of signals) {
    if (!parent) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const onAbort = () => controller.abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => parent.removeEventListener('abort', onAbort));
  }
  return {
    signal: controller.signal,
    dispose: () => {
      for (const cleanup of cleanups) cleanup();
    },
  };
}

/**
 * Milliseconds to wait according to a `Retry-After` header: delay-seconds or an
 * HTTP-date (RFC 9110 §10.2.3). `undefined` when absent or unreadable.
 */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
