import type { HandshakeEngine } from '../engine/engine.js';
import type { ApprovalRecord } from '../store/records.js';
import type { EventStreamAnswer } from './event-stream.js';
import { type LiveStream, type LiveStreamOptions, liveEventAnswer } from './live-stream.js';
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
  return liveEventAnswer(new RequesterMapper(options));
}

/**
 * The requester's stream as the live stream's options and mapper in one object: what a
 * waiting stream keeps of its request (the approval, the credential, the last version
 * sent), and no record.
 */
class RequesterMapper implements LiveStreamOptions {
  readonly engine: HandshakeEngine;
  readonly live: LiveTimers;
  readonly ids: readonly string[];
  // The requester waits for a decision, which every complete store announces (or
  // reports a gap): then no safety-net poll. Its deadline is checked in `start`.
  readonly poll: boolean;
  readonly kind = 'requester';
  readonly signal: AbortSignal | undefined;
  readonly retryMs: number;
  readonly #credential: string | undefined;
  #sentVersion: number;

  constructor(options: RequesterStreamOptions) {
    this.engine = options.engine;
    this.live = options.live;
    this.ids = [options.approvalId];
    this.poll = options.engine.store.approvalEventsComplete !== true;
    this.signal = options.signal;
    this.retryMs = options.retryMs;
    this.#credential = options.credential;
    this.#sentVersion = options.lastEventId;
  }

  // Only the deadline is kept of the first read: a waiting stream holds no record.
  async start(stream: LiveStream): Promise<boolean> {
    const expiresAt = (await this.#refresh(stream))?.expiresAt;
    if (expiresAt === undefined) return true;
    // Wake up at the decision deadline so expiry is reported without waiting for a poll.
    stream.checkAfter(Math.max(0, expiresAt - this.engine.clock.now()) + 5, 'deadline');
    return false;
  }

  async change(stream: LiveStream): Promise<boolean> {
    return (await this.#refresh(stream)) === undefined;
  }

  /** Sends what is new; the record while the approval is pending, else `undefined`. */
  async #refresh(stream: LiveStream): Promise<ApprovalRecord | undefined> {
    const engine = this.engine;
    const approvalId = this.ids[0] as string;
    const credential = this.#credential;
    const record = await engine.approvalForSession(approvalId, await engine.identify(credential));
    if (!record) return undefined;
    const terminal = record.status !== 'pending';
    if (record.version > this.#sentVersion || terminal) {
      // The view (with the ephemeral token once approved) comes from the same path as
      // the JSON endpoint, so both issue tokens the same way.
      stream.send('status', await engine.approvalStatus(approvalId, credential), record.version);
      this.#sentVersion = record.version;
      if (terminal) observeDelivery(engine, record, 'sse');
    }
    return terminal ? undefined : record;
  }
}
