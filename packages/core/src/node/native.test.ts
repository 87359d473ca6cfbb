import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CREDENTIALS, testEngine } from '../../test/fixtures.js';
import { createHandshakeHandler, type HandshakeRoute } from '../http/handler.js';
import { jsonResponse } from '../http/responses.js';
import { type RunningServer, serve } from './serve.js';

// `serve` answers the handler of createHandshakeHandler through its native entry (no Web
// Request or Response unless a route asks for one). These tests hold that path to the
// bytes the handler's fetch-style path makes for the same requests.

const servers: RunningServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const echoBody = z.object({ text: z.string() }).strict();

/** Two services alike: one served natively, one through its fetch-style handler only. */
async function twins() {
  const errors: Array<{ native: boolean; error: unknown; request: unknown }> = [];
  const make = async (native: boolean) => {
    const { engine } = testEngine({ rateLimit: { limit: 3, windowMs: 60_000 } });
    const routes: HandshakeRoute[] = [
      {
        method: 'GET',
        path: '/echo/:name',
        handle: (ctx) =>
          jsonResponse(200, {
            name: ctx.params.name,
            url: ctx.url.href,
            test: ctx.request.headers.get('x-test'),
            credential: ctx.credential ?? null,
            client: ctx.clientAddress ?? null,
          }),
      },
      {
        method: 'POST',
        path: '/echo',
        handle: async ({ body }) => jsonResponse(201, await body(echoBody)),
      },
      {
        method: 'POST',
        path: '/raw',
        handle: async ({ request }) => new Response(await request.text(), { status: 202 }),
      },
      {
        method: 'GET',
        path: '/broken',
        handle: () => {
          throw new Error('not for the client');
        },
      },
    ];
    const handler = createHandshakeHandler(engine, {
      routes,
      maxBodyBytes: 1024,
      trustedProxies: 1,
      onError: (error, request) => errors.push({ native, error, request }),
    });
    const running = await serve(native ? handler : (request, info) => handler(request, info));
    servers.push(running);
    return running;
  };
  return { native: await make(true), web: await make(false), errors };
}

/** One request over its own connection, as raw bytes; the answer as raw text. */
function exchange(
  server: RunningServer,
  head: string,
  body: Buffer | string = '',
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(`${head.replaceAll('\n', '\r\n')}\r\nConnection: close\r\n\r\n`);
    socket.end(body);
  });
}

/** The answer with its date and the handshake's random identifiers masked. */
function comparable(answer: string): string {
  return answer
    .replace(/\r\nDate: [^\r]*/, '\r\nDate: -')
    .replace(
      /"(transactionId|ephemeralToken|approvalId|requestId)":"([^"]*)"/g,
      (_all, key: string, value: string) => `"${key}":"${'x'.repeat(value.length)}"`,
    );
}

/**
 * An answer with a chunked body as its head and the body's bytes: where a body was cut
 * into chunks depends on how its writes met the socket, not on what was written.
 */
function dechunk(answer: string): string {
  const split = answer.indexOf('\r\n\r\n');
  const head = answer.slice(0, split + 4);
  let rest = answer.slice(split + 4);
  let body = '';
  for (;;) {
    const line = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, line), 16);
    if (!(size > 0)) break;
    body += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
  return head + body;
}

const json = (text: string) =>
  `Content-Type: application/json\nContent-Length: ${Buffer.byteLength(text)}`;

const authorize = JSON.stringify({ tool: 'get_exchange_rate', parameters: { from: 'USD' } });

/** Requests, each sent to both services in turn: [request line and headers, body]. */
const requests: Array<[string, (Buffer | string)?]> = [
  ['GET /health HTTP/1.1\nHost: a.test'],
  ['HEAD /health HTTP/1.1\nHost: a.test'],
  ['GET /health/ HTTP/1.1\nHost: a.test'],
  ['GET /health?verbose=1 HTTP/1.1\nHost: a.test'],
  ['GET /%68ealth HTTP/1.1\nHost: a.test'],
  ['GET //health HTTP/1.1\nHost: a.test'],
  ['GET /./health HTTP/1.1\nHost: a.test'],
  ['GET /x/../health HTTP/1.1\nHost: a.test'],
  ['GET /tools/.. HTTP/1.1\nHost: a.test'],
  ['GET http://b.test/health HTTP/1.1\nHost: a.test'],
  ['GET /health HTTP/1.1\nHost: not a host'],
  ['GET /health HTTP/1.0'],
  ['DELETE /health HTTP/1.1\nHost: a.test'],
  ['GET /nowhere HTTP/1.1\nHost: a.test'],
  ['GET /tools HTTP/1.1\nHost: a.test'],
  ['GET /approvals/%E0%A4%A HTTP/1.1\nHost: a.test'],
  [`GET /approvals/nope HTTP/1.1\nHost: a.test\nAuthorization: Bearer ${CREDENTIALS.alice}`],
  [
    `GET /approvals?status=maybe HTTP/1.1\nHost: a.test\nAuthorization: Bearer ${CREDENTIALS.approver}`,
  ],
  [`GET /approvals?limit=5 HTTP/1.1\nHost: a.test\nAuthorization: Bearer ${CREDENTIALS.approver}`],
  ['POST /authorize HTTP/1.1\nHost: a.test\nContent-Type: text/plain\nContent-Length: 2', '{}'],
  [`POST /authorize HTTP/1.1\nHost: a.test\n${json('{"tool":')}`, '{"tool":'],
  [
    'POST /authorize HTTP/1.1\nHost: a.test\nContent-Type: application/json\nContent-Length: 3',
    Buffer.from([0x22, 0xff, 0x22]),
  ],
  [`POST /authorize HTTP/1.1\nHost: a.test\n${json('{"extra":1}')}`, '{"extra":1}'],
  [
    'POST /authorize HTTP/1.1\nHost: a.test\nContent-Type: application/json\nContent-Length: 2000',
    'x'.repeat(2000),
  ],
  [
    'POST /authorize HTTP/1.1\nHost: a.test\nContent-Type: application/json\nTransfer-Encoding: chunked',
    `7d0\r\n${'x'.repeat(2000)}\r\n0\r\n\r\n`,
  ],
  [`POST /authorize HTTP/1.1\nHost: a.test\n${json(authorize)}`, authorize],
  // Repeated names are joined, as Headers joins them: no credential is read from them.
  [
    `GET /approvals/nope HTTP/1.1\nHost: a.test\nAuthorization: Bearer ${CREDENTIALS.alice}\nAuthorization: Bearer ${CREDENTIALS.bob}`,
  ],
  [
    `POST /authorize HTTP/1.1\nHost: a.test\nAuthorization: Bearer ${CREDENTIALS.alice}\n${json(`\ufeff${authorize}`)}`,
    `\ufeff${authorize}`,
  ],
  // Alice's rate limit is 3 a minute: the fourth and fifth answer 429 with Retry-After.
  ...Array.from({ length: 4 }, (): [string, string] => [
    `POST /authorize HTTP/1.1\nHost: a.test\nauthorization:   bearer ${CREDENTIALS.alice}  \n${json(authorize)}`,
    authorize,
  ]),
  [
    `POST /execute HTTP/1.1\nHost: a.test\nAuthorization: Bearer ${CREDENTIALS.bob}\nX-Ephemeral-Token: one\n${json('{"tool":"get_exchange_rate","parameters":{},"ephemeralToken":"two"}')}`,
    '{"tool":"get_exchange_rate","parameters":{},"ephemeralToken":"two"}',
  ],
  [
    `GET /echo/caf%C3%A9 HTTP/1.1\nHost: a.test:8080\nX-Test: one\nx-test: two \nX-Forwarded-For: 203.0.113.9, 198.51.100.4\nAuthorization: Bearer tok`,
  ],
  ['HEAD /echo/x HTTP/1.1\nHost: a.test'],
  [`POST /echo HTTP/1.1\nHost: a.test\n${json('{"text":"é"}')}`, '{"text":"é"}'],
  [`POST /echo HTTP/1.1\nHost: a.test\n${json('{"text":1}')}`, '{"text":1}'],
  ['POST /raw HTTP/1.1\nHost: a.test\nContent-Length: 5', 'bytes'],
  ['POST /raw HTTP/1.1\nHost: a.test\nTransfer-Encoding: chunked', '3\r\nabc\r\n0\r\n\r\n'],
  ['GET /broken HTTP/1.1\nHost: a.test'],
];

describe('serve: the handler answered natively', () => {
  it('sends the same bytes as the fetch-style handler, request by request', async () => {
    const { native, web } = await twins();
    for (const [head, body] of requests) {
      const fromWeb = comparable(await exchange(web, head, body));
      const fromNative = comparable(await exchange(native, head, body));
      expect(fromNative, head).toBe(fromWeb);
      expect(fromNative).toMatch(/^HTTP\/1\.1 \d{3} /);
    }
  });

  it('hears unexpected errors with the request that caused them, as a Web Request', async () => {
    const { native, web, errors } = await twins();
    await exchange(native, 'GET /broken?a=1 HTTP/1.1\nHost: a.test\nX-Test: seen');
    await exchange(web, 'GET /broken?a=1 HTTP/1.1\nHost: a.test\nX-Test: seen');
    expect(errors).toHaveLength(2);
    for (const { error, request } of errors) {
      expect((error as Error).message).toBe('not for the client');
      expect(request).toBeInstanceOf(Request);
      expect((request as Request).url).toBe('http://a.test/broken?a=1');
      expect((request as Request).headers.get('x-test')).toBe('seen');
    }
  });

  it('writes an event stream to the response itself, with the bytes of the fetch-style handler', async () => {
    const { native, web } = await twins();
    const refund = JSON.stringify({
      tool: 'create_refund',
      parameters: { capture_id: 'CAP-1', amount: { value: '25.00', currency: 'USD' } },
    });
    const streamed = async (server: RunningServer) => {
      const authorized = await fetch(`${server.url}/authorize`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${CREDENTIALS.alice}`,
          'content-type': 'application/json',
        },
        body: refund,
      });
      const { approvalId } = (await authorized.json()) as { approvalId: string };
      // Opened while the approval is pending; denied once its first event arrived.
      const socket = connect(server.port, '127.0.0.1');
      socket.write(
        `GET /approvals/${approvalId} HTTP/1.1\r\nHost: a.test\r\nAccept: text/event-stream\r\nAuthorization: Bearer ${CREDENTIALS.alice}\r\nConnection: close\r\n\r\n`,
      );
      const chunks: Buffer[] = [];
      const text = () => Buffer.concat(chunks).toString('latin1');
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      await expect.poll(text).toContain('"status":"pending"');
      const denied = await fetch(`${server.url}/approvals/${approvalId}/decision`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${CREDENTIALS.approver}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ decision: 'deny', reason: 'not today' }),
      });
      expect(denied.status).toBe(200);
      // The last chunk: the stream ended (the connection stays open: keep-alive).
      await expect.poll(text).toMatch(/\r\n0\r\n\r\n$/);
      socket.destroy();
      return comparable(dechunk(text()));
    };
    const fromWeb = await streamed(web);
    const fromNative = await streamed(native);
    expect(fromNative).toBe(fromWeb);
    expect(fromNative).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(fromNative).toContain('content-type: text/event-stream; charset=utf-8');
    expect(fromNative).toMatch(/event: status\ndata: \{[^\n]*"status":"pending"/);
    expect(fromNative).toMatch(/event: status\ndata: \{[^\n]*"status":"denied"/);
  });

  it("aborts a route's request signal when the client goes away, even if asked for late", async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: { early?: boolean; late?: boolean } = {};
    const { engine } = testEngine();
    const running = await serve(
      createHandshakeHandler(engine, {
        routes: [
          {
            method: 'GET',
            path: '/early',
            handle: ({ request }) => {
              request.signal.addEventListener('abort', () => {
                seen.early = true;
              });
              return new Response(
                new ReadableStream({ start: (c) => c.enqueue(new Uint8Array([49])) }),
              );
            },
          },
          {
            method: 'GET',
            path: '/late',
            handle: async (ctx) => {
              await released;
              seen.late = ctx.request.signal.aborted;
              return jsonResponse(200, {});
            },
          },
        ],
      }),
    );
    servers.push(running);
    const open = (path: string) =>
      new Promise<ReturnType<typeof connect>>((resolve) => {
        const socket = connect(running.port, '127.0.0.1', () => {
          socket.write(`GET ${path} HTTP/1.1\r\nHost: a.test\r\n\r\n`);
          resolve(socket);
        });
        socket.on('error', () => {});
      });
    const connections = () =>
      new Promise<number>((resolve) =>
        running.server.getConnections((_error, count) => resolve(count)),
      );

    const early = await open('/early');
    await new Promise((resolve) => early.once('data', resolve));
    early.destroy();
    await expect.poll(() => seen.early).toBe(true);

    const late = await open('/late');
    await expect.poll(connections).toBe(1);
    late.destroy();
    await expect.poll(connections).toBe(0);
    release();
    await expect.poll(() => seen.late).toBe(true);
  });
});
