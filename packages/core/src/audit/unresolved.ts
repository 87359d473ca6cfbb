import type { AuditEvent } from './audit-event.js';

/** The call an execute event is about: its user, tool and parameters. */
const callOf = (event: AuditEvent) => `${event.userId}\u0000${event.tool}\u0000${event.paramsHash}`;

/**
 * The `execute`/`started` events of a trail that nothing after them resolves: no later
 * `execute` event of another outcome, and no refusal, for the same user, tool and
 * parameters (and the same transaction, when the started event names one). Each is a
 * call the process writing the trail stopped in the middle of — after its `started`
 * event, the token may have been consumed and the tool may have run. Give the events in
 * the order they were written; one pass, holding only the unresolved ones.
 *
 * A refusal folded into a summary (`refusalWindowMs`) is not seen: the call it refused
 * is listed, which errs on the side of looking into it.
 *
 * @example
 * ```ts
 * import { type AuditEvent, unresolvedExecutions } from '@handshake/core';
 * declare const trail: AuditEvent[];
 *
 * for (const started of await unresolvedExecutions(trail)) {
 *   console.warn(`${started.tool} ${started.transactionId ?? ''} never finished`);
 * }
 * ```
 */
export async function unresolvedExecutions(
  events: Iterable<AuditEvent> | AsyncIterable<AuditEvent>,
): Promise<AuditEvent[]> {
  const open = new Map<string, AuditEvent[]>();
  for await (const event of events) {
    if (event.type === 'execute' && event.outcome === 'started') {
      const key = callOf(event);
      open.set(key, [...(open.get(key) ?? []), event]);
      continue;
    }
    if (event.type !== 'execute' && event.type !== 'refusal') continue;
    const key = callOf(event);
    const waiting = open.get(key);
    if (!waiting) continue;
    const left = waiting.filter(
      (started) =>
        started.transactionId !== undefined && started.transactionId !== event.transactionId,
    );
    if (left.length > 0) open.set(key, left);
    else open.delete(key);
  }
  return [...open.values()].flat().sort((a, b) => a.at.localeCompare(b.at));
}
