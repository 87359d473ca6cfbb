import { canonicalize, sha256Hex } from '@handshake/protocol';
import type { AuditEvent } from './audit-event.js';

/**
 * The `prevHash` of a chain's first event.
 *
 * @example
 * ```ts
 * import { GENESIS_HASH, memoryAuditSink } from '@handshake/core';
 *
 * const sink = memoryAuditSink();
 * // … after the engine wrote events …
 * const first = sink.events[0];
 * if (first) console.log(first.prevHash === GENESIS_HASH); // true
 * ```
 */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Computes an event's hash: SHA-256 of the canonical JSON of the event without `hash`.
 *
 * @example
 * ```ts
 * import { type AuditEvent, auditEventHash } from '@handshake/core';
 * declare const event: AuditEvent;
 *
 * const intact = auditEventHash(event) === event.hash;
 * ```
 */
export function auditEventHash(event: Omit<AuditEvent, 'hash'> | AuditEvent): string {
  const { hash: _ignored, ...rest } = event as AuditEvent;
  return sha256Hex(canonicalize(rest));
}

/**
 * The result of {@link verifyAuditChain}.
 *
 * @example
 * ```ts
 * import { type AuditChainVerdict, type AuditEvent, verifyAuditChain } from '@handshake/core';
 * declare const events: AuditEvent[];
 *
 * const verdict: AuditChainVerdict = verifyAuditChain(events);
 * console.log(verdict.ok ? `${verdict.count} events intact` : `broken at ${verdict.index}: ${verdict.reason}`);
 * ```
 */
export type AuditChainVerdict =
  | { ok: true; count: number }
  | { ok: false; index: number; reason: string };

/**
 * Checks a chain of audit events (one `chain` id, in order): each hash matches its
 * content, each `prevHash` is the previous hash, and `seq` counts up from the first
 * event's. A changed event fails its hash; a removed or reordered one breaks the links.
 *
 * @example
 * ```ts
 * import { verifyAuditChain } from '@handshake/core';
 *
 * const verdict = verifyAuditChain([]);
 * if (!verdict.ok) console.error(`audit event ${verdict.index}: ${verdict.reason}`);
 * ```
 */
export function verifyAuditChain(
  events: readonly AuditEvent[],
  options: { expectGenesis?: boolean } = {},
): AuditChainVerdict {
  let prev: AuditEvent | undefined;
  for (const [index, event] of events.entries()) {
    if (auditEventHash(event) !== event.hash) {
      return { ok: false, index, reason: 'content does not match its hash' };
    }
    if (prev === undefined) {
      if ((options.expectGenesis ?? true) && (event.prevHash !== GENESIS_HASH || event.seq !== 0)) {
        return { ok: false, index, reason: 'chain does not start at its first event' };
      }
    } else {
      if (event.chain !== prev.chain) {
        return { ok: false, index, reason: 'event belongs to another chain' };
      }
      if (event.prevHash !== prev.hash) {
        return { ok: false, index, reason: 'link to the previous event is broken' };
      }
      if (event.seq !== prev.seq + 1) {
        return { ok: false, index, reason: 'sequence number is out of order' };
      }
    }
    prev = event;
  }
  return { ok: true, count: events.length };
}
