import type { HandshakeEngine, TimerScheduler } from '@handshake/core';
import type { Logger } from 'pino';

/**
 * Runs `engine.sweepAbandoned()` every `everyMs` until the returned function is called,
 * logging what each run resolved. A store that cannot list abandoned executions is
 * noted once and the sweep stops; a failed run is retried at the next interval.
 */
export function scheduleSweep(
  engine: HandshakeEngine,
  everyMs: number,
  timers: TimerScheduler,
  log: Logger,
): () => void {
  let handle: unknown;
  let stopped = false;
  const next = () => {
    if (stopped) return;
    handle = timers.setTimeout(run, everyMs);
    (handle as { unref?: () => void } | undefined)?.unref?.();
  };
  const run = async () => {
    try {
      const { supported, resolved } = await engine.sweepAbandoned();
      if (!supported) {
        log.info(
          'the store cannot list abandoned executions: their identical retries resolve them',
        );
        return;
      }
      if (resolved.length > 0) {
        log.warn(
          { count: resolved.length, transactions: resolved.map((call) => call.transactionId) },
          'calls a dead process left running were resolved: their outcome is unknown',
        );
      }
    } catch (error) {
      log.warn({ error: (error as Error).message }, 'the abandoned-execution sweep failed');
    }
    next();
  };
  next();
  return () => {
    stopped = true;
    timers.clearTimeout(handle);
  };
}
