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
  return new Response(stream, {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    },
  });
}
