// One live wait for a decision, shared by the approval wait (`call`, `waitForApproval`)
// and the spend client's validation wait: open the event stream, read it under a
// heartbeat watchdog, resume with `Last-Event-ID` or fall back to polling when it
// breaks, and end at the deadline or on the caller's abort. What differs between the
// two (the request, the events, the status read) is given by the caller.

import { sleep, type Timers } from '../timers.js';
import { type PollOptions, pollUntilDecided } from './poll.js';
import {
  type BreakReason,
  type LiveListener,
  readLiveStream,
  type StreamOutcome,
} from './stream-reader.js';
import { HeartbeatWatchdog } from './watchdog.js';

/** What one connection attempt gave. */
export type Connection<T, R extends string> =
  /** An event stream to read. */
  | { kind: 'stream'; body: ReadableStream<Uint8Array>; listener: LiveListener<T> }
  /** The answer was the decision itself (a JSON answer). */
  | { kind: 'decided'; value: T }
  /**
   * Streaming is impossible here: poll from now on. `value` is a decision the answer
   * carried anyway; `pauseFirst` says the status was just read, so polling pauses first.
   */
  | { kind: 'fallback'; reason: R; value?: T | undefined; pauseFirst?: boolean }
  /** No stream this time (the request failed, or a transient error status). */
  | {
      kind: 'failed';
      reason: 'network' | 'server-error';
      retryAfterMs?: number | undefined;
      error: unknown;
    };

/** A stream that broke without a decision, as the reconnection policy hears it. */
export interface Broken {
  reason: BreakReason;
  /** The connection delivered at least one byte. */
  gotBytes: boolean;
  /** A stream response arrived but delivered nothing before it died or ended. */
  silent: boolean;
  /** The service's `Retry-After` on an error status. */
  retryAfterMs?: number | undefined;
  /** The last `retry:` the service sent on any stream of this wait. */
  serverRetryMs: number | undefined;
}

/** After a break: connect again after a pause, or poll from now on. */
export type AfterBreak<R extends string> = { reconnectAfterMs: number } | { fallback: R };

/** Options of {@link waitLive}. */
export interface WaitLiveOptions<T, R extends string, Out> {
  timers: Timers;
  /** The caller's signal: ends the wait with `abortError(reason)`. */
  signal: AbortSignal | undefined;
  abortError(reason: unknown): unknown;
  /** The wait's deadline: ends it with `timeoutError(the last transient failure)`. */
  timeoutMs: number;
  timeoutError(lastError: unknown): unknown;
  /** A connection silent this long is presumed dead. */
  heartbeatTimeoutMs: number;
  /**
   * `request`: the watchdog runs from the request on, so a connection whose headers
   * never come is replaced too; `body`: only while the stream is read (the request has
   * a deadline of its own).
   */
  watch: 'request' | 'body';
  /** `poll` skips streaming altogether. */
  mode: 'stream' | 'poll';
  /** Opens one connection, resuming after `lastEventId` when there is one. */
  connect(request: {
    lastEventId: string | undefined;
    signal: AbortSignal;
  }): Promise<Connection<T, R>>;
  /** Decides what follows a broken stream (reconnect with backoff, or poll). */
  afterBreak(broken: Broken): AfterBreak<R>;
  /** Hears the switch to polling; throwing here ends the wait. */
  onFallback(reason: R, cause: unknown): void;
  /** The status reads once streaming is given up. */
  poll: PollOptions<T>;
  /** Turns the decision into the result, still under the deadline and the signal. */
  settle(value: T, signal: AbortSignal): Promise<Out>;
}

/** Where a wait stands between connections. */
interface Cursor {
  lastEventId: string | undefined;
  serverRetryMs: number | undefined;
  lastError: unknown;
}

/**
 * Waits for a decision live (see the file's head). Ends with the settled decision, the
 * deadline's error, the abort's error, or the first fatal error of a connection or read.
 * Every timer, connection and listener it started is gone when it ends.
 */
export async function waitLive<T, R extends string, Out>(
  options: WaitLiveOptions<T, R, Out>,
): Promise<Out> {
  const { timers } = options;
  const cursor: Cursor = { lastEventId: undefined, serverRetryMs: undefined, lastError: undefined };
  const run = new AbortController();
  const deadline = timers.setTimeout(
    () => run.abort(options.timeoutError(cursor.lastError)),
    options.timeoutMs,
  );
  const onCallerAbort = () => run.abort(options.abortError(options.signal?.reason));
  if (options.signal?.aborted) onCallerAbort();
  else options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    return await options.settle(await decide(options, run.signal, cursor), run.signal);
  } catch (error) {
    if (run.signal.aborted) throw run.signal.reason;
    throw error;
  } finally {
    timers.clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onCallerAbort);
    if (!run.signal.aborted) run.abort();
  }
}

/** Streams (reconnecting as `afterBreak` says), then polls, until a decision. */
async function decide<T, R extends string, Out>(
  options: WaitLiveOptions<T, R, Out>,
  signal: AbortSignal,
  cursor: Cursor,
): Promise<T> {
  let pauseFirst = false;
  while (options.mode === 'stream') {
    if (signal.aborted) throw signal.reason;
    const step = await connectOnce(options, signal, cursor);
    if (step.kind === 'decided') return step.value;
    if (step.kind === 'fallback') {
      options.onFallback(step.reason, undefined);
      if (step.value !== undefined) return step.value;
      pauseFirst = step.pauseFirst === true;
      break;
    }
    const next = options.afterBreak(step.broken);
    if ('fallback' in next) {
      options.onFallback(next.fallback, step.error);
      break;
    }
    await sleep(next.reconnectAfterMs, signal, options.timers);
  }
  return pollUntilDecided({
    ...options.poll,
    signal,
    timers: options.timers,
    pauseFirst,
    onFailure: (error) => {
      cursor.lastError = error;
    },
  });
}

type Step<T, R extends string> =
  | Extract<Connection<T, R>, { kind: 'decided' | 'fallback' }>
  | { kind: 'broken'; broken: Broken; error: unknown };

/** One connection: open it, read its stream, and close it whatever happened. */
async function connectOnce<T, R extends string, Out>(
  options: WaitLiveOptions<T, R, Out>,
  run: AbortSignal,
  cursor: Cursor,
): Promise<Step<T, R>> {
  const local = new AbortController();
  const onRunAbort = () => local.abort(run.reason);
  run.addEventListener('abort', onRunAbort, { once: true });
  const watchdog = new HeartbeatWatchdog(options.timers, options.heartbeatTimeoutMs, local);
  const broken = (outcome: Omit<Broken, 'serverRetryMs'>, error: unknown): Step<T, R> => {
    if (run.aborted) throw run.reason;
    if (error !== undefined) cursor.lastError = error;
    return { kind: 'broken', broken: { ...outcome, serverRetryMs: cursor.serverRetryMs }, error };
  };
  try {
    if (options.watch === 'request') watchdog.arm();
    let connection: Connection<T, R>;
    try {
      connection = await options.connect({ lastEventId: cursor.lastEventId, signal: local.signal });
    } catch (error) {
      if (run.aborted) throw run.reason;
      throw error;
    }
    // The caller's abort or the deadline may have come while the answer was read.
    if (run.aborted) throw run.reason;
    if (connection.kind === 'decided' || connection.kind === 'fallback') return connection;
    if (connection.kind === 'failed') {
      const reason =
        connection.reason === 'network' && watchdog.lost ? 'heartbeat' : connection.reason;
      return broken(
        { reason, gotBytes: false, silent: false, retryAfterMs: connection.retryAfterMs },
        connection.error,
      );
    }
    watchdog.arm();
    let outcome: StreamOutcome<T>;
    try {
      outcome = await readLiveStream(connection.body, connection.listener, {
        watchdog,
        signal: local.signal,
        cursor: {
          onId: (id) => {
            cursor.lastEventId = id;
          },
          onRetry: (ms) => {
            cursor.serverRetryMs = ms;
          },
        },
      });
    } catch (error) {
      if (run.aborted) throw run.reason;
      throw error;
    }
    if (outcome.kind === 'decided') return outcome;
    return broken(
      { reason: outcome.reason, gotBytes: outcome.gotBytes, silent: !outcome.gotBytes },
      outcome.error,
    );
  } finally {
    watchdog.stop();
    run.removeEventListener('abort', onRunAbort);
    // Ends this connection's fetch and body, whatever state they are in.
    local.abort();
  }
}
