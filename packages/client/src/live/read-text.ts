import type { Timers } from '../timers.js';

/**
 * Reads a small, non-stream body (a JSON status or error) within `timeoutMs`; rejects
 * when it takes longer or `signal` aborts (with the signal's reason).
 */
export async function readText(
  response: Response,
  options: { timeoutMs: number | false; timers: Timers; signal: AbortSignal },
): Promise<string> {
  const { timeoutMs, timers, signal } = options;
  if (timeoutMs === false) return response.text();
  let timer: unknown;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      response.text(),
      new Promise<never>((_, reject) => {
        timer = timers.setTimeout(
          () => reject(new Error(`reading the answer took longer than ${timeoutMs} ms`)),
          timeoutMs,
        );
        onAbort = () => reject(signal.reason);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    timers.clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
