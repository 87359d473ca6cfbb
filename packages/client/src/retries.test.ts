// Retries against the real handler over real HTTP. The network is made to fail at the
// worst moments: after the service ran the tool but before its answer arrived.

import { HandshakeError } from '@handshake/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  gate,
  KEY_ID,
  OTHER_SESSION,
  recordingFetch,
  SESSION,
  type Service,
  startService,
  statusWatcher,
} from '../test/harness.js';
import { type CallStatus, createHandshakeClient, type HandshakeClientOptions } from './client.js';

let service: Service | undefined;

afterEach(async () => {
  await service?.close();
  service = undefined;
});

const isExecute = (request: Request) =>
  request.method === 'POST' && request.url.endsWith('/execute');

function clientFor(svc: Service, overrides: Partial<HandshakeClientOptions> = {}) {
  return createHandshakeClient({
    baseUrl: svc.url,
    session: SESSION,
    signer: { keyId: KEY_ID, privateKey: svc.privateKey },
    retry: { delay: () => 5, maxRetryAfter: 20 },
    ...overrides,
  });
}

describe('execute retries', () => {
  it('recovers a response lost after the tool ran: same bytes re-sent, tool run once', async () => {
    service = await startService();
    let dropped = false;
    const recorder = recordingFetch(async (request, init) => {
      const response = await fetch(request, init);
      if (isExecute(request) && !dropped) {
        dropped = true;
        await response.arrayBuffer(); // the service has answered; the answer is lost
        throw new TypeError('fetch failed');
      }
      return response;
    });
    const watcher = statusWatcher<CallStatus>();
    const client = clientFor(service, { fetch: recorder.fetch });
    const result = await client.call('get_order', { id: 'O-7' }, { onStatus: watcher.on });
    expect(result).toEqual({ order: 'O-7', state: 'APPROVED' });
    expect(service.calls.get('get_order')).toBe(1);
    const executes = recorder.requests.filter((r) => r.url.endsWith('/execute'));
    expect(executes).toHaveLength(2);
    expect(executes[1]?.body).toBe(executes[0]?.body);
    expect(executes[1]?.headers.get('authorization')).toBe(
      executes[0]?.headers.get('authorization'),
    );
    expect(watcher.seen.at(-1)).toMatchObject({ status: 'completed', replayed: true });
  });

  it('recovers a response cut in the middle of its body', async () => {
    service = await startService();
    let cut = false;
    const { fetch: cutting } = recordingFetch(async (request, init) => {
      const response = await fetch(request, init);
      if (!isExecute(request) || cut) return response;
      cut = true;
      const bytes = new Uint8Array(await response.arrayBuffer());
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.slice(0, 10));
          controller.error(new TypeError('terminated'));
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    });
    const client = clientFor(service, { fetch: cutting });
    await expect(client.call('get_order', { id: 'O-8' })).resolves.toEqual({
      order: 'O-8',
      state: 'APPROVED',
    });
    expect(service.calls.get('get_order')).toBe(1);
  });

  it('waits out EXECUTION_IN_PROGRESS with the identical request, then gets the result', async () => {
    const slow = gate();
    service = await startService({ slowGate: slow });
    const statuses: number[] = [];
    let first = true;
    const recorder = recordingFetch(async (request, init) => {
      if (isExecute(request) && first) {
        first = false;
        // The request reaches the service, which starts the tool; the client never hears back.
        void fetch(request, init).catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new TypeError('fetch failed');
      }
      const response = await fetch(request, init);
      if (isExecute(request)) {
        statuses.push(response.status);
        if (response.status === 409) slow.open();
      }
      return response;
    });
    const client = clientFor(service, { fetch: recorder.fetch });
    await expect(client.call('slow_report', {})).resolves.toEqual({ report: 'done' });
    expect(service.calls.get('slow_report')).toBe(1);
    expect(statuses[0]).toBe(409);
    expect(statuses.at(-1)).toBe(200);
    const bodies = new Set(
      recorder.requests.filter((r) => r.url.endsWith('/execute')).map((r) => r.body),
    );
    expect(bodies.size).toBe(1);
  });

  it('reports EXECUTION_IN_PROGRESS once its retries are spent, and a later identical execute gets the result', async () => {
    const slow = gate();
    service = await startService({ slowGate: slow });
    const client = clientFor(service, { retry: { executeLimit: 0 } });
    const answer = await client.authorize('slow_report', {});
    if (answer.status !== 'authorized') throw new Error('expected authorized');
    const input = {
      tool: 'slow_report',
      parameters: {},
      ephemeralToken: answer.ephemeralToken,
      transactionId: answer.transactionId,
      tier: answer.tier,
    };
    const running = client.execute(input);
    // The second execute must arrive while the first runs: wait until the tool has started.
    while (service.calls.get('slow_report') !== 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const error = await client.execute(input).catch((e: unknown) => e);
    expect(HandshakeError.isInstance(error) && error.code).toBe('EXECUTION_IN_PROGRESS');
    expect(HandshakeError.isInstance(error) && error.retryAfterSeconds).toBe(1);
    expect(String(error)).not.toContain(answer.ephemeralToken);
    slow.open();
    await expect(running).resolves.toMatchObject({ result: { report: 'done' } });
    await expect(client.execute(input)).resolves.toMatchObject({
      result: { report: 'done' },
      replayed: true,
    });
    expect(service.calls.get('slow_report')).toBe(1);
  });

  it('does not retry TOKEN_ALREADY_USED (another session reusing a token)', async () => {
    service = await startService();
    const owner = clientFor(service);
    const recorder = recordingFetch();
    const thief = clientFor(service, { session: OTHER_SESSION, fetch: recorder.fetch });
    const answer = await owner.authorize('get_order', { id: 'O-1' });
    if (answer.status !== 'authorized') throw new Error('expected authorized');
    const input = {
      tool: 'get_order',
      parameters: { id: 'O-1' },
      ephemeralToken: answer.ephemeralToken,
      transactionId: answer.transactionId,
      tier: answer.tier,
    };
    await owner.execute(input);
    const error = await thief.execute(input).catch((e: unknown) => e);
    expect(HandshakeError.isInstance(error) && error.code).toBe('TOKEN_ALREADY_USED');
    expect(recorder.requests).toHaveLength(1);
    expect(service.calls.get('get_order')).toBe(1);
  });

  it('does not retry PROVIDER_ERROR: the failure is final', async () => {
    service = await startService();
    const recorder = recordingFetch();
    const client = clientFor(service, { fetch: recorder.fetch });
    const error = await client.call('broken_tool', {}).catch((e: unknown) => e);
    expect(HandshakeError.isInstance(error) && error.code).toBe('PROVIDER_ERROR');
    expect(HandshakeError.isInstance(error) && error.status).toBe(502);
    expect(String(error)).not.toContain('secret detail');
    expect(recorder.requests.filter((r) => r.url.endsWith('/execute'))).toHaveLength(1);
    expect(service.calls.get('broken_tool')).toBe(1);
  });
});

describe('authorize and read retries', () => {
  it('retries authorize after a 5xx and a network failure', async () => {
    service = await startService();
    let attempts = 0;
    const { fetch: flaky } = recordingFetch(async (request, init) => {
      if (request.url.endsWith('/authorize')) {
        attempts += 1;
        if (attempts === 1) {
          return new Response(
            JSON.stringify({
              success: false,
              error: { code: 'STORE_UNAVAILABLE', message: 'retry shortly' },
            }),
            { status: 503, headers: { 'content-type': 'application/json' } },
          );
        }
        if (attempts === 2) throw new TypeError('fetch failed');
      }
      return fetch(request, init);
    });
    const client = clientFor(service, { fetch: flaky });
    await expect(client.call('get_order', { id: 'O-1' })).resolves.toMatchObject({ order: 'O-1' });
    expect(attempts).toBe(3);
  });

  it('does not retry an authorize the service refused', async () => {
    service = await startService();
    const recorder = recordingFetch();
    const client = clientFor(service, { fetch: recorder.fetch });
    const error = await client.call('create_invoice', { amount: '10' }).catch((e: unknown) => e);
    expect(HandshakeError.isInstance(error) && error.code).toBe('VALIDATION_ERROR');
    expect(recorder.requests).toHaveLength(1);
  });

  it('retries reads after network failures, up to the limit', async () => {
    service = await startService();
    let failures = 0;
    const { fetch: flaky, requests } = recordingFetch(async (request, init) => {
      if (failures < 2) {
        failures += 1;
        throw new TypeError('fetch failed');
      }
      return fetch(request, init);
    });
    await expect(clientFor(service, { fetch: flaky }).tools()).resolves.toHaveLength(6);
    expect(requests).toHaveLength(3);

    failures = -10;
    const { fetch: down, requests: tried } = recordingFetch(async () => {
      throw new TypeError('fetch failed');
    });
    const error = await clientFor(service, { fetch: down, retry: { limit: 1, delay: () => 1 } })
      .tools()
      .catch((e: unknown) => e);
    expect(HandshakeError.isInstance(error) && error.code).toBe('NETWORK_ERROR');
    expect(tried).toHaveLength(2);
  });

  it('words every runtime’s network TypeError the one way ky retries', async () => {
    service = await startService();
    let failed = false;
    const { fetch: odd } = recordingFetch(async (request, init) => {
      if (!failed) {
        failed = true;
        throw new TypeError('Network connection lost'.replace('lost', 'dropped'));
      }
      return fetch(request, init);
    });
    await expect(clientFor(service, { fetch: odd }).tools()).resolves.toHaveLength(6);
  });
});
