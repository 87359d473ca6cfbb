// Every way a request can fail, and what the caller gets: the wire code with its status,
// NETWORK_ERROR / TIMEOUT / ABORTED, or a HandshakeResponseError for a malformed answer.
// Messages name the operation and the request and never hold a token.

import { errorResponse, jsonResponse } from '@handshake/core';
import { type RunningServer, serve } from '@handshake/core/node';
import { ERROR_CODES, ERROR_STATUS, type ErrorCode, HandshakeError } from '@handshake/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  KEY_ID,
  manualClock,
  recordingFetch,
  SESSION,
  type Service,
  startService,
} from '../test/harness.js';
import {
  createHandshakeClient,
  type HandshakeClient,
  type HandshakeClientOptions,
} from './client.js';
import { HandshakeResponseError, redact } from './errors.js';

let service: Service | undefined;
let server: RunningServer | undefined;

afterEach(async () => {
  await service?.close();
  await server?.close();
  service = undefined;
  server = undefined;
});

const TOKEN = 'hset_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg';
const CLIENT_ONLY: readonly ErrorCode[] = ['NETWORK_ERROR', 'TIMEOUT', 'ABORTED'];

async function failure(promise: Promise<unknown>): Promise<HandshakeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!HandshakeError.isInstance(error))
    throw new Error(`expected a HandshakeError, got ${String(error)}`);
  return error;
}

/** The secrets must appear nowhere a log might print. */
function expectNoSecrets(error: HandshakeError, ...secrets: string[]) {
  for (const secret of [TOKEN, SESSION, ...secrets]) {
    expect(error.message).not.toContain(secret);
    expect(String(error)).not.toContain(secret);
    expect(JSON.stringify(error.toEnvelope())).not.toContain(secret);
  }
}

function clientAt(url: string, overrides: Partial<HandshakeClientOptions> = {}): HandshakeClient {
  return createHandshakeClient({
    baseUrl: url,
    session: SESSION,
    retry: { limit: 0, executeLimit: 0 },
    ...overrides,
  });
}

const executeInput = {
  tool: 'get_order',
  parameters: { id: 'O-1' },
  ephemeralToken: TOKEN,
  transactionId: 'tx_1',
  tier: 'INTERNAL' as const,
};

describe('every wire code becomes a HandshakeError with that code and status', () => {
  const wireCodes = ERROR_CODES.filter((code) => !CLIENT_ONLY.includes(code));

  it.each(wireCodes)('%s', async (code) => {
    // A service that answers this code, echoing the token into its message as a buggy
    // service might; the client must not pass it on.
    server = await serve(
      async () =>
        errorResponse(
          new HandshakeError(code, `refused ${TOKEN} for session ${SESSION}`, {
            ...(code === 'RATE_LIMITED' ? { retryAfterSeconds: 3 } : {}),
          }),
        ),
      { port: 0 },
    );
    const client = clientAt(server.url);
    const calls: Array<[string, string, () => Promise<unknown>]> = [
      ['Authorize', 'POST /authorize', () => client.authorize('get_order', { id: 'O-1' })],
      ['Execute', 'POST /execute', () => client.execute(executeInput)],
      ['Approval status', 'GET /approvals/apr_1', () => client.approvalStatus('apr_1')],
      ['Tool listing', 'GET /tools', () => client.tools()],
    ];
    for (const [operation, request, run] of calls) {
      const error = await failure(run());
      expect(error.code).toBe(code);
      expect(error.status).toBe(ERROR_STATUS[code]);
      const [method, path] = request.split(' ');
      expect(error.message).toBe(
        `${operation} failed with ${code}: ${method} ${server.url}${path} (refused [redacted] for session [redacted])`,
      );
      expectNoSecrets(error);
      if (code === 'RATE_LIMITED') expect(error.retryAfterSeconds).toBe(3);
    }
  });
});

describe('codes the real engine answers', () => {
  it('UNAUTHORIZED, TOOL_NOT_ALLOWED, VALIDATION_ERROR, TOKEN_INVALID, TRANSACTION_MISMATCH, NOT_FOUND', async () => {
    service = await startService();
    const signer = { keyId: KEY_ID, privateKey: service.privateKey };
    const client = clientAt(service.url, { signer });

    const unauthorized = await failure(
      clientAt(service.url, { session: 'wrong-session-token' }).authorize('get_order', {
        id: 'O-1',
      }),
    );
    expect(unauthorized.code).toBe('UNAUTHORIZED');
    expect(unauthorized.status).toBe(401);
    expectNoSecrets(unauthorized, 'wrong-session-token');

    const notAllowed = await failure(client.authorize('drop_tables', {}));
    expect(notAllowed.code).toBe('TOOL_NOT_ALLOWED');
    expect(notAllowed.message).toMatch(
      /^Authorize failed with TOOL_NOT_ALLOWED: POST http:\/\/127\.0\.0\.1:\d+\/authorize \(/,
    );

    const invalid = await failure(client.authorize('create_invoice', { amount: 'lots' }));
    expect(invalid.code).toBe('VALIDATION_ERROR');
    expect(invalid.status).toBe(400);

    const tokenInvalid = await failure(client.execute(executeInput));
    expect(tokenInvalid.code).toBe('TOKEN_INVALID');
    expectNoSecrets(tokenInvalid);

    const answer = await client.authorize('get_order', { id: 'O-1' });
    if (answer.status !== 'authorized') throw new Error('expected authorized');
    const mismatch = await failure(
      client.execute({
        ...executeInput,
        parameters: { id: 'O-2' },
        ephemeralToken: answer.ephemeralToken,
        transactionId: answer.transactionId,
      }),
    );
    expect(mismatch.code).toBe('TRANSACTION_MISMATCH');
    expectNoSecrets(mismatch, answer.ephemeralToken);

    const missing = await failure(client.approvalStatus('apr_0000000000000000_none'));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.status).toBe(404);
  });

  it('TOKEN_EXPIRED', async () => {
    const clock = manualClock();
    service = await startService({ engine: { clock, tokenTtlMs: 30_000 } });
    const client = clientAt(service.url, {
      signer: { keyId: KEY_ID, privateKey: service.privateKey },
    });
    const answer = await client.authorize('get_order', { id: 'O-1' });
    if (answer.status !== 'authorized') throw new Error('expected authorized');
    clock.advance(30_001);
    const expired = await failure(
      client.execute({
        ...executeInput,
        ephemeralToken: answer.ephemeralToken,
        transactionId: answer.transactionId,
      }),
    );
    expect(expired.code).toBe('TOKEN_EXPIRED');
    expect(expired.message).toMatch(
      /^Execute failed with TOKEN_EXPIRED: POST http:\/\/127\.0\.0\.1:\d+\/execute \(/,
    );
    expectNoSecrets(expired, answer.ephemeralToken);
  });

  it('RATE_LIMITED with the seconds to wait', async () => {
    service = await startService({ engine: { rateLimit: { limit: 1, windowMs: 60_000 } } });
    const client = clientAt(service.url);
    await client.authorize('get_order', { id: 'O-1' });
    const limited = await failure(client.authorize('get_order', { id: 'O-1' }));
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.status).toBe(429);
    expect(limited.retryAfterSeconds).toBeGreaterThan(0);
  });
});

describe('transport failures', () => {
  it('NETWORK_ERROR when nothing listens', async () => {
    const closed = await serve(async () => new Response('never'), { port: 0 });
    await closed.close();
    const error = await failure(clientAt(closed.url).authorize('get_order', { id: 'O-1' }));
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.message).toBe(
      `Authorize failed with a network error: POST ${closed.url}/authorize`,
    );
    expect(error.cause).toBeDefined();
  });

  it('TIMEOUT when the service does not answer in time', async () => {
    server = await serve(() => new Promise<Response>(() => {}), { port: 0 });
    const error = await failure(clientAt(server.url, { timeout: 50 }).execute(executeInput));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toBe(`Execute timed out after 50 ms: POST ${server.url}/execute`);
    expectNoSecrets(error);
  });

  it('TIMEOUT when the answer stalls mid-body', async () => {
    server = await serve(
      async () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('{"tools":'));
            },
          }),
          { headers: { 'content-type': 'application/json' } },
        ),
      { port: 0 },
    );
    // Long enough for the headers to arrive on a busy machine; the body never ends.
    const error = await failure(clientAt(server.url, { timeout: 400 }).tools());
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toBe(
      `Tool listing timed out after 400 ms while reading the response: GET ${server.url}/tools`,
    );
  });

  it('ABORTED when the caller aborts, before or during a request', async () => {
    server = await serve(() => new Promise<Response>(() => {}), { port: 0 });
    const client = clientAt(server.url);
    const before = new AbortController();
    before.abort();
    const recorder = recordingFetch();
    const early = await failure(
      clientAt(server.url, { fetch: recorder.fetch }).authorize(
        'get_order',
        {},
        { signal: before.signal },
      ),
    );
    expect(early.code).toBe('ABORTED');
    expect(recorder.requests).toHaveLength(0);
    const during = new AbortController();
    setTimeout(() => during.abort(), 20);
    const late = await failure(client.execute(executeInput, { signal: during.signal }));
    expect(late.code).toBe('ABORTED');
    expect(late.message).toBe(`Execute was aborted: POST ${server.url}/execute`);
  });
});

describe('malformed answers', () => {
  async function answering(response: () => Response) {
    server = await serve(async () => response(), { port: 0 });
    return clientAt(server.url);
  }

  it('a body that is not JSON', async () => {
    const client = await answering(() => new Response('<html>hello</html>', { status: 200 }));
    const error = await failure(client.tools());
    expect(HandshakeResponseError.isInstance(error)).toBe(true);
    expect(error.code).toBe('INTERNAL_ERROR');
    expect(error.message).toBe(
      `Tool listing answered HTTP 200 with a body that is not JSON: GET ${server?.url}/tools`,
    );
  });

  it('JSON of the wrong shape, with the fields at fault (never their values)', async () => {
    const client = await answering(() =>
      jsonResponse(200, {
        status: 'authorized',
        transactionId: 'tx_1',
        ephemeralToken: 42,
        expiresAt: 'x',
      }),
    );
    const error = await failure(client.authorize('get_order', { id: 'O-1' }));
    expect(HandshakeResponseError.isInstance(error)).toBe(true);
    if (!HandshakeResponseError.isInstance(error)) return;
    expect(error.issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining(['ephemeralToken', 'tier', 'paramsHash']),
    );
    expect(error.message).toMatch(
      /^Authorize answered HTTP 200 with a body that does not match the protocol \(at: /,
    );
  });

  it('an execute answer for another transaction', async () => {
    const client = await answering(() =>
      jsonResponse(200, { status: 'completed', transactionId: 'tx_other', result: { ok: true } }),
    );
    const error = await failure(client.execute(executeInput));
    expect(HandshakeResponseError.isInstance(error)).toBe(true);
    expectNoSecrets(error);
  });

  it('an error status without an envelope: a gateway’s status, or a protocol violation', async () => {
    let status = 502;
    const client = await answering(() => new Response('<h1>Bad gateway</h1>', { status }));
    const gateway = await failure(client.tools());
    expect(gateway.code).toBe('NETWORK_ERROR');
    expect(gateway.status).toBe(502);
    expect(HandshakeResponseError.isInstance(gateway)).toBe(false);
    status = 418;
    const odd = await failure(client.tools());
    expect(HandshakeResponseError.isInstance(odd)).toBe(true);
    expect(odd.status).toBe(418);
  });
});

describe('caller input is checked before anything is sent', () => {
  it('VALIDATION_ERROR with the path of the bad field', async () => {
    const recorder = recordingFetch();
    const client = clientAt('http://127.0.0.1:9', { fetch: recorder.fetch });
    const badTool = await failure(client.authorize('no spaces allowed', {}));
    expect(badTool.code).toBe('VALIDATION_ERROR');
    expect(badTool.path).toBe('tool');
    const badParameters = await failure(client.call('get_order', { when: new Date(0) }));
    expect(badParameters.code).toBe('VALIDATION_ERROR');
    expect(badParameters.path).toBe('parameters.when');
    expect(recorder.requests).toHaveLength(0);
  });

  it('refuses a malformed signer key at construction, without echoing it', () => {
    expect(() =>
      createHandshakeClient({
        baseUrl: 'http://x.test',
        signer: { keyId: 'k', privateKey: 'c2hvcnQ' },
      }),
    ).toThrow(/32-byte Ed25519 seed, got 5 bytes/);
  });

  it('refuses a base URL with credentials in it', () => {
    expect(() => createHandshakeClient({ baseUrl: 'https://user:pass@x.test' })).toThrow(
      /credentials/,
    );
  });
});

describe('redact', () => {
  it('removes bearer tokens, card numbers and the given secrets', () => {
    expect(redact(`a ${TOKEN} b 4242 4242 4242 4242 c 1234567890123 d sekrit`, ['sekrit'])).toBe(
      'a [redacted] b [redacted] c 1234567890123 d [redacted]',
    );
  });
});
