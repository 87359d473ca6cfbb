// @ts-check
// A Server-Sent Events parser for `fetch` bodies. `EventSource` cannot send an
// `Authorization` header, and the console never puts its credential in a cookie or a
// URL, so it reads the stream itself. Parsing follows the HTML standard's "event stream
// interpretation" (https://html.spec.whatwg.org/multipage/server-sent-events.html):
// CR, LF or CRLF end a line, a blank line dispatches, `:` starts a comment, one space
// after the colon is dropped, an `id` holding NUL is ignored, `retry` must be digits.

/**
 * @typedef {object} StreamEvent
 * @property {string} event  the `event:` field, or `"message"`
 * @property {string} data   the `data:` lines joined with LF
 * @property {string} [id]   the `id:` field of this event, when it had one
 */

/**
 * @typedef {object} EventStreamHandlers
 * @property {(event: StreamEvent) => void} onEvent
 * @property {(ms: number) => void} [onRetry]           a valid `retry:` field
 * @property {(value: string) => void} [onInvalidRetry] a `retry:` field that is not digits
 * @property {() => void} [onComment]                   a comment line (heartbeats)
 */

/**
 * A push parser: feed it decoded text in chunks of any size, in order.
 *
 * @param {EventStreamHandlers} handlers
 * @returns {{ feed(text: string): void }}
 */
export function createEventStreamParser(handlers) {
  let buffer = '';
  let bomChecked = false;
  let skipLineFeed = false;
  let data = '';
  let eventType = '';
  /** @type {string | undefined} */
  let id;

  /** @param {string} line */
  const processLine = (line) => {
    if (line === '') {
      if (data !== '') {
        /** @type {StreamEvent} */
        const event = { event: eventType || 'message', data: data.slice(0, -1) };
        if (id !== undefined) event.id = id;
        handlers.onEvent(event);
      }
      data = '';
      eventType = '';
      id = undefined;
      return;
    }
    if (line.startsWith(':')) {
      handlers.onComment?.();
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data += `${value}\n`;
    else if (field === 'event') eventType = value;
    else if (field === 'id') {
      if (!value.includes('\u0000')) id = value;
    } else if (field === 'retry') {
      if (/^\d+$/.test(value)) handlers.onRetry?.(Number(value));
      else handlers.onInvalidRetry?.(value);
    }
  };

  return {
    feed(text) {
      let chunk = text;
      if (chunk === '') return;
      if (!bomChecked) {
        bomChecked = true;
        if (chunk.startsWith('\uFEFF')) chunk = chunk.slice(1);
      }
      if (skipLineFeed && chunk.startsWith('\n')) chunk = chunk.slice(1);
      skipLineFeed = false;
      buffer += chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i += 1) {
        const c = buffer[i];
        if (c !== '\r' && c !== '\n') continue;
        processLine(buffer.slice(start, i));
        if (c === '\r') {
          if (i + 1 === buffer.length) skipLineFeed = true;
          else if (buffer[i + 1] === '\n') i += 1;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
  };
}

/**
 * Reads a `fetch` response body as an event stream until it ends or `signal` aborts.
 *
 * @param {Response} response
 * @param {EventStreamHandlers & { onBytes?: () => void }} handlers `onBytes` hears every chunk, heartbeats included
 * @returns {Promise<void>}
 */
export async function readEventStream(response, handlers) {
  if (!response.body) return;
  const parser = createEventStreamParser(handlers);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      handlers.onBytes?.();
      parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(decoder.decode());
  } finally {
    reader.releaseLock();
  }
}
