import type { EventSourceMessage, ParseError } from 'eventsource-parser';
import {
  createEventStreamDecoder,
  type EventStreamDecoder,
  readEventStream,
} from '../waiter/event-stream.js';
import type { HeartbeatWatchdog } from './watchdog.js';

/**
 * What one wait makes of the events of its stream: the decision once it came, a fault
 * that makes the stream untrustworthy (`fatal`, ends the wait), or the service's report
 * of a transient failure (`event: error`).
 */
export interface LiveListener<T> {
  onEvent(event: EventSourceMessage): void;
  /** A line the parser rejected (an oversized event is fatal). */
  onParseError(error: ParseError): void;
  readonly decided: T | undefined;
  readonly fatal: unknown;
  readonly serverError: boolean;
}

/**
 * A {@link LiveListener} keeping what every wait keeps. `read` makes an event into the
 * decision (undefined while there is none) and throws the fault that makes the stream
 * untrustworthy; `event: error` is the service's report of a transient failure, and an
 * oversized event is the fault `oversized` makes of it. Once decided or failed, later
 * events are ignored.
 */
export function liveListener<T>(
  read: (event: EventSourceMessage) => T | undefined,
  oversized: (error: ParseError) => unknown,
): LiveListener<T> {
  let decided: T | undefined;
  let fatal: unknown;
  let serverError = false;
  return {
    onEvent(event) {
      if (decided || fatal) return;
      if (event.event === 'error') {
        serverError = true;
        return;
      }
      try {
        decided = read(event);
      } catch (error) {
        fatal = error;
      }
    },
    onParseError(error) {
      if (error.type === 'max-buffer-size-exceeded') fatal = oversized(error);
    },
    get decided() {
      return decided;
    },
    get fatal() {
      return fatal;
    },
    get serverError() {
      return serverError;
    },
  };
}

/** Why a stream ended without a decision. */
export type BreakReason =
  /** The service closed it. */
  | 'ended'
  /** The connection failed or was cut. */
  | 'network'
  /** Nothing arrived within the heartbeat timeout. */
  | 'heartbeat'
  /** The service reported a transient failure (`event: error`, 5xx, 429). */
  | 'server-error';

/** How the reading of one stream ended. */
export type StreamOutcome<T> =
  | { kind: 'decided'; value: T }
  | { kind: 'broken'; reason: BreakReason; gotBytes: boolean; error?: unknown };

/** Where the reader reports the stream's `id:` and `retry:` fields. */
export interface StreamCursor {
  onId(id: string): void;
  onRetry(ms: number): void;
}

/** A decoder that hands each event to `listener`, and `id:`/`retry:` to `cursor`. */
export function listenerDecoder<T>(
  listener: LiveListener<T>,
  cursor?: StreamCursor,
): EventStreamDecoder {
  return createEventStreamDecoder({
    onEvent: (event) => listener.onEvent(event),
    onError: (error) => listener.onParseError(error),
    onId: (id) => cursor?.onId(id),
    onRetry: (ms) => cursor?.onRetry(ms),
  });
}

/**
 * Reads one event stream until the listener has a decision, the stream ends or the
 * connection dies. Each chunk re-arms the heartbeat watchdog; when the watchdog (or
 * anything else) aborts `signal`, the body is cancelled and the stream counts as cut.
 * A fatal fault the listener found is thrown.
 */
export async function readLiveStream<T>(
  body: ReadableStream<Uint8Array>,
  listener: LiveListener<T>,
  options: { watchdog: HeartbeatWatchdog; signal: AbortSignal; cursor: StreamCursor },
): Promise<StreamOutcome<T>> {
  const { watchdog, signal } = options;
  let gotBytes = false;
  let error: unknown;
  try {
    await readEventStream(body, listenerDecoder(listener, options.cursor), {
      onChunk: () => {
        gotBytes = true;
        watchdog.arm();
      },
      shouldStop: () => listener.decided !== undefined || listener.fatal !== undefined,
      signal,
    });
  } catch (caught) {
    error = caught ?? new Error('the stream failed');
  }
  if (listener.fatal !== undefined) throw listener.fatal;
  if (listener.decided !== undefined) return { kind: 'decided', value: listener.decided };
  if (error !== undefined || signal.aborted) {
    const reason = watchdog.lost ? 'heartbeat' : 'network';
    return { kind: 'broken', reason, gotBytes, error: error ?? signal.reason };
  }
  return { kind: 'broken', reason: listener.serverError ? 'server-error' : 'ended', gotBytes };
}
