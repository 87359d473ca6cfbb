import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHandshake } from '../engine/engine.js';
import { createHandshakeHandler } from '../http/handler.js';
import type { ApiGatewayProxyEventV1, ApiGatewayProxyEventV2 } from './events.js';
import { awsLambdaHandler } from './handler.js';
import { awsLambdaStreamingHandler, type LambdaStreamingRuntime } from './streaming.js';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
const restEvent = () => fixture<ApiGatewayProxyEventV1>('rest-api-v1.json');
const httpEvent = () => fixture<ApiGatewayProxyEventV2>('http-api-v2.json');
const urlEvent = () => fixture<ApiGatewayProxyEventV2>('function-url.json');

/** Answers what it received, and a binary body with two cookies when asked. */
async function echo(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === '/binary') {
    const headers = new Headers({ 'content-type': 'application/octet-stream' });
    headers.append('set-cookie', 'a=1');
    headers.append('set-cookie', 'b=2');
    return new Response(new Uint8Array([0, 255, 128, 10]), { headers });
  }
  const body = request.body ? [...new Uint8Array(await request.arrayBuffer())] : null;
  return Response.json({
    method: request.method,
    url: request.url,
    accept: request.headers.get('accept'),
    forwarded: request.headers.get('x-forwarded-for'),
    cookie: request.headers.get('cookie'),
    body,
  });
}

describe('awsLambdaHandler on API Gateway REST APIs (payload 1.0)', () => {
  const handler = awsLambdaHandler(echo);

  it('reads the documented sample, with repeated headers and query values', async () => {
    const event = restEvent();
    event.path = '/approvals';
    event.multiValueHeaders = {
      ...event.multiValueHeaders,
      'X-Forwarded-For': ['52.255.255.12', '10.0.0.1'],
    };
    event.multiValueQueryStringParameters = { status: ['pending'], tag: ['a', 'b c'] };
    event.queryStringParameters = { status: 'pending', tag: 'b c' };
    const result = await handler(event);
    expect(result.statusCode).toBe(200);
    expect(result.isBase64Encoded).toBe(false);
    expect(JSON.parse(result.body)).toEqual({
      method: 'GET',
      url: 'https://r3pmxmplak.execute-api.us-east-2.amazonaws.com/approvals?status=pending&tag=a&tag=b+c',
      accept: 'application/json',
      forwarded: '52.255.255.12, 10.0.0.1',
      cookie: null,
      body: null,
    });
    expect(result.multiValueHeaders?.['content-type']).toEqual(['application/json']);
  });

  it('decodes a base64 body, and encodes a binary answer with both cookies', async () => {
    const event = restEvent();
    event.httpMethod = 'POST';
    event.path = '/echo';
    event.body = Buffer.from([1, 2, 3, 250]).toString('base64');
    event.isBase64Encoded = true;
    expect(JSON.parse((await handler(event)).body).body).toEqual([1, 2, 3, 250]);
    const binary = await handler({ ...restEvent(), path: '/binary' });
    expect(binary.isBase64Encoded).toBe(true);
    expect([...Buffer.from(binary.body, 'base64')]).toEqual([0, 255, 128, 10]);
    expect(binary.multiValueHeaders?.['set-cookie']).toEqual(['a=1', 'b=2']);
  });
});

describe('awsLambdaHandler on HTTP APIs (payload 2.0) and Function URLs', () => {
  const handler = awsLambdaHandler(echo);

  it('reads the documented samples, cookies and raw query included', async () => {
    for (const event of [httpEvent(), urlEvent()]) {
      event.rawPath = '/tools';
      event.rawQueryString = 'status=pending&x=%2F';
      event.requestContext.http.method = 'POST';
      event.body = Buffer.from('{"a":1}').toString('base64');
      event.isBase64Encoded = true;
      const answer = JSON.parse((await handler(event)).body);
      expect(answer.method).toBe('POST');
      expect(answer.url).toBe(`https://${event.headers?.host}/tools?status=pending&x=%2F`);
      expect(Buffer.from(answer.body).toString()).toBe('{"a":1}');
    }
    expect(JSON.parse((await handler(httpEvent())).body).cookie).toBe('theme=dark');
  });

  it('answers cookies apart from the headers, and binary bodies base64', async () => {
    const event = httpEvent();
    event.rawPath = '/binary';
    const result = await handler(event);
    expect(result.cookies).toEqual(['a=1', 'b=2']);
    expect(result.headers['set-cookie']).toBeUndefined();
    expect(result.isBase64Encoded).toBe(true);
  });

  it('asks for JSON instead of an event stream, which a buffered answer cannot carry', async () => {
    const event = urlEvent();
    event.headers = { ...event.headers, accept: 'text/event-stream' };
    expect(JSON.parse((await handler(event)).body).accept).toBe('application/json');
  });
});

describe('awsLambdaHandler refuses what is not a request', () => {
  const handler = awsLambdaHandler(createHandshakeHandler(createHandshake({ tools: [] })));
  const envelope = (body: string) =>
    JSON.parse(body) as { success: boolean; error: { code: string } };

  it.each([
    ['null', null],
    ['an array', []],
    ['no method', { ...restEvent(), httpMethod: undefined }],
    ['a path without its slash', { ...restEvent(), path: 'health' }],
    ['a 2.0 event without requestContext.http', { ...httpEvent(), requestContext: {} }],
    [
      'a body that is not base64',
      { ...restEvent(), httpMethod: 'POST', body: '%%%', isBase64Encoded: true },
    ],
    ['headers that are not an object', { ...restEvent(), headers: 'Host: x' }],
  ])('answers 400 in the error envelope for %s', async (_name, event) => {
    const result = await handler(event as never);
    expect(result.statusCode).toBe(400);
    expect(envelope(result.body)).toEqual({
      success: false,
      error: { code: 'VALIDATION_ERROR', message: expect.stringContaining('Lambda event') },
    });
  });

  it('answers 413 for a body over the handler limit', async () => {
    const event = httpEvent();
    event.rawPath = '/authorize';
    event.requestContext.http.method = 'POST';
    event.headers = { ...event.headers, 'content-type': 'application/json' };
    event.body = Buffer.from(`{"tool":"x","parameters":{"p":"${'x'.repeat(70_000)}"}}`).toString(
      'base64',
    );
    event.isBase64Encoded = true;
    const result = await handler(event);
    expect(result.statusCode).toBe(413);
    expect(envelope(result.body).error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('awsLambdaStreamingHandler on Function URLs with response streaming', () => {
  /** The runtime's streaming API as Lambda documents it, recording what is written. */
  function runtime() {
    const written: { prelude?: unknown; chunks: string[]; ended: boolean } = {
      chunks: [],
      ended: false,
    };
    const stream = {
      write(chunk: Uint8Array) {
        written.chunks.push(new TextDecoder().decode(chunk));
        return true;
      },
      end() {
        written.ended = true;
      },
      once() {
        return stream;
      },
    };
    const api: LambdaStreamingRuntime = {
      streamifyResponse: (handler) => (event: unknown) => handler(event, stream, {}),
      HttpResponseStream: {
        from(target, prelude) {
          written.prelude = prelude;
          return target;
        },
      },
    };
    return { api, written };
  }

  it('streams each chunk as the handler writes it', async () => {
    const { api, written } = runtime();
    let push = (_text: string) => {};
    let close = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (text) => controller.enqueue(new TextEncoder().encode(text));
        close = () => controller.close();
      },
    });
    const invoke = awsLambdaStreamingHandler(
      async () => new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
      { runtime: api },
    ) as (event: unknown) => Promise<void>;
    const done = invoke(urlEvent());
    push('data: {"status":"pending"}\n\n');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(written.prelude).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'text/event-stream' },
    });
    expect(written.chunks).toEqual(['data: {"status":"pending"}\n\n']);
    expect(written.ended).toBe(false);
    push('data: {"status":"approved"}\n\n');
    close();
    await done;
    expect(written.chunks).toHaveLength(2);
    expect(written.ended).toBe(true);
  });

  it('answers a malformed event in the error envelope', async () => {
    const { api, written } = runtime();
    const invoke = awsLambdaStreamingHandler(echo, { runtime: api }) as (
      e: unknown,
    ) => Promise<void>;
    await invoke({ version: '2.0', rawPath: '/x' });
    expect(written.prelude).toMatchObject({ statusCode: 400 });
    expect(JSON.parse(written.chunks.join('')).error.code).toBe('VALIDATION_ERROR');
  });

  it('refuses to start outside the Lambda runtime', () => {
    expect(() => awsLambdaStreamingHandler(echo)).toThrow('awslambda');
  });
});
