import type { HandshakeEngine } from '../engine/engine.js';
import { HandshakeError } from '../errors/handshake-error.js';
import type { ApprovalSummary } from '../schemas/wire.js';
import type { ApprovalStatus } from '../store/records.js';
import { eventStreamResponse } from './event-stream.js';

/** Options of {@link approverEventStream}. */
export interface ApproverStreamOptions {
  engine: HandshakeEngine;
  /** The approver credential; checked again on every read, so a revoked one ends the stream. */
  credential: string | undefined;
  /** Filter of the opening snapshot, as for `GET /approvals`. */
  filter: { status?: ApprovalStatus; limit?: number };
  signal: AbortSignal;
  heartbeatMs: number;
  pollMs: number;
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
 * Changes arrive through the store's notifications; a poll of the pending list every
 * `pollMs` catches anything a notification missed, and a timer at the earliest
 * deadline reports expiry on time. Events carry no `id:`: a reconnecting client gets
 * a fresh snapshot, which is the whole state. Heartbeat comments keep proxies from
 * closing an idle stream. A failure to read (store down, credential revoked) sends
 * `event: error` with `{ code }` and closes.
 *
 * @example
 * ```ts
 * import type { HandshakeEngine } from '../engine/engine.js';
 * import { approverEventStream } from './approvals-stream.js';
 * declare const engine: HandshakeEngine;
 * declare const request: Request;
 *
 * const response = approverEventStream({
 *   engine,
 *   credential: 'approver-token',
 *   filter: { status: 'pending' },
 *   signal: request.signal,
 *   heartbeatMs: 15_000,
 *   pollMs: 2_000,
 *   retryMs: 2_000,
 * });
 * ```
 */
export function approverEventStream(options: ApproverStreamOptions): Response {
  const { engine, credential } = options;
  return eventStreamResponse((channel) => {
    const { write, finish } = channel;
    /** Last status sent per approval; insertion order is the age of the entry. */
    const sent = new Map<string, ApprovalStatus>();
    const dirty = new Set<string>();
    let pollDue = false;
    let snapshotDone = false;
    let running = false;
    let deadlineTimer: ReturnType<typeof setTimeout> | undefined;

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
      write(`event: approval\ndata: ${JSON.stringify(summary)}\n\n`);
    };
    const armDeadline = (pending: readonly ApprovalSummary[]) => {
      if (deadlineTimer) clearTimeout(deadlineTimer);
      deadlineTimer = undefined;
      let earliest = Number.POSITIVE_INFINITY;
      for (const summary of pending) {
        earliest = Math.min(earliest, Date.parse(summary.expiresAt));
      }
      if (!Number.isFinite(earliest)) return;
      const delay = Math.max(0, earliest - engine.clock.now()) + 5;
      deadlineTimer = setTimeout(
        () => {
          pollDue = true;
          void pump();
        },
        Math.min(delay, 2_147_483_647),
      );
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

    const pump = async () => {
      if (channel.closed || running || !snapshotDone) return;
      running = true;
      try {
        while (!channel.closed && (dirty.size > 0 || pollDue)) {
          if (pollDue) {
            pollDue = false;
            await poll();
            continue;
          }
          const [id] = dirty;
          if (id === undefined) break;
          dirty.delete(id);
          await refreshOne(id);
        }
      } catch (error) {
        const code = HandshakeError.isInstance(error) ? error.code : 'INTERNAL_ERROR';
        write(`event: error\ndata: ${JSON.stringify({ code })}\n\n`);
        finish();
      } finally {
        running = false;
      }
    };

    // Subscribe before the snapshot, so nothing that happens while it is read is lost.
    const unsubscribe = engine.store.subscribeApprovals?.((event) => {
      if (sent.get(event.approvalId) === event.status) return;
      dirty.add(event.approvalId);
      void pump();
    });
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), options.heartbeatMs);
    const poller = setInterval(() => {
      pollDue = true;
      void pump();
    }, options.pollMs);
    const onAbort = () => finish();
    options.signal.addEventListener('abort', onAbort, { once: true });
    channel.onClose(() => {
      unsubscribe?.();
      clearInterval(heartbeat);
      clearInterval(poller);
      if (deadlineTimer) clearTimeout(deadlineTimer);
      options.signal.removeEventListener('abort', onAbort);
    });

    write(`retry: ${options.retryMs}\n\n`);
    void (async () => {
      try {
        const approvals = await engine.listApprovals(options.filter, credential);
        for (const summary of approvals) remember(summary);
        const now = new Date(engine.clock.now()).toISOString();
        write(`event: snapshot\ndata: ${JSON.stringify({ approvals, now })}\n\n`);
        snapshotDone = true;
        // A first poll picks up pending approvals beyond the snapshot's filter and arms
        // the deadline timer.
        pollDue = true;
        await pump();
      } catch (error) {
        const code = HandshakeError.isInstance(error) ? error.code : 'INTERNAL_ERROR';
        write(`event: error\ndata: ${JSON.stringify({ code })}\n\n`);
        finish();
      }
    })();
  });
}
