/** The writing side of a Server-Sent Events response. */
export interface EventChannel {
  /** Sends raw event-stream text (or its UTF-8 bytes, never changed after); ignored once closed. */
  write(text: string | Uint8Array): void;
  /** Ends the stream and runs the clean-ups; safe to call more than once. */
  finish(): void;
  /** Registers a clean-up (timers, listeners); runs at once if the stream already ended. */
  onClose(cleanup: () => void): void;
  readonly closed: boolean;
}

const encoder = new TextEncoder();

/** The headers of every event stream, in the order a `Response` lists them (by name). */
const EVENT_STREAM_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['cache-control', 'no-store'],
  ['connection', 'keep-alive'],
  ['content-type', 'text/event-stream; charset=utf-8'],
  ['x-accel-buffering', 'no'],
  ['x-content-type-options', 'nosniff'],
];

/**
 * Marks an {@link EventStreamAnswer}: a registered symbol, because the Node entry and
 * the main entry may be bundled apart (each with its own copy of the class).
 */
const EVENT_STREAM = Symbol.for('@handshake/core:event-stream');

/**
 * An event stream of the handler's own, not yet a `Response`: the function that writes
 * it. A server adapter that writes to its runtime directly (`serve()`) gives `open` a
 * channel onto its own response, with no Web stream between; the fetch-style handler
 * turns it into the same `Response` as {@link eventStreamResponse}.
 *
 * @example
 * ```ts
 * import { EventStreamAnswer } from './event-stream.js'; // internal: not exported by the package
 *
 * const answer = new EventStreamAnswer((channel) => {
 *   channel.write('event: hello\ndata: {}\n\n');
 *   channel.finish();
 * });
 * const response = answer.toResponse();
 * ```
 */
export class EventStreamAnswer {
  readonly [EVENT_STREAM] = true;
  readonly status = 200;

  constructor(readonly open: (channel: EventChannel) => void) {}

  /** The headers, in the order a `Response` would list them. */
  headerList(): ReadonlyArray<readonly [string, string]> {
    return EVENT_STREAM_HEADERS;
  }

  /** The `Response` this answer stands for, its body a Web stream. */
  toResponse(): Response {
    return eventStreamResponse(this.open);
  }
}

/** True for an {@link EventStreamAnswer} of any copy of this module. */
export function isEventStreamAnswer(value: unknown): value is EventStreamAnswer {
  return typeof value === 'object' && value !== null && EVENT_STREAM in value;
}

/**
 * A `text/event-stream` response whose body `open` writes through an
 * {@link EventChannel}. The stream ends, and every clean-up runs exactly once, when
 * `open`'s code finishes it, when a write fails, or when the client goes away.
 */
export function eventStreamResponse(open: (channel: EventChannel) => void): Response {
  let closed = false;
  const cleanups: Array<() => void> = [];
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;
  const runCleanups = () => {
    for (const cleanup of cleanups.splice(0)) {
      try {
        cleanup();
      } catch {
        // A failing clean-up must not keep the others from running.
      }
    }
  };
  const channel: EventChannel = {
    get closed() {
      return closed;
    },
    write(text) {
      if (closed || !controllerRef) return;
      try {
        controllerRef.enqueue(typeof text === 'string' ? encoder.encode(text) : text);
      } catch {
        channel.finish();
      }
    },
    finish() {
      if (closed) return;
      closed = true;
      runCleanups();
      try {
        controllerRef?.close();
      } catch {
        // already closed by the consumer
      }
    },
    onClose(cleanup) {
      cleanups.push(cleanup);
      if (closed) runCleanups();
    },
  };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controllerRef = controller;
      open(channel);
    },
    cancel() {
      closed = true;
      runCleanups();
    },
  });
  return new Response(stream, { status: 200, headers: EVENT_STREAM_HEADERS as [string, string][] });
}
