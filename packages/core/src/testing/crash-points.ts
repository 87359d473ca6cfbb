import type { AuditEvent, AuditSinkV1 } from '../audit/audit-event.js';
import type { StoreV1 } from '../store/store-v1.js';
import type { ToolProviderV1 } from '../tools/tool-provider.js';

/**
 * A step of the execute path at which a process can die:
 *
 * - `after-write-ahead`: the `started` event is written, the token not yet consumed;
 * - `after-consume`: the token is consumed, the tool not yet called;
 * - `after-provider`: the tool ran (or failed), nothing of it recorded;
 * - `before-complete`: the store is about to record the outcome;
 * - `before-outcome-audit`: the store recorded the outcome, the audit trail not yet.
 *
 * @example
 * ```ts
 * import { CRASH_POINTS, type CrashPoint } from '@handshake/core/testing';
 *
 * const points: readonly CrashPoint[] = CRASH_POINTS; // every step, in execute order
 * ```
 */
export type CrashPoint =
  | 'after-write-ahead'
  | 'after-consume'
  | 'after-provider'
  | 'before-complete'
  | 'before-outcome-audit';

/**
 * Every {@link CrashPoint}, in the order the execute path reaches them.
 *
 * @example
 * ```ts
 * import { CRASH_POINTS } from '@handshake/core/testing';
 *
 * for (const point of CRASH_POINTS) console.log(point);
 * ```
 */
export const CRASH_POINTS: readonly CrashPoint[] = [
  'after-write-ahead',
  'after-consume',
  'after-provider',
  'before-complete',
  'before-outcome-audit',
];

/**
 * Options of {@link crashAt}.
 *
 * @example
 * ```ts
 * import { type CrashAtOptions, crashAt } from '@handshake/core/testing';
 *
 * // In a child process, die for real at the point.
 * const options: CrashAtOptions = { onCrash: () => process.kill(process.pid, 'SIGKILL') };
 * const crash = crashAt('after-consume', options);
 * ```
 */
export interface CrashAtOptions {
  /** Called once, at the point (a child process kills itself here). */
  onCrash?: () => void;
}

/**
 * The parts of one simulated process wrapped by {@link crashAt}, and whether it died.
 *
 * @example
 * ```ts
 * import type { CrashSwitch } from '@handshake/core/testing';
 * declare const crash: CrashSwitch;
 *
 * await crash.stopped;
 * console.log(`stopped at ${crash.point}`);
 * ```
 */
export interface CrashSwitch {
  readonly point: CrashPoint;
  /** Whether the process has reached its point and stopped. */
  readonly crashed: boolean;
  /** Settles when the process stops at its point. */
  readonly stopped: Promise<void>;
  store(store: StoreV1): StoreV1;
  tools(provider: ToolProviderV1): ToolProviderV1;
  audit(sink: AuditSinkV1): AuditSinkV1;
}

const OUTCOMES = new Set(['completed', 'failed', 'timeout']);

/**
 * Wraps a store, tool providers and audit sinks as one process that stops dead at
 * `point` of the first execute reaching it: from then on every call into a wrapped
 * part waits forever without reaching the part — the process does nothing more, as
 * after `kill -9` — while what it did before stays done. Give the wrapped parts to one
 * engine (the process that dies) and the plain parts to another (the one that starts
 * after it) to test recovery without a child process.
 *
 * @example
 * ```ts
 * import { createHandshake, MemoryStore, memoryAuditSink, type ToolProviderV1 } from '@handshake/core';
 * import { crashAt } from '@handshake/core/testing';
 * declare const tools: ToolProviderV1;
 *
 * const store = new MemoryStore();
 * const audit = memoryAuditSink();
 * const crash = crashAt('after-provider');
 * const dying = createHandshake({
 *   store: crash.store(store),
 *   tools: crash.tools(tools),
 *   audit: crash.audit(audit),
 * });
 * // … authorize and execute on `dying`, await crash.stopped, then recover with a new
 * // engine on `store` and `audit` …
 * ```
 */
export function crashAt(point: CrashPoint, options: CrashAtOptions = {}): CrashSwitch {
  let crashed = false;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const forever = new Promise<never>(() => {});
  const die = (): Promise<never> => {
    if (!crashed) {
      crashed = true;
      options.onCrash?.();
      stop();
    }
    return forever;
  };
  /** A proxy whose methods stop once dead, with some of them replaced. */
  const wrap = <T extends object>(target: T, replaced: Record<string, unknown>): T =>
    new Proxy(target, {
      get(object, property) {
        const value = Reflect.get(object, property, object);
        if (typeof value !== 'function') return value;
        const own = typeof property === 'string' ? replaced[property] : undefined;
        const run = (own ?? value.bind(object)) as (...args: unknown[]) => unknown;
        return (...args: unknown[]) => (crashed ? forever : run(...args));
      },
    });

  return {
    point,
    get crashed() {
      return crashed;
    },
    stopped,
    store(store) {
      return wrap(store, {
        consume: async (...args: Parameters<StoreV1['consume']>) => {
          const outcome = await store.consume(...args);
          if (point === 'after-consume' && outcome.status === 'ok') return die();
          return crashed ? forever : outcome;
        },
        complete: async (...args: Parameters<StoreV1['complete']>) => {
          if (point === 'before-complete') return die();
          await store.complete(...args);
          return crashed ? forever : undefined;
        },
      });
    },
    tools(provider) {
      return wrap(provider, {
        execute: async (...args: Parameters<ToolProviderV1['execute']>) => {
          let result: unknown;
          let failure: { error: unknown } | undefined;
          try {
            result = await provider.execute(...args);
          } catch (error) {
            failure = { error };
          }
          if (point === 'after-provider' || crashed) return die();
          if (failure) throw failure.error;
          return result;
        },
      });
    },
    audit(sink) {
      return wrap(sink, {
        write: async (event: AuditEvent) => {
          const outcome = event.type === 'execute' && OUTCOMES.has(event.outcome);
          if (point === 'before-outcome-audit' && outcome) return die();
          await sink.write(event);
          if (point === 'after-write-ahead' && event.outcome === 'started') return die();
          return crashed ? forever : undefined;
        },
      });
    },
  };
}
