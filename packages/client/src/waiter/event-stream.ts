import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';

/**
 * What an event stream reports while it is read.
 *
 * @example
 * ```ts
 * import type { EventStreamHandlers } from '@handshake/client';
 *
 * let lastEventId: string | undefined;
 * const handlers: EventStreamHandlers = {
 *   onEvent: (event) => console.log(event.event ?? 'message', event.data),
 *   onId: (id) => {
 *     lastEventId = id;
 *   },
 * };
 * ```
 */
export interface EventStreamHandlers {
  /** A dispatched event; `event` is undefined for the default type `message`. */
  onEvent(event: EventSourceMessage): void;
  /** A `retry:` field with a valid reconnection time, in milliseconds. */
  onRetry?(ms: number): void;
  /**
   * The `id:` of a completed block, dispatched or not: the value to resume from with
   * `Last-Event-ID`. An empty `id:` resets it to `''`.
   */
  onId?(id: string): void;
  /** A comment line (`: heartbeat`). */
  onComment?(comment: string): void;
  /** A line the parser rejected: an invalid `retry:`, an unknown field, an oversized buffer. */
  onError?(error: ParseError): void;
}

/**
 * Feeds an event stream, in whatever pieces it arrives, to `eventsource-parser`
 * (WHATWG HTML §9.2.6 "Parsing an event stream"). Bytes are decoded as UTF-8 in
 * streaming mode, so a character split across two network chunks is decoded whole,
 * and a leading byte-order mark is dropped.
 *
 * @example
 * ```ts
 * import { createEventStreamDecoder, type EventStreamDecoder } from '@handshake/client';
 *
 * const decoder: EventStreamDecoder = createEventStreamDecoder({ onEvent: (event) => console.log(event.data) });
 * decoder.feed(new TextEncoder().encode('data: hel'));
 * decoder.feed(new TextEncoder().encode('lo\n\n')); // logs "hello"
 * decoder.end();
 * ```
 */
export interface EventStreamDecoder {
  /** Feeds raw bytes from the network. */
  feed(bytes: Uint8Array): void;
  /** Feeds text that is already decoded. */
  feedText(text: string): void;
  /** Flushes the decoder; an incomplete last event is discarded, as the spec requires. */
  end(): void;
}

/**
 * Options of {@link createEventStreamDecoder}.
 *
 * @example
 * ```ts
 * import type { EventStreamDecoderOptions } from '@handshake/client';
 *
 * const small: EventStreamDecoderOptions = { maxBufferSize: 64 * 1024 };
 * ```
 */
export interface EventStreamDecoderOptions {
  /**
   * Largest incomplete line or event buffered, in characters (default 1 MiB); beyond it
   * `onError` hears a `max-buffer-size-exceeded` error and the stream must be dropped.
   */
  maxBufferSize?: number;
}

/**
 * Creates an {@link EventStreamDecoder}.
 *
 * @example
 * ```ts
 * import { createEventStreamDecoder } from '@handshake/client';
 *
 * const decoder = createEventStreamDecoder({
 *   onEvent: (event) => console.log(event.id, event.event, event.data),
 *   onRetry: (ms) => console.log(`reconnect after ${ms} ms`),
 * });
 * decoder.feedText('retry: 2000\nid: 1\nevent: status\ndata: {}\n\n');
 * ```
 */
export function createEventStreamDecoder(
  handlers: EventStreamHandlers,
  options: EventStreamDecoderOptions = {},
): EventStreamDecoder {
  const parser = createParser({
    onEvent: (event) => handlers.onEvent(event),
    onRetry: (ms) => handlers.onRetry?.(ms),
    onId: (id) => handlers.onId?.(id),
    onComment: (comment) => handlers.onComment?.(comment),
    onError: (error) => handlers.onError?.(error),
    maxBufferSize: options.maxBufferSize ?? 1024 * 1024,
  });
  const decoder = new TextDecoder('utf-8');
  return {
    feed(bytes) {
      const text = decoder.decode(bytes, { stream: true });
      if (text !== '') parser.feed(text);
    },
    feedText(text) {
      parser.feed(text);
    },
    end() {
      const rest = decoder.decode();
      if (rest !== '') parser.feed(rest);
    },
  };
}

/**
 * Reads a response body to its end, chunk by chunk, into `decoder`. `onChunk` hears
 * every chunk before it is parsed (the waiter's heartbeat watchdog). Resolves when the
 * stream ends or `shouldStop()` turns true after a chunk (the reader is then cancelled);
 * rejects when reading fails, e.g. a cut connection. When `signal` aborts, the body is
 * cancelled, so a read that would wait for a body that never ends (or never errors)
 * returns at once.
 *
 * @example
 * ```ts
 * import { createEventStreamDecoder, readEventStream } from '@handshake/client';
 *
 * const response = await fetch('https://example.com/events', { headers: { accept: 'text/event-stream' } });
 * if (response.body) {
 *   const decoder = createEventStreamDecoder({ onEvent: (event) => console.log(event.data) });
 *   await readEventStream(response.body, decoder, { signal: AbortSignal.timeout(60_000) });
 * }
 * ```
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  decoder: EventStreamDecoder,
  options: {
    onChunk?: (bytes: Uint8Array) => void;
    shouldStop?: () => boolean;
    signal?: AbortSignal;
  } = {},
): Promise<'ended' | 'stopped'> {
  const reader = body.getReader();
  const { signal } = options;
  // Cancelling settles a pending read as done (WHATWG Streams §4.3 ReadableStreamCancel).
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => {});
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        decoder.end();
        return 'ended';
      }
      options.onChunk?.(value);
      decoder.feed(value);
      if (options.shouldStop?.()) {
        await reader.cancel().catch(() => {});
        return 'stopped';
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}
