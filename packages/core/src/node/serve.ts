import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

/** A Web-standard handler. */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * Adapts a Web-standard handler to Node's `http` request listener. Request bodies are
 * streamed (the handler enforces its size limit while reading); response bodies are
 * streamed with backpressure, and a client that disconnects aborts `request.signal`
 * and cancels the response stream.
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
  return (req, res) => {
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const host = req.headers.host ?? 'localhost';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${host}`);
    } catch {
      url = new URL(req.url ?? '/', 'http://localhost');
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else headers.set(name, value);
    }
    const method = req.method ?? 'GET';
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const request = new Request(url, {
      method,
      headers,
      signal: controller.signal,
      ...(hasBody
        ? { body: Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>, duplex: 'half' }
        : {}),
    } as RequestInit);
    void handler(request)
      .then((response) => writeResponse(response, res, method === 'HEAD'))
      .catch(() => {
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
      });
  };
}

async function writeResponse(response: Response, res: ServerResponse, head: boolean) {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  if (!response.body || head) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const stop = () => void reader.cancel().catch(() => {});
  res.on('close', stop);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) {
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
      if (res.destroyed) break;
    }
  } finally {
    res.off('close', stop);
    res.end();
  }
}

/** A running server. */
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
