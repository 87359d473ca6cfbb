import { HandshakeError } from '@handshake/protocol';
import type { HandshakeEngine } from '../engine/engine.js';
import type { LiveStreamKind } from '../engine/observer.js';
import type { ApprovalChange, ApprovalWatcher } from '../engine/watch.js';
import { EventStreamAnswer } from './event-stream.js';
import type { LiveTimers } from './live-timers.js';
import { observeLiveStream } from './stream-observer.js';

/**
 * What a live stream's mapper writes through.
 *
 * @example
 * ```ts
 * import type { LiveStream } from '@handshake/core';
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
 * Options of {@link liveEventStream}: where to listen, and the mapper (`start`,
 * `change`) that turns approvals into one stream's events.
 *
 * @example
 * ```ts
 * import type { LiveStreamOptions } from '@handshake/core';
 *
 * const mapper: Pick<LiveStreamOptions, 'start' | 'change'> = {
 *   start: async (stream) => {
 *     stream.send('hello', {});
 *     return false;
 *   },
 *   change: async (stream, change) => {
 *     stream.send('change', change);
 *     return change.type === 'changed' && change.status !== 'pending';
 *   },
 * };
 * ```
 */
export interface LiveStreamOptions {
  engine: HandshakeEngine;
  /** The handler's shared heartbeat and poll tickers and deadline queue. */
  live: LiveTimers;
  /** The approvals to watch; every approval when omitted. */
  ids?: readonly string[];
  /** Who listens, for the engine's observer (`liveStream`); not observed when omitted. */
  kind?: LiveStreamKind;
  /**
   * Ends the stream when it aborts (the request's signal). Optional: the stream also
   * ends when its client goes away and the response body is cancelled.
   */
  signal?: AbortSignal;
  /** `retry:` advice written first, when given. */
  retryMs?: number;
  /**
   * Whether a `poll` check comes every poll period (default `true`): the safety net for
   * a change the store's notification missed. A stream that needs to hear only what the
   * store's notification always carries may leave it off (see
   * `StoreV1.approvalEventsComplete`).
   */
  poll?: boolean;
  /**
   * The first reads and events, once the watch is in place (nothing that happens
   * meanwhile is lost). Resolves `true` when the stream is done.
   */
  start(stream: LiveStream): Promise<boolean>;
  /**
   * One change (a store notification, a `poll` check every poll period, a deadline
   * the mapper set), one at a time and in order. Resolves `true` when the stream is
   * done. When `start` or `change` throws, the stream sends `event: error` with
   * `{ code }` and ends.
   */
  change(stream: LiveStream, change: ApprovalChange): Promise<boolean>;
}

/** Encoded once: thousands of streams send the same bytes, which nothing writes to. */
const HEARTBEAT = new TextEncoder().encode(': heartbeat\n\n');

/**
 * The one Server-Sent Events stream of live approvals, which the requester's, the
 * approver's and the validation streams map: a watch of the approvals through the
 * engine's one store subscription, a heartbeat comment every heartbeat period and a
 * `poll` check every poll period from the handler's shared tickers, deadlines in its
 * shared queue, the end of everything when the client leaves, and `event: error`
 * when a read fails. An idle stream holds no pending promise: changes are drained
 * when the watch says one is ready.
 *
 * @example
 * ```ts
 * import { type HandshakeEngine, liveEventStream, liveTimers } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const response = liveEventStream({
 *   engine,
 *   live: liveTimers({ heartbeatMs: 15_000, pollMs: 15_000 }),
 *   ids: ['apr_0123456789abcdef_x'],
 *   signal: AbortSignal.timeout(60_000),
 *   start: async () => false,
 *   change: async (_stream, change) => change.type === 'changed',
 * });
 * ```
 */
export function liveEventStream(options: LiveStreamOptions): Response {
  return liveEventAnswer(options).toResponse();
}

/**
 * {@link liveEventStream} as an {@link EventStreamAnswer}, which `serve()` writes to its
 * own response without a Web stream.
 */
export function liveEventAnswer(options: LiveStreamOptions): EventStreamAnswer {
  const { live, signal } = options;
  return new EventStreamAnswer((channel) => {
    if (signal?.aborted) {
      channel.finish();
      return;
    }
    const fail = (error: unknown) => {
      const code = HandshakeError.isInstance(error) ? error.code : 'INTERNAL_ERROR';
      // The client reconnects (with Last-Event-ID where the stream has ids).
      channel.write(`event: error\ndata: ${JSON.stringify({ code })}\n\n`);
      channel.finish();
    };
    // Busy until `start` is done: changes wait in the watcher meanwhile.
    let busy = true;
    let watcher: ApprovalWatcher | undefined;
    /** Handles queued changes one at a time, until none is left. */
    const drain = async () => {
      if (busy || watcher === undefined) return;
      busy = true;
      try {
        for (;;) {
          if (channel.closed) return;
          const change = watcher.take();
          if (change === undefined) {
            if (watcher.error !== undefined) throw watcher.error;
            return;
          }
          if (await options.change(stream, change)) {
            channel.finish();
            return;
          }
        }
      } catch (error) {
        fail(error);
      } finally {
        busy = false;
      }
    };
    watcher = options.engine.watchApprovals({
      ...(options.ids ? { ids: options.ids } : {}),
      onReady: () => void drain(),
    });
    const changes = watcher;
    const closeObserved = options.kind
      ? observeLiveStream(options.engine, options.kind)
      : undefined;
    const leaveHeartbeats = live.heartbeats.add(() => channel.write(HEARTBEAT));
    const leavePolls =
      options.poll === false ? undefined : live.polls.add(() => changes.check('poll'));
    let deadlines: Array<() => void> | undefined;
    const onAbort = () => channel.finish();
    signal?.addEventListener('abort', onAbort, { once: true });
    channel.onClose(() => {
      void changes.return();
      leaveHeartbeats();
      leavePolls?.();
      if (deadlines) for (const cancel of deadlines) cancel();
      signal?.removeEventListener('abort', onAbort);
      closeObserved?.();
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
        deadlines ??= [];
        const list = deadlines;
        const cancel = live.deadlines.after(ms, () => {
          list.splice(list.indexOf(cancel), 1);
          changes.check(reason);
        });
        list.push(cancel);
        return () => {
          const index = list.indexOf(cancel);
          if (index < 0) return;
          list.splice(index, 1);
          cancel();
        };
      },
    };

    if (options.retryMs !== undefined) channel.write(`retry: ${options.retryMs}\n\n`);
    options.start(stream).then((done) => {
      if (done) {
        channel.finish();
        return;
      }
      busy = false;
      return drain();
    }, fail);
  });
}
