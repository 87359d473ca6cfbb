import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { z } from 'zod';
import { readJsonBytes } from '../http/body.js';
import {
  type EventChannel,
  type EventStreamAnswer,
  isEventStreamAnswer,
} from '../http/event-stream.js';
import {
  type ConnectionInfo,
  NATIVE_ENTRY,
  type NativeEntry,
  type NativeRequest,
} from '../http/handler.js';
import { type JsonAnswer, textBodyOf } from '../http/responses.js';

/**
 * A Web-standard handler.
 *
 * @example
 * ```ts
 * import type { FetchHandler } from '@handshake/core/node';
 * import { serve } from '@handshake/core/node';
 *
 * const hello: FetchHandler = async () => new Response('hello');
 * const running = await serve(hello, { port: 0 });
 * await running.close();
 * ```
 */
export type FetchHandler = (request: Request, info?: ConnectionInfo) => Promise<Response>;

// Request bodies that declare a length up to this are read before the handler runs
// (the handler's own limit, 64 KiB by default, is checked on the length first); longer
// or unsized bodies are streamed to it.
const BUFFERED_BODY_BYTES = 64 * 1024;

/**
 * Adapts a Web-standard handler to Node's `http` request listener. Request bodies are
 * passed whole when they declare a length up to 64 KiB and streamed otherwise (the
 * handler enforces its size limit while reading); a response body that is ready at
 * once (a JSON answer) is sent with its `content-length`, any other is streamed with
 * backpressure; a client that disconnects before the answer is complete aborts
 * `request.signal` and cancels the response stream.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { toNodeListener } from '@handshake/core/node';
 *
 * const server = createServer(toNodeListener(async () => new Response('ok')));
 * ```
 */
export function toNodeListener(
  handler: FetchHandler,
): (req: IncomingMessage, res: ServerResponse) => void {
  // The handler of createHandshakeHandler also answers without Web Request/Response.
  const native = (handler as FetchHandler & { [NATIVE_ENTRY]?: NativeEntry })[NATIVE_ENTRY];
  return (req, res) => {
    const method = req.method ?? 'GET';
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const info = {
      ...(req.socket.remoteAddress ? { remoteAddress: req.socket.remoteAddress } : {}),
    };
    const dispatch = (body: Uint8Array | ReadableStream<Uint8Array> | undefined) => {
      if (native !== undefined && !(body instanceof ReadableStream)) {
        return answerNatively(native, new NodeRequest(req, res, method, body), info, res);
      }
      const controller = abortOnClose(res);
      respond(
        handler,
        webRequest(req, method, controller.signal, body),
        info,
        res,
        method === 'HEAD',
      );
    };
    if (!hasBody) return dispatch(undefined);
    const declared = Number(req.headers['content-length']);
    if (!Number.isSafeInteger(declared) || declared > BUFFERED_BODY_BYTES) {
      return dispatch(nodeRequestBody(req));
    }
    // Node's parser delivers exactly the declared length, no more.
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => dispatch(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    // A broken upload closes the response, which aborts the request; nothing to answer.
    req.on('error', () => {});
  };
}

/**
 * A Node request as the handler's native entry reads it. The URL, the Web `Request` and
 * the `AbortSignal` that follows the connection are made only if a route asks for them.
 */
class NodeRequest implements NativeRequest {
  private parsed: URL | undefined;
  private web: Request | undefined;
  /** Event streams are written to `res` (see {@link writeEventStream}). */
  readonly writesEventStreams = true;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly method: string,
    private readonly body: Uint8Array | undefined,
  ) {}

  pathname(): string {
    // A target made only of characters the URL parser leaves as they are (no dot
    // segments, escapes, backslashes or a leading `//`) is its own path.
    const target = this.req.url ?? '/';
    const query = target.indexOf('?');
    const path = query === -1 ? target : target.slice(0, query);
    return PLAIN_PATH.test(path) ? path : this.url().pathname;
  }

  url(): URL {
    this.parsed ??= requestUrl(this.req);
    return this.parsed;
  }

  header(name: string): string | undefined {
    // Headers#get: names compared without case, repeated names joined by ", ".
    const raw = this.req.rawHeaders;
    let value: string | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const key = raw[i]!;
      if (key.length === name.length && key.toLowerCase() === name) {
        value = value === undefined ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`;
      }
    }
    return value;
  }

  async json<T extends z.ZodType>(schema: T, maxBytes: number): Promise<z.infer<T>> {
    return readJsonBytes(
      this.header('content-type'),
      this.header('content-length'),
      this.body,
      schema,
      maxBytes,
    );
  }

  request(): Request {
    if (this.web === undefined) {
      const { signal } = abortOnClose(this.res);
      this.web = webRequest(this.req, this.method, signal, this.body, this.url());
    }
    return this.web;
  }
}

const PLAIN_PATH = /^\/(?!\/)[\w\-~/]*$/;

/** Runs the native entry and writes its answer; a function of its own, as `respond`. */
function answerNatively(
  native: NativeEntry,
  request: NodeRequest,
  info: ConnectionInfo,
  res: ServerResponse,
) {
  const head = request.method === 'HEAD';
  void native(request, info)
    // `Response` is the runtime's own class; `JsonAnswer` may be another entry point's
    // copy of it (CommonJS entry points each bundle their own), so test for the former.
    .then((answer) =>
      answer instanceof Response
        ? writeResponse(answer, res, head)
        : isEventStreamAnswer(answer)
          ? writeEventStream(answer, res, head)
          : writeJson(answer, res, head),
    )
    .catch(() => answerInternalError(res));
}

/**
 * Writes a {@link JsonAnswer} as `writeResponse` writes the `Response` it stands for:
 * the same status, headers in the same order, and the text in one write.
 */
function writeJson(answer: JsonAnswer, res: ServerResponse, head: boolean): void {
  res.statusCode = answer.status;
  for (const [name, value] of answer.headerList()) res.setHeader(name, value);
  if (head) res.end();
  else res.end(answer.text);
}

/**
 * Writes an {@link EventStreamAnswer} straight to `res`: the headers at once, then each
 * event as the stream's code writes it, with no Web stream between. The stream ends when
 * its code finishes it, or when the client goes away (`close`), and its clean-ups run
 * once. A client that stops reading while events pile up past {@link UNREAD_LIMIT}
 * bytes is let go.
 */
function writeEventStream(answer: EventStreamAnswer, res: ServerResponse, head: boolean): void {
  res.statusCode = answer.status;
  if (head) {
    for (const [name, value] of answer.headerList()) res.setHeader(name, value);
    res.end();
    return;
  }
  // The header lines setHeader would send, without the copy of each it keeps on the
  // response for as long as the stream lasts (headers set before still go through it).
  const lines: string[] = [];
  for (const [name, value] of answer.headerList()) lines.push(name, value);
  res.writeHead(answer.status, lines);
  res.flushHeaders();
  const channel = new ResponseChannel(res);
  (res as ChannelResponse)[CHANNEL] = channel;
  res.on('close', closeChannel);
  answer.open(channel);
}

/** Bytes written to a client and not yet taken by its socket, beyond which it is let go. */
const UNREAD_LIMIT = 1 << 20;

/** Where a response being written as an event stream keeps its channel. */
const CHANNEL = Symbol('event channel');

type ChannelResponse = ServerResponse & { [CHANNEL]?: ResponseChannel };

/** The `close` listener of every event stream's response: one function, not one per stream. */
function closeChannel(this: ChannelResponse): void {
  this[CHANNEL]?.end(false);
}

/** An {@link EventChannel} onto a Node response. */
class ResponseChannel implements EventChannel {
  closed = false;
  /** One clean-up (the usual case), or several. */
  private cleanups: (() => void) | Array<() => void> | undefined;

  constructor(private readonly res: ServerResponse) {}

  write(text: string | Uint8Array): void {
    if (this.closed) return;
    const res = this.res;
    if (res.destroyed || res.writableLength > UNREAD_LIMIT) {
      this.end(true);
      return;
    }
    res.write(text);
  }

  finish(): void {
    this.end(true);
  }

  onClose(cleanup: () => void): void {
    if (this.closed) {
      runCleanup(cleanup);
      return;
    }
    const cleanups = this.cleanups;
    if (cleanups === undefined) this.cleanups = cleanup;
    else if (Array.isArray(cleanups)) cleanups.push(cleanup);
    else this.cleanups = [cleanups, cleanup];
  }

  /** Ends the stream once: its clean-ups run, and the response ends when `respond`. */
  end(respond: boolean): void {
    if (this.closed) return;
    this.closed = true;
    const cleanups = this.cleanups;
    this.cleanups = undefined;
    if (Array.isArray(cleanups)) for (const cleanup of cleanups) runCleanup(cleanup);
    else if (cleanups) runCleanup(cleanups);
    if (respond) {
      if (this.res.destroyed) return;
      this.res.end();
    }
  }
}

function runCleanup(cleanup: () => void): void {
  try {
    cleanup();
  } catch {
    // A failing clean-up must not keep the others from running.
  }
}

/**
 * A request body as a Web stream that reads only when pulled. A handler that stops
 * reading (a body over its limit) cancels it; the rest of the upload is then read and
 * discarded instead of the socket being destroyed, so a client still sending receives
 * the answer (`413`) rather than a connection reset. A body never read is discarded by
 * Node itself once the answer is sent.
 */
function nodeRequestBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  // An upload cut by the client errors the stream below; the event itself is expected.
  req.on('error', () => {});
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        return new Promise<void>((resolve) => {
          const settle = () => {
            req.off('readable', attempt);
            req.off('end', attempt);
            req.off('close', attempt);
            resolve();
          };
          const attempt = () => {
            const chunk = req.destroyed ? null : (req.read() as Buffer | null);
            if (chunk !== null) {
              settle();
              controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
            } else if (req.readableEnded) {
              settle();
              controller.close();
            } else if (req.destroyed) {
              settle();
              controller.error(req.errored ?? new Error('the request was aborted'));
            }
          };
          req.on('readable', attempt);
          req.on('end', attempt);
          req.on('close', attempt);
          attempt();
        });
      },
      cancel() {
        req.resume();
      },
    },
    { highWaterMark: 0 },
  );
}

/** The URL of a Node request. */
function requestUrl(req: IncomingMessage): URL {
  const host = req.headers.host ?? 'localhost';
  try {
    return new URL(req.url ?? '/', `http://${host}`);
  } catch {
    return new URL(req.url ?? '/', 'http://localhost');
  }
}

/** The Web `Request` of a Node request. */
function webRequest(
  req: IncomingMessage,
  method: string,
  signal: AbortSignal,
  body: Uint8Array | ReadableStream<Uint8Array> | undefined,
  url: URL = requestUrl(req),
): Request {
  // The raw name/value pairs, appended once by the Request itself (repeated names are
  // combined as Headers combines them), rather than copied through a Headers first.
  const raw = req.rawHeaders;
  const headers: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) headers.push([raw[i]!, raw[i + 1]!]);
  return new Request(url, {
    method,
    headers,
    signal,
    ...(body === undefined ? {} : { body }),
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
}

/**
 * Runs the handler and writes its answer. A function of its own, so that what stays
 * referenced while a body streams (the callbacks below) holds the response, not the
 * request that was answered.
 */
function respond(
  handler: FetchHandler,
  request: Request,
  info: ConnectionInfo,
  res: ServerResponse,
  head: boolean,
) {
  void handler(request, info)
    .then((response) => writeResponse(response, res, head))
    .catch(() => answerInternalError(res));
}

function answerInternalError(res: ServerResponse): void {
  if (!res.headersSent) {
    res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
    res.end(
      JSON.stringify({
        success: false,
        error: { code: 'INTERNAL_ERROR', message: 'An internal error occurred' },
      }),
    );
  } else {
    res.destroy();
  }
}

/**
 * The controller behind `request.signal`: aborted when the connection closes before
 * the answer is complete (after a complete one there is nothing to abort, and no
 * DOMException to make). A function of its own, so that the listener, which lives as
 * long as the response, keeps only the controller, not the request being built.
 */
function abortOnClose(res: ServerResponse): AbortController {
  const controller = new AbortController();
  // Made after the connection closed (a route that asked for the request late): aborted now.
  if (res.destroyed && !res.writableFinished) {
    controller.abort();
    return controller;
  }
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller;
}

function writeResponse(response: Response, res: ServerResponse, head: boolean): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    res.setHeader(name, value);
  });
  if (!response.body || head) {
    res.end();
    return Promise.resolve();
  }
  // A JSON answer of the handler's own goes out as the text it was made from, in one
  // write with its length, without reading its body stream back.
  const text = textBodyOf(response);
  if (text !== undefined) {
    res.end(text);
    return Promise.resolve();
  }
  // The Response itself is not kept while its body streams (an event stream may last
  // minutes): its status and headers are on `res` now, and only its reader goes on.
  return writeBody(response.body.getReader(), res);
}

async function writeBody(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  res: ServerResponse,
): Promise<void> {
  const stop = () => void reader.cancel().catch(() => {});
  res.on('close', stop);
  try {
    let first = (await reader.read()).value;
    if (first === undefined) {
      res.setHeader('content-length', '0');
      return;
    }
    let read = reader.read();
    // A body that is complete at once (a JSON answer: the second read settles before
    // the event loop turns) goes out in one write, with its length; one still being
    // produced (an event stream) is streamed as it comes.
    let timer: ReturnType<typeof setImmediate> | undefined;
    const complete = await Promise.race([
      read.then(({ done }) => done),
      new Promise<false>((resolve) => {
        timer = setImmediate(() => resolve(false));
      }),
    ]);
    clearImmediate(timer);
    timer = undefined;
    if (complete) {
      res.setHeader('content-length', String(first.byteLength));
      res.end(first);
      return;
    }
    res.write(first);
    // Chunks are let go once written: a stream may stay open for minutes, holding no
    // more than the read it waits on.
    first = undefined;
    for (;;) {
      let chunk = (await read).value;
      if (chunk === undefined) return;
      const flushed = res.write(chunk);
      chunk = undefined;
      if (!flushed) {
        await new Promise<void>((resolve) => {
          const resume = () => {
            res.off('drain', resume);
            res.off('close', resume);
            resolve();
          };
          res.on('drain', resume);
          res.on('close', resume);
        });
      }
      if (res.destroyed) return;
      read = reader.read();
    }
  } finally {
    res.off('close', stop);
    if (!res.writableEnded) res.end();
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * Answers a request Node could not parse (headers over `maxHeaderSize`, malformed
 * HTTP, a header timeout) with the error envelope instead of Node's bare status line,
 * then closes the connection. `serve` installs it; add it to a server of your own as
 * its `clientError` listener.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { answerClientError, toNodeListener } from '@handshake/core/node';
 *
 * const server = createServer(toNodeListener(async () => new Response('ok')));
 * server.on('clientError', answerClientError);
 * ```
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'PAYLOAD_TOO_LARGE', 'The request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'VALIDATION_ERROR', 'The request did not arrive in time']
        : [400, 'VALIDATION_ERROR', 'The request is not valid HTTP'];
  const body = JSON.stringify({ success: false, error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\n` +
      'content-type: application/json; charset=utf-8\r\n' +
      'cache-control: no-store\r\n' +
      'x-content-type-options: nosniff\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
}

/**
 * A running server.
 *
 * @example
 * ```ts
 * import { createHandshake, createHandshakeHandler, type ToolProviderV1 } from '@handshake/core';
 * import { type RunningServer, serve } from '@handshake/core/node';
 * declare const tools: ToolProviderV1;
 *
 * const running: RunningServer = await serve(createHandshakeHandler(createHandshake({ tools })), { port: 8787 });
 * console.log(`listening on ${running.url}`);
 * process.once('SIGTERM', () => void running.close());
 * ```
 */
export interface RunningServer {
  server: Server;
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves a handler on `node:http`. Port 0 picks a free port.
 *
 * @example
 * ```ts
 * import { serve } from '@handshake/core/node';
 *
 * const running = await serve(async () => new Response('ok'), { port: 0 });
 * console.log(running.url);
 * await running.close();
 * ```
 */
export async function serve(
  handler: FetchHandler,
  options: { port?: number; hostname?: string; maxHeaderSize?: number } = {},
): Promise<RunningServer> {
  const server = createServer(
    { maxHeaderSize: options.maxHeaderSize ?? 16 * 1024 },
    toNodeListener(handler),
  );
  server.on('clientError', answerClientError);
  const hostname = options.hostname ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const display = hostname.includes(':') ? `[${hostname}]` : hostname;
  return {
    server,
    port,
    url: `http://${display}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
