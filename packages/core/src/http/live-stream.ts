import type { HandshakeEngine } from '../engine/engine.js';
import type { ApprovalWatcher } from '../engine/watch.js';
import { HandshakeError } from '../errors/handshake-error.js';
import { eventStreamResponse } from './event-stream.js';
import type { LiveTimers } from './live-timers.js';

/**
 * What a live stream's mapper writes through.
 *
 * @example
 * ```ts
 * import type { LiveStream } from './live-stream.js';
 * declare const stream: LiveStream;
 *
 * stream.send('status', { status: 'pending' }, 1);
 * const cancel = stream.checkAfter(60_000, 'deadline');
 * cancel();
 * ```
 */
export interface LiveStream {
  /** Sends one event: `id:` when given, `event:`, and the data as JSON. */
  send(event: string, data: unknown, id?: number): void;
  /** True once the stream ended (the client left, or the mapper finished). */
  readonly closed: boolean;
  /**
   * Queues a `check` change with this reason on the watcher after `ms` (a deadline), in
   * the handler's one deadline queue; cancelled when the stream ends.
   */
  checkAfter(ms: number, reason: string): () => void;
}

/**
 * Options of {@link liveEventStream}.
 *
 * @example
 * ```ts
 * import type { LiveStreamOptions } from './live-stream.js';
 *
 * const run: LiveStreamOptions['run'] = async (stream, changes) => {
 *   for await (const change of changes) stream.send('change', change);
 * };
 * ```
 */
export interface LiveStreamOptions {
  engine: HandshakeEngine;
  /** The handler's shared heartbeat and poll tickers and deadline queue. */
  live: LiveTimers;
  /** The approvals to watch; every approval when omitted. */
  ids?: readonly string[];
  signal: AbortSignal;
  /** `retry:` advice written first, when given. */
  retryMs?: number;
  /**
   * The mapper: reads what it needs, sends events, and consumes `changes` (store
   * notifications, and a `poll` check every poll period) until it is done. The stream
   * ends when it returns; when it throws, with `event: error` and `{ code }` first.
   */
  run(stream: LiveStream, changes: ApprovalWatcher): Promise<void>;
}

const HEARTBEAT = ': heartbeat\n\n';

/**
 * The one Server-Sent Events stream of live approvals, which the requester's, the
 * approver's and the validation streams map: a watch of the approvals through the
 * engine's one store subscription, a heartbeat comment every heartbeat period and a
 * `poll` check every poll period from the handler's shared tickers, deadlines in its
 * shared queue, the end of everything when the client leaves, and `event: error`
 * when a read fails.
 *
 * @example
 * ```ts
 * import type { HandshakeEngine } from '../engine/engine.js';
 * import { liveEventStream } from './live-stream.js';
 * import { liveTimers } from './live-timers.js';
 * declare const engine: HandshakeEngine;
 *
 * const response = liveEventStream({
 *   engine,
 *   live: liveTimers({ heartbeatMs: 15_000, pollMs: 15_000 }),
 *   ids: ['apr_0123456789abcdef_x'],
 *   signal: AbortSignal.timeout(60_000),
 *   run: async (stream, changes) => {
 *     for await (const change of changes) if (change.type === 'changed') return;
 *   },
 * });
 * ```
 */
export function liveEventStream(options: LiveStreamOptions): Response {
  const { live, signal } = options;
  return eventStreamResponse((channel) => {
    if (signal.aborted) {
      channel.finish();
      return;
    }
    const watcher = options.engine.watchApprovals(options.ids ? { ids: options.ids } : {});
    const leaveHeartbeats = live.heartbeats.add(() => channel.write(HEARTBEAT));
    const leavePolls = live.polls.add(() => watcher.check('poll'));
    let deadlines: Set<() => void> | undefined;
    const onAbort = () => channel.finish();
    signal.addEventListener('abort', onAbort, { once: true });
    channel.onClose(() => {
      void watcher.return();
      leaveHeartbeats();
      leavePolls();
      if (deadlines) for (const cancel of deadlines) cancel();
      signal.removeEventListener('abort', onAbort);
    });

    const stream: LiveStream = {
      send(event, data, id) {
        channel.write(
          `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
        );
      },
      get closed() {
        return channel.closed;
      },
      checkAfter(ms, reason) {
        if (channel.closed) return () => {};
        deadlines ??= new Set();
        const set = deadlines;
        const cancelTimer = live.deadlines.after(ms, () => {
          set.delete(cancel);
          watcher.check(reason);
        });
        const cancel = () => {
          set.delete(cancel);
          cancelTimer();
        };
        set.add(cancel);
        return cancel;
      },
    };

    if (options.retryMs !== undefined) channel.write(`retry: ${options.retryMs}\n\n`);
    options.run(stream, watcher).then(
      () => channel.finish(),
      (error: unknown) => {
        const code = HandshakeError.isInstance(error) ? error.code : 'INTERNAL_ERROR';
        // The client reconnects (with Last-Event-ID where the stream has ids).
        channel.write(`event: error\ndata: ${JSON.stringify({ code })}\n\n`);
        channel.finish();
      },
    );
  });
}
