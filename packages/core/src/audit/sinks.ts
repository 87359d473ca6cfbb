import type { AuditEvent, AuditSinkV1 } from './audit-event.js';

/**
 * An in-memory sink; `events` holds everything written, in order.
 *
 * @example
 * ```ts
 * import { type MemoryAuditSink, memoryAuditSink } from '@handshake/core';
 *
 * const sink: MemoryAuditSink = memoryAuditSink();
 * const refusals = () => sink.events.filter((event) => event.type === 'refusal');
 * ```
 */
export interface MemoryAuditSink extends AuditSinkV1 {
  readonly events: AuditEvent[];
}

/**
 * Keeps events in memory, for tests and demos.
 *
 * @example
 * ```ts
 * import { memoryAuditSink, verifyAuditChain } from '@handshake/core';
 *
 * const sink = memoryAuditSink();
 * // … run the engine with { audit: sink } …
 * verifyAuditChain(sink.events);
 * ```
 */
export function memoryAuditSink(): MemoryAuditSink {
  const events: AuditEvent[] = [];
  return {
    specificationVersion: 'v1',
    events,
    write(event) {
      events.push(event);
    },
  };
}

/**
 * Options of {@link httpAuditSink}.
 *
 * @example
 * ```ts
 * import { type HttpAuditSinkOptions, httpAuditSink } from '@handshake/core';
 *
 * const options: HttpAuditSinkOptions = {
 *   url: 'https://audit.example.com/events',
 *   headers: { authorization: 'Bearer audit-writer' },
 *   attempts: 5,
 * };
 * const sink = httpAuditSink(options);
 * ```
 */
export interface HttpAuditSinkOptions {
  url: string | URL;
  headers?: Record<string, string>;
  /** Attempts per event before the write fails (default 3). */
  attempts?: number;
  /** Delay before retry n (ms); default 100 × 2^n. */
  backoffMs?: (attempt: number) => number;
  fetch?: typeof fetch;
  /** Waits between attempts; injected in tests. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * POSTs each event as JSON to an endpoint, retrying failures with backoff. A write
 * that still fails rejects, so the engine's audit policy decides what happens.
 *
 * @example
 * ```ts
 * import { httpAuditSink } from '@handshake/core';
 *
 * const sink = httpAuditSink({ url: 'https://audit.example.com/events' });
 * ```
 */
export function httpAuditSink(options: HttpAuditSinkOptions): AuditSinkV1 {
  const attempts = options.attempts ?? 3;
  const backoff = options.backoffMs ?? ((n: number) => 100 * 2 ** n);
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  return {
    specificationVersion: 'v1',
    async write(event) {
      let lastError: unknown;
      for (let attempt = 0; attempt < attempts; attempt += 1) {
        try {
          const response = await doFetch(options.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...options.headers },
            body: JSON.stringify(event),
          });
          if (response.ok) return;
          lastError = new Error(`audit endpoint answered ${response.status}`);
        } catch (error) {
          lastError = error;
        }
        if (attempt < attempts - 1) await sleep(backoff(attempt));
      }
      throw new Error(`audit event ${event.seq} could not be delivered`, { cause: lastError });
    },
  };
}
