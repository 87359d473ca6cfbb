import type { HandshakeEngine } from '../engine/engine.js';
import { HandshakeError } from '../errors/handshake-error.js';
import type { ApprovalView } from '../schemas/wire.js';
import { eventStreamResponse } from './event-stream.js';

/** Options of {@link approvalEventStream}. */
export interface ApprovalStreamOptions {
  engine: HandshakeEngine;
  approvalId: string;
  credential: string | undefined;
  /** The `Last-Event-ID` the client resumes from (0 for none). */
  lastEventId: number;
  signal: AbortSignal;
  heartbeatMs: number;
  pollMs: number;
  retryMs: number;
}

/**
 * `GET /approvals/{id}` as Server-Sent Events: `event: status` messages with
 * `id:` (the approval's version, for `Last-Event-ID`), a heartbeat comment every
 * `heartbeatMs`, `retry:` advice, and the end of the stream after a final status.
 * Changes arrive through the store's notifications; a slow poll catches anything a
 * notification missed, and a timer fires at the decision deadline.
 */
export function approvalEventStream(options: ApprovalStreamOptions): Response {
  const { engine, approvalId } = options;
  return eventStreamResponse((channel) => {
    const { write, finish } = channel;
    let sentVersion = options.lastEventId;
    let running = false;
    let again = false;
    const timers: Array<ReturnType<typeof setTimeout>> = [];

    const send = (view: ApprovalView, version: number) => {
      write(`id: ${version}\nevent: status\ndata: ${JSON.stringify(view)}\n\n`);
    };

    const refresh = async () => {
      if (channel.closed) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          const record = await engine.approvalForSession(
            approvalId,
            await engine.identify(options.credential),
          );
          if (!record) {
            finish();
            return;
          }
          const terminal = record.status !== 'pending';
          if (record.version > sentVersion || terminal) {
            // The view (with the ephemeral token once approved) comes from the same
            // path as the JSON endpoint, so both issue tokens the same way.
            const view = await engine.approvalStatus(approvalId, options.credential);
            send(view, record.version);
            sentVersion = record.version;
          }
          if (terminal) {
            finish();
            return;
          }
        } while (again && !channel.closed);
      } catch (error) {
        const code = HandshakeError.isInstance(error) ? error.code : 'INTERNAL_ERROR';
        // The client reconnects (with Last-Event-ID) after a transient failure.
        write(`event: error\ndata: ${JSON.stringify({ code })}\n\n`);
        finish();
      } finally {
        running = false;
      }
    };

    const unsubscribe = engine.store.subscribeApprovals?.((event) => {
      if (event.approvalId === approvalId) void refresh();
    });
    // One timer per stream, ticking at the shorter of the two periods: a heartbeat at
    // least every `heartbeatMs`, and the polling safety net every `pollMs`.
    const tick = Math.min(options.heartbeatMs, options.pollMs);
    let sinceHeartbeat = 0;
    let sincePoll = 0;
    const ticker = setInterval(() => {
      sinceHeartbeat += tick;
      sincePoll += tick;
      if (sinceHeartbeat + tick > options.heartbeatMs) {
        sinceHeartbeat = 0;
        write(': heartbeat\n\n');
      }
      if (sincePoll >= options.pollMs) {
        sincePoll = 0;
        void refresh();
      }
    }, tick);
    const onAbort = () => finish();
    options.signal.addEventListener('abort', onAbort, { once: true });
    channel.onClose(() => {
      unsubscribe?.();
      clearInterval(ticker);
      for (const timer of timers) clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
    });

    write(`retry: ${options.retryMs}\n\n`);
    void (async () => {
      await refresh();
      if (channel.closed) return;
      // Wake up at the decision deadline so expiry is reported without waiting for a poll.
      const record = await engine
        .approvalForSession(approvalId, await engine.identify(options.credential))
        .catch(() => undefined);
      if (record && !channel.closed) {
        const delay = Math.max(0, record.expiresAt - engine.clock.now()) + 5;
        timers.push(setTimeout(() => void refresh(), Math.min(delay, 2_147_483_647)));
      }
    })();
  });
}
