import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonResponse, textBodyOf } from '../http/responses.js';
import { type FetchHandler, type RunningServer, serve } from './serve.js';

let running: RunningServer | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(handler: FetchHandler): Promise<string> {
  running = await serve(handler, { port: 0 });
  return running.url;
}

/** One request over a fresh connection: status, headers and the body as received. */
function send(
  url: string,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve', () => {
  it('sends a JSON answer as the text it was made from, with its length and headers', async () => {
    const url = await start(async () =>
      jsonResponse(201, { ok: true, note: 'café ☕' }, { 'x-extra': '1' }),
    );
    const reply = await send(`${url}/x`);
    expect(reply.status).toBe(201);
    expect(reply.body).toBe('{"ok":true,"note":"café ☕"}');
    expect(reply.headers['content-length']).toBe(String(Buffer.byteLength(reply.body)));
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.headers['x-extra']).toBe('1');
    expect(reply.headers['transfer-encoding']).toBeUndefined();

    const head = await send(`${url}/x`, 'HEAD');
    expect(head.status).toBe(201);
    expect(head.body).toBe('');
  });

  it('sends headers changed after the answer was made', async () => {
    const url = await start(async () => {
      const response = jsonResponse(200, { ok: true });
      response.headers.set('x-later', 'yes');
      response.headers.delete('cache-control');
      return response;
    });
    const reply = await send(url);
    expect(reply.headers['x-later']).toBe('yes');
    expect(reply.headers['cache-control']).toBeUndefined();
    expect(reply.body).toBe('{"ok":true}');
  });

  it('never resends the text of a body the handler has already read', async () => {
    const url = await start(async () => {
      const response = jsonResponse(200, { secret: 'read once' });
      await response.text();
      expect(textBodyOf(response)).toBeUndefined();
      return response;
    });
    const reply = await send(url);
    expect(reply.body).not.toContain('read once');
  });

  it('streams any other body as before: whole when ready at once, in chunks otherwise', async () => {
    let cancelled: unknown;
    let aborted = false;
    const url = await start(async (request) => {
      if (new URL(request.url).pathname === '/whole') return new Response('hello');
      request.signal.addEventListener('abort', () => {
        aborted = true;
      });
      return new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('data: first\n\n'));
          },
          cancel(reason) {
            cancelled = reason ?? 'cancelled';
          },
        }),
        { headers: { 'content-type': 'text/event-stream' } },
      );
    });
    const whole = await send(`${url}/whole`);
    expect(whole.body).toBe('hello');
    expect(whole.headers['content-length']).toBe('5');

    const first = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${url}/stream`, { agent: false }, (res) => {
        expect(res.headers['transfer-encoding']).toBe('chunked');
        res.setEncoding('utf8');
        res.once('data', (chunk: string) => {
          req.destroy();
          resolve(chunk);
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(first).toBe('data: first\n\n');
    await expect.poll(() => aborted).toBe(true);
    await expect.poll(() => cancelled).toBeDefined();
  });

  it('answers 500 with the envelope when the handler throws', async () => {
    const url = await start(async () => {
      throw new Error('do not leak this');
    });
    const reply = await send(url);
    expect(reply.status).toBe(500);
    expect(reply.body).not.toContain('leak');
    expect(JSON.parse(reply.body).error.code).toBe('INTERNAL_ERROR');
  });
});
