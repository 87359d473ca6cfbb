import type { HandshakeEngine } from '../engine/engine.js';
import { HandshakeError } from '../errors/handshake-error.js';
import { eventStreamResponse } from '../http/event-stream.js';
import type { SessionIdentity } from '../sessions/session-verifier.js';
import type { ApprovalRecord } from '../store/records.js';
import type { ValidationResponse } from './schemas.js';

/**
 * The timers a validation stream uses (its timeout, heartbeats and safety-net polls).
 * Injected so tests fire them instead of waiting.
 *
 * @example
 * ```ts
 * import type { TimerScheduler } from '@handshake/core';
 *
 * const timers: TimerScheduler = {
 *   setTimeout: (callback, ms) => setTimeout(callback, ms),
 *   clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
 * };
 * ```
 */
export interface TimerScheduler {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The runtime's own timers, the default {@link TimerScheduler}.
 *
 * @example
 * ```ts
 * import { systemTimers } from '@handshake/core';
 *
 * const handle = systemTimers.setTimeout(() => console.log('later'), 1_000);
 * systemTimers.clearTimeout(handle);
 * ```
 */
export const systemTimers: TimerScheduler = {
  setTimeout: (callback, ms) => setTimeout(callback, Math.min(ms, 2_147_483_647)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** What the stream needs to know of the pending validation. */
export interface ValidationStreamOptions {
  engine: HandshakeEngine;
  credential: string;
  identity: SessionIdentity;
  /** The `pending` event's data. */
  pending: ValidationResponse & { authorization_id: string; transaction_id: string };
  /** How long the request waits for a decision. */
  timeoutMs: number;
  heartbeatMs: number;
  pollMs: number;
  timers: TimerScheduler;
  signal: AbortSignal;
}

/**
 * The SSE answer of a validation that waits for a person: `pending` first, then
 * exactly one of `approved` (with the validation token), `denied` or `timeout`, then
 * the end of the stream. Each event carries `id:` (the approval's version, usable as
 * `Last-Event-ID` on `GET /approvals/{id}`), and a `: heartbeat` comment is sent every
 * `heartbeatMs`. A timeout ends the wait, not the approval: it stays pending until its
 * own deadline, and `authorization-status` can still be polled.
 */
export function validationEventStream(options: ValidationStreamOptions): Response {
  const { engine, pending, timers } = options;
  const approvalId = pending.authorization_id;
  return eventStreamResponse((channel) => {
    const { write, finish } = channel;
    let version = 1;
    let queue: Promise<void> = Promise.resolve();
    const handles = new Set<unknown>();

    const send = (event: string, data: ValidationResponse) => {
      write(`id: ${version}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const schedule = (callback: () => void, ms: number) => {
      const handle = timers.setTimeout(() => {
        handles.delete(handle);
        callback();
      }, ms);
      handles.add(handle);
    };
    // One check at a time, in order: a decision, a poll and the timeout never race.
    const enqueue = (task: () => Promise<void>) => {
      queue = queue
        .then(() => (channel.closed ? undefined : task()))
        .catch((error: unknown) => {
          const code = HandshakeError.isInstance(error) ? error.code : 'INTERNAL_ERROR';
          write(`event: error\ndata: ${JSON.stringify({ code })}\n\n`);
          finish();
        });
    };

    const base = {
      authorization_id: approvalId,
      transaction_id: pending.transaction_id,
      ...(pending.amount ? { amount: pending.amount } : {}),
    };
    const settle = async (record: ApprovalRecord): Promise<boolean> => {
      version = record.version;
      if (record.status === 'pending') return false;
      if (record.status === 'approved') {
        // Issued through the same path as `authorization-status` and `GET /approvals/{id}`.
        const view = await engine.approvalStatus(approvalId, options.credential);
        send('approved', {
          status: 'approved',
          ...base,
          ...(view.ephemeralToken ? { validation_token: view.ephemeralToken } : {}),
          ...(view.tokenExpiresAt ? { expires_at: view.tokenExpiresAt } : {}),
          message: view.ephemeralToken
            ? 'Approved: create the virtual card with this validation token before it expires'
            : 'Approved, but the validation token was already used or has lapsed',
        });
      } else if (record.status === 'denied') {
        send('denied', {
          status: 'denied',
          ...base,
          ...(record.reason !== undefined ? { reason: record.reason } : {}),
          message: 'The purchase was denied',
        });
      } else {
        send('timeout', {
          status: 'timeout',
          ...base,
          message: 'No decision was made before the authorization expired',
        });
      }
      finish();
      return true;
    };
    const check = () =>
      enqueue(async () => {
        const record = await engine.approvalForSession(approvalId, options.identity);
        if (!record) {
          throw new HandshakeError('NOT_FOUND', 'No such approval');
        }
        await settle(record);
      });

    const unsubscribe = engine.store.subscribeApprovals?.((event) => {
      if (event.approvalId === approvalId) check();
    });
    const heartbeat = () => {
      write(': heartbeat\n\n');
      if (!channel.closed) schedule(heartbeat, options.heartbeatMs);
    };
    const poll = () => {
      check();
      if (!channel.closed) schedule(poll, options.pollMs);
    };
    const onAbort = () => finish();
    options.signal.addEventListener('abort', onAbort, { once: true });
    channel.onClose(() => {
      unsubscribe?.();
      for (const handle of handles) timers.clearTimeout(handle);
      handles.clear();
      options.signal.removeEventListener('abort', onAbort);
    });

    if (options.signal.aborted) {
      finish();
      return;
    }
    send('pending', pending);
    schedule(heartbeat, options.heartbeatMs);
    schedule(poll, options.pollMs);
    const approvalDeadline = Date.parse(pending.expires_at ?? '');
    const untilExpiry = Number.isFinite(approvalDeadline)
      ? approvalDeadline - engine.clock.now() + 5
      : Number.POSITIVE_INFINITY;
    if (untilExpiry < options.timeoutMs) schedule(check, Math.max(0, untilExpiry));
    schedule(
      () =>
        enqueue(async () => {
          // A decision that arrived just now wins over the timeout.
          const record = await engine.approvalForSession(approvalId, options.identity);
          if (record && (await settle(record))) return;
          send('timeout', {
            status: 'timeout',
            ...base,
            message:
              'No decision yet; the authorization is still pending: poll authorization-status or validate again',
          });
          finish();
        }),
      options.timeoutMs,
    );
    // A decision made between authorize and subscribe is not missed.
    check();
  });
}
