import type { Clock } from '../types/common.js';
import { auditEventHash, GENESIS_HASH } from './audit-chain.js';
import type { AuditEvent, AuditSinkV1 } from './audit-event.js';

/** The fields the engine supplies for an event; the log adds the chain fields. */
export type AuditFields = Omit<AuditEvent, 'seq' | 'at' | 'chain' | 'prevHash' | 'hash'>;

/**
 * Builds the hash chain and hands events to the sinks in order. Hashes are computed
 * synchronously when an event is recorded, so concurrent requests still produce one
 * well-ordered chain; writes are queued so sinks see events in chain order.
 */
export class AuditLog {
  readonly #sinks: readonly AuditSinkV1[];
  readonly #clock: Clock;
  readonly #chain: string;
  readonly #onError: (error: unknown, event: AuditEvent) => void;
  #seq = 0;
  #prevHash = GENESIS_HASH;
  #tail: Promise<void> = Promise.resolve();

  constructor(
    sinks: readonly AuditSinkV1[],
    options: {
      clock: Clock;
      chain: string;
      onError?: (error: unknown, event: AuditEvent) => void;
    },
  ) {
    this.#sinks = sinks;
    this.#clock = options.clock;
    this.#chain = options.chain;
    this.#onError = options.onError ?? (() => {});
  }

  /** Appends an event; the promise settles when every sink has it (never rejects). */
  record(fields: AuditFields): Promise<void> {
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
    if (this.#sinks.length === 0) return Promise.resolve();
    const write = this.#tail.then(async () => {
      for (const sink of this.#sinks) {
        try {
          await sink.write(event);
        } catch (error) {
          this.#onError(error, event);
        }
      }
    });
    this.#tail = write;
    return write;
  }

  /** Resolves when every event recorded so far has been written. */
  flush(): Promise<void> {
    return this.#tail;
  }
}

function stripUndefined<T extends object>(value: T): T {
  const out = {} as Record<string, unknown>;
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = v;
  return out as T;
}
