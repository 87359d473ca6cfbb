import { type ApprovalSummary, HandshakeError } from '@handshake/protocol';
import type { HandshakeEngine } from '../engine/engine.js';
import type { ApprovalStatus } from '../store/records.js';
import type { EventStreamAnswer } from './event-stream.js';
import { type LiveStream, liveEventAnswer } from './live-stream.js';
import type { LiveTimers } from './live-timers.js';

/** Options of {@link approverEventStream}. */
export interface ApproverStreamOptions {
  engine: HandshakeEngine;
  /** The handler's shared heartbeat and poll tickers and deadline queue. */
  live: LiveTimers;
  /** The approver credential; checked again on every read, so a revoked one ends the stream. */
  credential: string | undefined;
  /** Filter of the opening snapshot, as for `GET /approvals`. */
  filter: { status?: ApprovalStatus; limit?: number };
  /** Ends the stream when it aborts; it also ends when the client goes away. */
  signal?: AbortSignal;
  retryMs: number;
}

/** The pending approvals the safety-net poll reads at most. */
const POLL_LIMIT = 200;

/** How many decided approvals the stream remembers, to avoid sending a decision twice. */
const REMEMBER_DECIDED = 1_000;

/**
 * `GET /approvals` as Server-Sent Events, for approvers (the console listens here).
 *
 * The stream opens with `retry:` advice and one `event: snapshot` whose data is
 * `{ approvals, now }`: the list `GET /approvals` would answer for the same `status`
 * and `limit`, and the engine's clock. After that, every approval that appears or
 * changes status arrives as `event: approval` with its `ApprovalSummary`, whatever the
 * snapshot's filter, so a pending request is seen leaving once decided or expired.
 *
 * Changes arrive through the engine's watch of every approval; a poll of the pending
 * list every poll period catches anything a notification missed, and a deadline at
 * the earliest expiry reports it on time. Events carry no `id:`: a reconnecting client gets
 * a fresh snapshot, which is the whole state. Heartbeat comments keep proxies from
 * closing an idle stream. A failure to read (store down, credential revoked) sends
 * `event: error` with `{ code }` and closes.
 *
 * @example
 * ```ts
 * import type { HandshakeEngine } from '../engine/engine.js';
 * import { approverEventStream } from './approver-stream.js';
 * import { liveTimers } from './live-timers.js';
 * declare const engine: HandshakeEngine;
 * declare const request: Request;
 *
 * const response = approverEventStream({
 *   engine,
 *   live: liveTimers({ heartbeatMs: 15_000, pollMs: 2_000 }),
 *   credential: 'approver-token',
 *   filter: { status: 'pending' },
 *   signal: request.signal,
 *   retryMs: 2_000,
 * });
 * ```
 */
export function approverEventStream(options: ApproverStreamOptions): Response {
  return approverEventAnswer(options).toResponse();
}

/** {@link approverEventStream} as an {@link EventStreamAnswer}, which `serve()` writes natively. */
export function approverEventAnswer(options: ApproverStreamOptions): EventStreamAnswer {
  const { engine, credential } = options;
  // Where events go: the stream `start` receives.
  let out: LiveStream;
  /** Last status sent per approval; insertion order is the age of the entry. */
  const sent = new Map<string, ApprovalStatus>();
  let cancelDeadline: (() => void) | undefined;

  const remember = (summary: ApprovalSummary) => {
    sent.delete(summary.approvalId);
    sent.set(summary.approvalId, summary.status);
    if (sent.size <= REMEMBER_DECIDED + POLL_LIMIT) return;
    for (const [id, status] of sent) {
      if (sent.size <= REMEMBER_DECIDED + POLL_LIMIT) break;
      if (status !== 'pending') sent.delete(id);
    }
  };
  const sendIfChanged = (summary: ApprovalSummary) => {
    if (sent.get(summary.approvalId) === summary.status) return;
    remember(summary);
    out.send('approval', summary);
  };
  const armDeadline = (pending: readonly ApprovalSummary[]) => {
    cancelDeadline?.();
    cancelDeadline = undefined;
    let earliest = Number.POSITIVE_INFINITY;
    for (const summary of pending) {
      earliest = Math.min(earliest, Date.parse(summary.expiresAt));
    }
    if (!Number.isFinite(earliest)) return;
    cancelDeadline = out.checkAfter(Math.max(0, earliest - engine.clock.now()) + 5, 'deadline');
  };
  const refreshOne = async (approvalId: string) => {
    let summary: ApprovalSummary;
    try {
      summary = await engine.approvalSummary(approvalId, credential);
    } catch (error) {
      if (HandshakeError.isInstance(error) && error.code === 'NOT_FOUND') {
        sent.delete(approvalId);
        return;
      }
      throw error;
    }
    sendIfChanged(summary);
  };
  const poll = async () => {
    // Listing also expires the pending approvals whose deadline passed.
    const pending = await engine.listApprovals(
      { status: 'pending', limit: POLL_LIMIT },
      credential,
    );
    const stillPending = new Set<string>();
    for (const summary of pending) {
      stillPending.add(summary.approvalId);
      sendIfChanged(summary);
    }
    for (const [id, status] of [...sent]) {
      if (status === 'pending' && !stillPending.has(id)) await refreshOne(id);
    }
    armDeadline(pending);
  };

  return liveEventAnswer({
    engine,
    live: options.live,
    kind: 'approver',
    signal: options.signal,
    retryMs: options.retryMs,
    // The watch began before the snapshot is read, so nothing that happens meanwhile
    // is lost: it waits for `change`.
    async start(stream) {
      out = stream;
      const approvals = await engine.listApprovals(options.filter, credential);
      for (const summary of approvals) remember(summary);
      const now = new Date(engine.clock.now()).toISOString();
      stream.send('snapshot', { approvals, now });
      // A first poll picks up pending approvals beyond the snapshot's filter and arms
      // the deadline.
      await poll();
      return false;
    },
    async change(_stream, change) {
      if (change.type === 'check') await poll();
      else if (sent.get(change.approvalId) !== change.status) await refreshOne(change.approvalId);
      return false;
    },
  });
}
