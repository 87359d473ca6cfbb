// A whole service for the threat, hostile-input and fault suites: the engine with one
// tool per tier and the spend API, served over loopback HTTP, with every error body
// kept for the suites to scan.
import { spendApiRoutes, spendTools } from '@handshake/cards';
import { simulatedCardIssuer } from '@handshake/cards/testing';
import { ErrorEnvelopeSchema } from '@handshake/protocol';
import { CREATE_VIRTUAL_CARD, cardPurchaseParameters } from '@handshake/protocol/cards';
import { expect } from 'vitest';
import type { HandshakeOptions } from '../src/engine/options.js';
import { createHandshakeHandler, type HandshakeHandlerOptions } from '../src/http/handler.js';
import { type RunningServer, serve } from '../src/node/serve.js';
import { CREDENTIALS, testClock, testEngine, testTools } from './fixtures.js';

/** One HTTP answer, read whole (SSE answers are read until the stream ends or is cut). */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface HarnessOptions {
  engine?: Partial<HandshakeOptions>;
  handler?: Omit<HandshakeHandlerOptions, 'routes'>;
  /** What the test tools do when run (default: echo). */
  run?: (name: string, parameters: Record<string, unknown>) => unknown | Promise<unknown>;
}

/** Text that only a leaked stack trace or an internal path would contain. */
export const INTERNAL_DETAIL =
  /\n\s+at |\bat [^\s]+ \(|\bat [^\s]+:\d+:\d+|\/work\/|node_modules|\.ts:\d|\.js:\d|file:\/\//;

/** Starts the service; `close()` stops it. */
export async function startHarness(options: HarnessOptions = {}) {
  const clock = testClock();
  const issuer = simulatedCardIssuer({ clock });
  const spend = spendTools({ issuer });
  const tools = testTools(options.run ? { run: options.run } : {});
  const setup = testEngine({
    clock,
    tools: [tools.provider, spend],
    limits: { currency: 'USD', daily: '1000.00', transaction: '500.00' },
    rateLimit: { limit: 100_000, windowMs: 60_000 },
    ...options.engine,
  });
  const { engine } = setup;
  const unexpected: unknown[] = [];
  const server: RunningServer = await serve(
    createHandshakeHandler(engine, {
      ...options.handler,
      onError: (error, request) => {
        unexpected.push(error);
        options.handler?.onError?.(error, request);
      },
      routes: spendApiRoutes(engine, { tools: spend }),
    }),
  );
  // The client shares this process's event loop with the server: on a busy machine a
  // pause of a few seconds lets the server's 5-second keep-alive timer close a socket
  // the client has just reused, and the next request fails with ECONNRESET. Idle
  // sockets stay open for the suite's length instead; close() ends them all.
  server.server.keepAliveTimeout = 120_000;
  const errorBodies: string[] = [];

  /** Sends a request; `body` objects are sent as JSON, strings and bytes as they are. */
  const request = async (
    method: string,
    path: string,
    init: {
      body?: unknown;
      credential?: string;
      headers?: Record<string, string>;
      /** Stop reading an SSE answer after this many events (default 1; it may never end). */
      sseEvents?: number;
    } = {},
  ): Promise<Answer> => {
    const raw =
      init.body === undefined
        ? undefined
        : typeof init.body === 'string' || init.body instanceof Uint8Array
          ? init.body
          : JSON.stringify(init.body);
    const controller = new AbortController();
    const response = await fetch(`${server.url}${path}`, {
      method,
      signal: controller.signal,
      headers: {
        ...(raw !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(init.credential ? { authorization: `Bearer ${init.credential}` } : {}),
        ...init.headers,
      },
      ...(raw !== undefined ? { body: raw as BodyInit } : {}),
    });
    let text: string;
    if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      text = '';
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      const wanted = init.sseEvents ?? 1;
      while (sseData(text).length < wanted) {
        const { done, value } = await reader.read();
        if (done) break;
        text += value;
      }
      controller.abort();
      await reader.cancel().catch(() => {});
    } else {
      text = await response.text();
    }
    if (response.status >= 400) errorBodies.push(text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };

  return {
    ...setup,
    clock,
    issuer,
    spend,
    calls: tools.calls,
    server,
    url: server.url,
    request,
    /** Bodies of every 4xx and 5xx answer so far. */
    errorBodies,
    /** Errors the handler did not expect (answered `500`). */
    unexpected,
    /** Validates a purchase and returns the validation (authorized within limits). */
    async validate(amount: string, credential: string = CREDENTIALS.alice, merchant = 'Shop') {
      return request('POST', '/api/mcp/validate-transaction', {
        body: { merchant: { name: merchant }, amount, currency: 'USD' },
        credential,
      });
    },
    /** The create-virtual-card body for a validation, signed by alice. */
    cardBody(
      validation: { validation_token?: string; transaction_id: string },
      amount: string,
      merchant = 'Shop',
    ) {
      const parameters = cardPurchaseParameters(merchant, amount, 'USD');
      const signed = setup.sign(CREATE_VIRTUAL_CARD, parameters, validation.transaction_id);
      return {
        validation_token: validation.validation_token,
        merchant_name: merchant,
        transaction_amount: amount,
        transaction_currency: 'USD',
        card_amount: amount,
        card_currency: 'USD',
        transaction_id: signed.transactionId,
        signature: signed.signature,
      };
    },
    close: () => server.close(),
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

/**
 * Checks that an answer is a 4xx with exactly the error envelope and nothing internal,
 * and returns its code.
 */
export function expectRefusal(answer: Answer, context = ''): string {
  const where = `${context} → ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, where).toBeGreaterThanOrEqual(400);
  expect(answer.status, where).toBeLessThan(500);
  expect(answer.headers.get('content-type'), where).toMatch(/^application\/json/);
  const envelope = ErrorEnvelopeSchema.strict().safeParse(answer.json);
  expect(envelope.success, where).toBe(true);
  expect(Object.keys((answer.json as { error: object }).error).sort(), where).toEqual([
    'code',
    'message',
  ]);
  expect(answer.text, where).not.toMatch(INTERNAL_DETAIL);
  return (answer.json as { error: { code: string } }).error.code;
}

/** The `data:` of each SSE event in a stream's text. */
export function sseData(text: string): Array<{ event?: string; data: unknown }> {
  const out: Array<{ event?: string; data: unknown }> = [];
  const blocks = text.split('\n\n');
  // The last piece is empty or an event still arriving.
  blocks.pop();
  for (const block of blocks) {
    let event: string | undefined;
    let data: string | undefined;
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      if (line.startsWith('data: ')) data = line.slice(6);
    }
    if (data !== undefined) out.push({ ...(event ? { event } : {}), data: JSON.parse(data) });
  }
  return out;
}

export { CREDENTIALS };
