import { HandshakeError } from '@handshake/protocol';
import type { HandshakeEngine } from '../engine/engine.js';
import type { LiveStreamKind } from '../engine/observer.js';
import type { ApprovalChange, ApprovalWatcher } from '../engine/watch.js';
import { type EventChannel, EventStreamAnswer } from './event-stream.js';
import type { LiveTimers, TimerEntry } from './live-timers.js';
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
  return new EventStreamAnswer((channel) => openLiveStream(options, channel));
}

/** Opens one stream: a function apart, so that the stream holds nothing of its answer. */
function openLiveStream(options: LiveStreamOptions, channel: EventChannel): void {
  if (options.signal?.aborted) {
    channel.finish();
    return;
  }
  new LiveEventStream(options, channel);
}

const nothing = () => {};

/**
 * One open stream: what thousands of idle streams each hold, kept to one object and the
 * few its timers and its channel call (no closure per timer, per deadline or per
 * callback). It is the {@link LiveStream} its mapper writes through.
 */
class LiveEventStream implements LiveStream {
  readonly #options: LiveStreamOptions;
  readonly #channel: EventChannel;
  readonly #watcher: ApprovalWatcher | undefined;
  /** Busy until `start` is done: changes wait in the watcher meanwhile. */
  #busy = true;
  readonly #heartbeat: Heartbeat;
  readonly #poll: Poll | undefined;
  /** The deadlines the mapper set that have not fired: none, one, or a list. */
  #deadlines: StreamDeadline | StreamDeadline[] | undefined;
  readonly #closeObserved: (() => void) | undefined;
  readonly #onAbort: (() => void) | undefined;

  constructor(options: LiveStreamOptions, channel: EventChannel) {
    this.#options = options;
    this.#channel = channel;
    const { live, signal } = options;
    this.#watcher = options.engine.watchApprovals({
      ...(options.ids ? { ids: options.ids } : {}),
      onReady: this.#drain.bind(this),
    });
    this.#closeObserved = options.kind
      ? observeLiveStream(options.engine, options.kind)
      : undefined;
    this.#heartbeat = new Heartbeat(channel);
    live.heartbeats.join(this.#heartbeat);
    if (options.poll !== false) {
      this.#poll = new Poll(this.#watcher);
      live.polls.join(this.#poll);
    }
    if (signal) {
      this.#onAbort = () => channel.finish();
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    channel.onClose(this.#close.bind(this));

    if (options.retryMs !== undefined) channel.write(`retry: ${options.retryMs}\n\n`);
    options.start(this).then(
      (done) => {
        if (done) {
          channel.finish();
          return;
        }
        this.#busy = false;
        return this.#drain();
      },
      (error) => this.#fail(error),
    );
  }

  send(event: string, data: unknown, id?: number): void {
    this.#channel.write(
      `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
    );
  }

  get closed(): boolean {
    return this.#channel.closed;
  }

  checkAfter(ms: number, reason: string): () => void {
    if (this.#channel.closed) return nothing;
    const deadline = new StreamDeadline(this, reason);
    const waiting = this.#deadlines;
    if (waiting === undefined) this.#deadlines = deadline;
    else if (Array.isArray(waiting)) waiting.push(deadline);
    else this.#deadlines = [waiting, deadline];
    this.#options.live.deadlines.schedule(ms, deadline);
    return () => {
      if (this.#forget(deadline)) this.#options.live.deadlines.cancel(deadline);
    };
  }

  /** A deadline of this stream fell due: its check goes to the watcher. */
  deadlineDue(deadline: StreamDeadline): void {
    this.#forget(deadline);
    this.#watcher?.check(deadline.reason);
  }

  /** Takes `deadline` off this stream's list; false when it was not on it. */
  #forget(deadline: StreamDeadline): boolean {
    const waiting = this.#deadlines;
    if (waiting === deadline) {
      this.#deadlines = undefined;
      return true;
    }
    if (!Array.isArray(waiting)) return false;
    const index = waiting.indexOf(deadline);
    if (index < 0) return false;
    waiting.splice(index, 1);
    return true;
  }

  /** Handles queued changes one at a time, until none is left. */
  async #drain(): Promise<void> {
    const watcher = this.#watcher;
    if (this.#busy || watcher === undefined) return;
    this.#busy = true;
    try {
      for (;;) {
        if (this.#channel.closed) return;
        const change = watcher.take();
        if (change === undefined) {
          if (watcher.error !== undefined) throw watcher.error;
          return;
        }
        if (await this.#options.change(this, change)) {
          this.#channel.finish();
          return;
        }
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#busy = false;
    }
  }

  #fail(error: unknown): void {
    const code = HandshakeError.isInstance(error) ? error.code : 'INTERNAL_ERROR';
    // The client reconnects (with Last-Event-ID where the stream has ids).
    this.#channel.write(`event: error\ndata: ${JSON.stringify({ code })}\n\n`);
    this.#channel.finish();
  }

  /** The stream ended: the watch, the timers, the deadlines and the listener go. */
  #close(): void {
    void this.#watcher?.return();
    const { live, signal } = this.#options;
    live.heartbeats.leave(this.#heartbeat);
    if (this.#poll) live.polls.leave(this.#poll);
    const deadlines = this.#deadlines;
    this.#deadlines = undefined;
    if (Array.isArray(deadlines)) for (const deadline of deadlines) live.deadlines.cancel(deadline);
    else if (deadlines) live.deadlines.cancel(deadlines);
    if (this.#onAbort) signal?.removeEventListener('abort', this.#onAbort);
    this.#closeObserved?.();
  }
}

/** Encoded once: thousands of streams send the same bytes, which nothing writes to. */
const HEARTBEAT = new TextEncoder().encode(': heartbeat\n\n');

/** A stream's member of the heartbeat ticker. */
class Heartbeat implements TimerEntry {
  due = 0;
  constructor(readonly channel: EventChannel) {}

  fire(): void {
    this.channel.write(HEARTBEAT);
  }
}

/** A stream's member of the poll ticker. */
class Poll implements TimerEntry {
  due = 0;
  constructor(readonly watcher: ApprovalWatcher) {}

  fire(): void {
    this.watcher.check('poll');
  }
}

/** A deadline a stream's mapper set (`checkAfter`), in the handler's deadline queue. */
class StreamDeadline implements TimerEntry {
  due = 0;
  constructor(
    readonly stream: LiveEventStream,
    readonly reason: string,
  ) {}

  fire(): void {
    this.stream.deadlineDue(this);
  }
}
