import type { HandshakeEngine } from '../engine/engine.js';
import type { ApprovalRecord } from '../store/records.js';
import type { EventStreamAnswer } from './event-stream.js';
import { type LiveStream, liveEventAnswer } from './live-stream.js';
import type { LiveTimers } from './live-timers.js';
import { observeDelivery } from './stream-observer.js';

/**
 * Options of {@link requesterEventStream}.
 *
 * @example
 * ```ts
 * import type { HandshakeEngine } from '../engine/engine.js';
 * import { liveTimers } from './live-timers.js';
 * import type { RequesterStreamOptions } from './requester-stream.js';
 * declare const engine: HandshakeEngine;
 *
 * const options: RequesterStreamOptions = {
 *   engine,
 *   live: liveTimers({ heartbeatMs: 15_000, pollMs: 15_000 }),
 *   approvalId: 'apr_0123456789abcdef_x',
 *   credential: 'session-token',
 *   lastEventId: 0,
 *   signal: AbortSignal.timeout(60_000),
 *   retryMs: 2_000,
 * };
 * ```
 */
export interface RequesterStreamOptions {
  engine: HandshakeEngine;
  /** The handler's shared heartbeat and poll tickers and deadline queue. */
  live: LiveTimers;
  approvalId: string;
  credential: string | undefined;
  /** The `Last-Event-ID` the client resumes from (0 for none). */
  lastEventId: number;
  /** Ends the stream when it aborts; it also ends when the client goes away. */
  signal?: AbortSignal;
  retryMs: number;
}

/**
 * `GET /approvals/{id}` as Server-Sent Events, for the requester waiting on its
 * approval: `retry:` advice, then `event: status` messages with `id:` (the approval's
 * version, for `Last-Event-ID`), heartbeat comments, and the end of the stream after a
 * final status. Changes arrive through the engine's watch of approvals; the handler's
 * poll catches anything a notification missed, and a deadline at the approval's
 * expiry reports it without waiting for a poll. Every read checks the session again.
 *
 * @example
 * ```ts
 * import type { HandshakeEngine } from '../engine/engine.js';
 * import { liveTimers } from './live-timers.js';
 * import { requesterEventStream } from './requester-stream.js';
 * declare const engine: HandshakeEngine;
 *
 * const response = requesterEventStream({
 *   engine,
 *   live: liveTimers({ heartbeatMs: 15_000, pollMs: 15_000 }),
 *   approvalId: 'apr_0123456789abcdef_x',
 *   credential: 'session-token',
 *   lastEventId: 0,
 *   signal: AbortSignal.timeout(60_000),
 *   retryMs: 2_000,
 * });
 * ```
 */
export function requesterEventStream(options: RequesterStreamOptions): Response {
  return requesterEventAnswer(options).toResponse();
}

/** {@link requesterEventStream} as an {@link EventStreamAnswer}, which `serve()` writes natively. */
export function requesterEventAnswer(options: RequesterStreamOptions): EventStreamAnswer {
  const { engine, approvalId, credential } = options;
  let sentVersion = options.lastEventId;
  /** Sends what is new; the record while the approval is pending, else `undefined`. */
  const refresh = async (stream: LiveStream): Promise<ApprovalRecord | undefined> => {
    const record = await engine.approvalForSession(approvalId, await engine.identify(credential));
    if (!record) return undefined;
    const terminal = record.status !== 'pending';
    if (record.version > sentVersion || terminal) {
      // The view (with the ephemeral token once approved) comes from the same path as
      // the JSON endpoint, so both issue tokens the same way.
      stream.send('status', await engine.approvalStatus(approvalId, credential), record.version);
      sentVersion = record.version;
      if (terminal) observeDelivery(engine, record, 'sse');
    }
    return terminal ? undefined : record;
  };
  return liveEventAnswer({
    engine,
    live: options.live,
    ids: [approvalId],
    // The requester waits for a decision, which every complete store announces (or
    // reports a gap): then no safety-net poll. Its deadline is checked below.
    poll: engine.store.approvalEventsComplete !== true,
    kind: 'requester',
    signal: options.signal,
    retryMs: options.retryMs,
    // Only the deadline is kept of the first read: a waiting stream holds no record.
    async start(stream) {
      const expiresAt = (await refresh(stream))?.expiresAt;
      if (expiresAt === undefined) return true;
      // Wake up at the decision deadline so expiry is reported without waiting for a poll.
      stream.checkAfter(Math.max(0, expiresAt - engine.clock.now()) + 5, 'deadline');
      return false;
    },
    change: async (stream) => (await refresh(stream)) === undefined,
  });
}
