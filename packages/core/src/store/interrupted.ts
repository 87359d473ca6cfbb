import type { AuditEvent } from '../audit/audit-event.js';
import { abandonedOutcome } from '../engine/recovery.js';
import { UnsupportedSpecificationVersionError } from '../types/specification-version.js';
import type { ConsumeOp, ConsumeOutcome, StoreV1 } from './store-v1.js';

/**
 * Wraps a store so that the identical retry of a call interrupted by a stop of the
 * service hears that its outcome is unknown, even when the store lost the call's token
 * (the memory store does, with its process). `interrupted` are the `started` audit
 * events nothing resolved (see `unresolvedExecutions`); a consume the store answers
 * `unknown`, for the transaction, user, tool and parameters of one of them, is answered
 * with a completed tombstone whose failure says the outcome is unknown — so the engine
 * replays that answer instead of refusing the token as invalid, and nothing runs.
 * Calls that named no transaction cannot be told apart and keep the store's answer.
 *
 * @example
 * ```ts
 * import { answerInterrupted, type AuditEvent, MemoryStore } from '@handshake/core';
 * declare const interrupted: AuditEvent[]; // from the audit trail of the stopped process
 *
 * const store = answerInterrupted(new MemoryStore(), interrupted);
 * ```
 */
export function answerInterrupted(store: StoreV1, interrupted: readonly AuditEvent[]): StoreV1 {
  UnsupportedSpecificationVersionError.check('store', store);
  const byTransaction = new Map<string, AuditEvent>();
  for (const event of interrupted) {
    if (event.transactionId !== undefined) byTransaction.set(event.transactionId, event);
  }
  if (byTransaction.size === 0) return store;
  const answer = (op: ConsumeOp, outcome: ConsumeOutcome): ConsumeOutcome => {
    if (outcome.status !== 'unknown' || op.expect.transactionId === undefined) return outcome;
    const started = byTransaction.get(op.expect.transactionId);
    if (
      !started ||
      started.userId !== op.expect.userId ||
      started.tool !== op.expect.tool ||
      started.paramsHash !== op.expect.paramsHash
    ) {
      return outcome;
    }
    return {
      status: 'used',
      tombstone: {
        transactionId: op.expect.transactionId,
        userId: op.expect.userId,
        // The stopped process's session is not in the trail: the caller's own is named,
        // so the user hears the answer rather than a refusal.
        sessionId: op.sessionId,
        tool: op.expect.tool,
        paramsHash: op.expect.paramsHash,
        state: 'completed',
        consumedAt: Date.parse(started.at),
        outcome: abandonedOutcome(op.expect.tool),
      },
    };
  };
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property === 'consume') {
        return async (op: ConsumeOp) => answer(op, await target.consume(op));
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
