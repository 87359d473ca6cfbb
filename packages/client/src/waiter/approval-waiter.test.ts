// The waiter against the real handler over real HTTP, with the failure modes a network
// and its proxies produce: silent connections, buffering, stripped streams, 503s.

import { HandshakeError } from '@handshake/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fastTimers,
  handFiredTimers,
  recordingFetch,
  SESSION,
  type Service,
  startService,
  statusWatcher,
} from '../../test/harness.js';
import { HandshakeResponseError } from '../errors.js';
import { waitForApprovalDecision } from './approval-waiter.js';
import type { WaiterEvent } from './wait-options.js';

let service: Service | undefined;

afterEach(async () => {
  await service?.close();
  service = undefined;
});

/** A RESTRICTED call awaiting a decision; answers its approval id. */
async function pendingApproval(svc: Service): Promise<string> {
  const response = await fetch(`${svc.url}/authorize`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SESSION}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tool: 'pay_order', parameters: { order_id: 'O-1', amount: '9.00' } }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { approvalId: string }).approvalId;
}

/** A response body that delivers nothing until the request is aborted. */
function silentBody(signal: AbortSignal | null | undefined): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      signal?.addEventListener('abort', () => controller.error(signal.reason), { once: true });
    },
  });
}

describe('waitForApprovalDecision', () => {
  it('replaces a connection that stays silent past the heartbeat timeout', async () => {
    // The service's heartbeat is far away, so the connection looks dead to the waiter.
    service = await startService({ handler: { heartbeatMs: 60_000 } });
    const approvalId = await pendingApproval(service);
    const watcher = statusWatcher<WaiterEvent>();
    const human = (async () => {
      for (let i = 0; i < 2; i += 1) {
        const event = await watcher.next('reconnecting');
        expect(event).toMatchObject({ reason: 'heartbeat' });
      }
      await watcher.next('streaming');
      await service?.decide(approvalId, 'approve');
    })();
    const [view] = await Promise.all([
      waitForApprovalDecision({
        baseUrl: service.url,
        approvalId,
        session: SESSION,
        heartbeatTimeoutMs: 60,
        onEvent: watcher.on,
      }),
      human,
    ]);
    expect(view.status).toBe('approved');
    expect(view.ephemeralToken).toMatch(/^hset_/);
  });

  it('keeps a connection whose heartbeats arrive in time', async () => {
    service = await startService({ handler: { heartbeatMs: 20 } });
    const approvalId = await pendingApproval(service);
    const watcher = statusWatcher<WaiterEvent>();
    const human = (async () => {
      await watcher.next('streaming');
      // Longer than the heartbeat timeout passes with no status event, only heartbeats.
      await new Promise((resolve) => setTimeout(resolve, 450));
      await service?.decide(approvalId, 'approve');
    })();
    const [view] = await Promise.all([
      waitForApprovalDecision({
        baseUrl: service.url,
        approvalId,
        session: SESSION,
        heartbeatTimeoutMs: 300,
        onEvent: watcher.on,
      }),
      human,
    ]);
    expect(view.status).toBe('approved');
    expect(watcher.count('reconnecting')).toBe(0);
  });

  it('waits what the service asked with `retry:` before reconnecting', async () => {
    service = await startService({ handler: { retryMs: 1234 } });
    const approvalId = await pendingApproval(service);
    // The first connection is answered and then closed by a proxy after one event.
    let connections = 0;
    const { fetch: closingFetch } = recordingFetch(async (request, init) => {
      const response = await fetch(request, init);
      connections += 1;
      if (connections > 1 || !response.body) return response;
      const reader = response.body.getReader();
      const first = await reader.read();
      await reader.cancel();
      return new Response(first.value ?? null, { status: 200, headers: response.headers });
    });
    const { timers, asked } = fastTimers(100);
    const watcher = statusWatcher<WaiterEvent>();
    const human = (async () => {
      await watcher.next('reconnecting');
      await watcher.next('streaming');
      await service?.decide(approvalId, 'approve');
    })();
    const [view] = await Promise.all([
      waitForApprovalDecision({
        baseUrl: service.url,
        approvalId,
        session: SESSION,
        fetch: closingFetch,
        timers,
        onEvent: watcher.on,
      }),
      human,
    ]);
    expect(view.status).toBe('approved');
    expect(watcher.seen).toContainEqual({
      status: 'reconnecting',
      approvalId,
      attempt: 1,
      delayMs: 1234,
      reason: 'ended',
    });
    expect(asked).toContain(1234);
  });

  it('backs off while connections keep failing', async () => {
    service = await startService();
    const approvalId = await pendingApproval(service);
    let attempts = 0;
    const { fetch: flaky } = recordingFetch(async (request, init) => {
      attempts += 1;
      if (attempts <= 3) throw new TypeError('fetch failed');
      return fetch(request, init);
    });
    const watcher = statusWatcher<WaiterEvent>();
    const human = (async () => {
      await watcher.next('streaming');
      await service?.decide(approvalId, 'approve');
    })();
    const [view] = await Promise.all([
      waitForApprovalDecision({
        baseUrl: service.url,
        approvalId,
        session: SESSION,
        fetch: flaky,
        reconnectDelayMs: 5,
        onEvent: watcher.on,
      }),
      human,
    ]);
    expect(view.status).toBe('approved');
    const delays = watcher.seen.flatMap((event) =>
      event.status === 'reconnecting' ? [event.delayMs] : [],
    );
    expect(delays).toEqual([5, 10, 20]);
  });

  it('falls back to polling after streams that deliver nothing (a buffering proxy)', async () => {
    service = await startService();
    const approvalId = await pendingApproval(service);
    const { fetch: buffering, requests } = recordingFetch(async (request, init) => {
      if (request.headers.get('accept') !== 'text/event-stream') return fetch(request, init);
      const real = await fetch(request, init);
      await real.body?.cancel();
      return new Response(silentBody(init?.signal), { status: 200, headers: real.headers });
    });
    const watcher = statusWatcher<WaiterEvent>();
    const human = (async () => {
      await watcher.next('polling');
      await service?.decide(approvalId, 'approve');
    })();
    const [view] = await Promise.all([
      waitForApprovalDecision({
        baseUrl: service.url,
        approvalId,
        session: SESSION,
        fetch: buffering,
        // The watchdog also times the stream request: leave room for a busy machine to
        // answer it, so that only the silent bodies count.
        heartbeatTimeoutMs: 250,
        reconnectDelayMs: 1,
        pollIntervalMs: 10,
        onEvent: watcher.on,
      }),
      human,
    ]);
    expect(view.status).toBe('approved');
    expect(requests.filter((r) => r.headers.get('accept') === 'text/event-stream')).toHaveLength(3);
    expect(watcher.seen).toContainEqual({
      status: 'polling',
      approvalId,
      reason: 'silent-streams',
    });
  });

  it('honours Retry-After while polling', async () => {
    service = await startService();
    const approvalId = await pendingApproval(service);
    let polls = 0;
    const { fetch: busy } = recordingFetch(async (request, init) => {
      polls += 1;
      if (polls === 1) {
        return new Response(
          JSON.stringify({ success: false, error: { code: 'STORE_UNAVAILABLE', message: 'busy' } }),
          { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '7' } },
        );
      }
      if (polls === 2) await service?.decide(approvalId, 'approve');
      return fetch(request, init);
    });
    const { timers, asked } = fastTimers(1000);
    const view = await waitForApprovalDecision({
      baseUrl: service.url,
      approvalId,
      session: SESSION,
      fetch: busy,
      mode: 'poll',
      pollIntervalMs: 2_000,
      // The timers run 1000 times faster; a 10 s read deadline would be 10 ms of real time.
      requestTimeoutMs: false,
      timers,
    });
    expect(view.status).toBe('approved');
    expect(polls).toBe(2);
    // The 503 asked for 7 s, not the 2 s interval.
    expect(asked).toContain(7_000);
    expect(asked).not.toContain(2_000);
  });

  it('reconnects after the service reports a transient failure on the stream', async () => {
    service = await startService();
    const approvalId = await pendingApproval(service);
    let streams = 0;
    const { fetch: failingOnce } = recordingFetch(async (request, init) => {
      if (request.headers.get('accept') !== 'text/event-stream' || ++streams > 1)
        return fetch(request, init);
      return new Response('retry: 5\n\nevent: error\ndata: {"code":"STORE_UNAVAILABLE"}\n\n', {
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
      });
    });
    const watcher = statusWatcher<WaiterEvent>();
    const human = (async () => {
      await watcher.next('reconnecting');
      await watcher.next('streaming');
      await service?.decide(approvalId, 'approve');
    })();
    const [view] = await Promise.all([
      waitForApprovalDecision({
        baseUrl: service.url,
        approvalId,
        session: SESSION,
        fetch: failingOnce,
        onEvent: watcher.on,
      }),
      human,
    ]);
    expect(view.status).toBe('approved');
    expect(watcher.seen).toContainEqual({
      status: 'reconnecting',
      approvalId,
      attempt: 1,
      delayMs: 5,
      reason: 'server-error',
    });
  });

  it('ends with the code the service answers when the wait cannot go on', async () => {
    service = await startService();
    const approvalId = await pendingApproval(service);
    const unauthorized = await waitForApprovalDecision({
      baseUrl: service.url,
      approvalId,
      session: 'not-a-session-token',
    }).catch((e: unknown) => e);
    expect(HandshakeError.isInstance(unauthorized) && unauthorized.code).toBe('UNAUTHORIZED');
    expect(String(unauthorized)).not.toContain('not-a-session-token');
    const missing = await waitForApprovalDecision({
      baseUrl: service.url,
      approvalId: 'apr_0000000000000000_nothing',
      session: SESSION,
    }).catch((e: unknown) => e);
    expect(HandshakeError.isInstance(missing) && missing.code).toBe('NOT_FOUND');
    expect(String(missing)).toMatch(
      /Waiting for approval apr_0000000000000000_nothing failed with NOT_FOUND: GET http/,
    );
  });

  it('refuses a status event that does not match the protocol', async () => {
    service = await startService();
    const approvalId = await pendingApproval(service);
    const { fetch: garbled } = recordingFetch(
      async () =>
        new Response(
          `id: 1\nevent: status\ndata: {"approvalId":"${approvalId}","status":"approved"}\n\n`,
          {
            status: 200,
            headers: { 'content-type': 'text/event-stream' },
          },
        ),
    );
    const error = await waitForApprovalDecision({
      baseUrl: service.url,
      approvalId,
      session: SESSION,
      fetch: garbled,
    }).catch((e: unknown) => e);
    expect(HandshakeResponseError.isInstance(error)).toBe(true);
    expect(HandshakeError.isInstance(error) && error.code).toBe('INTERNAL_ERROR');
    expect(String(error)).toMatch(/status event does not match the protocol \(at: .*transactionId/);
  });

  it('ends at its deadline with TIMEOUT, keeping the last failure as the cause', async () => {
    service = await startService();
    const approvalId = await pendingApproval(service);
    const { timers } = fastTimers(1000);
    const error = await waitForApprovalDecision({
      baseUrl: service.url,
      approvalId,
      session: SESSION,
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
      timeoutMs: 30_000,
      timers,
    }).catch((e: unknown) => e);
    expect(HandshakeError.isInstance(error) && error.code).toBe('TIMEOUT');
    expect(String(error)).toMatch(
      /timed out after 30000 ms: GET http:\/\/127\.0\.0\.1:\d+\/approvals\//,
    );
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });

  it('ends at once with ABORTED when the signal is already aborted', async () => {
    service = await startService();
    const { fetch: recorded, requests } = recordingFetch();
    const controller = new AbortController();
    controller.abort();
    const error = await waitForApprovalDecision({
      baseUrl: service.url,
      approvalId: 'apr_0000000000000000_x',
      session: SESSION,
      fetch: recorded,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(HandshakeError.isInstance(error) && error.code).toBe('ABORTED');
    expect(requests).toHaveLength(0);
  });

  it('on abort mid-stream, ends the connection and leaves no timer behind', async () => {
    service = await startService({ handler: { heartbeatMs: 60_000 } });
    const approvalId = await pendingApproval(service);
    const hand = handFiredTimers();
    const watcher = statusWatcher<WaiterEvent>();
    const controller = new AbortController();
    const waiting = waitForApprovalDecision({
      baseUrl: service.url,
      approvalId,
      session: SESSION,
      timers: hand.timers,
      signal: controller.signal,
      onEvent: watcher.on,
    }).catch((e: unknown) => e);
    await watcher.next('streaming');
    // The wait's deadline and the connection's watchdog.
    expect(hand.pending().sort((a, b) => a - b)).toEqual([45_000, 900_000]);
    controller.abort();
    const error = await waiting;
    expect(HandshakeError.isInstance(error) && error.code).toBe('ABORTED');
    expect(hand.pending()).toEqual([]);
  });

  it('replaces a connection when its watchdog fires on the injected timers, resuming after the last id', async () => {
    service = await startService({ handler: { heartbeatMs: 60_000 } });
    const approvalId = await pendingApproval(service);
    const hand = handFiredTimers();
    const watcher = statusWatcher<WaiterEvent>();
    let chunks = 0;
    const { fetch: recorded, requests } = recordingFetch(async (request, init) => {
      const response = await fetch(request, init);
      if (!response.body) return response;
      const counted = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            chunks += 1;
            controller.enqueue(chunk);
          },
        }),
      );
      return new Response(counted, { status: response.status, headers: response.headers });
    });
    const waiting = waitForApprovalDecision({
      baseUrl: service.url,
      approvalId,
      session: SESSION,
      fetch: recorded,
      timers: hand.timers,
      onEvent: watcher.on,
    });
    await watcher.next('streaming');
    // Let the first status event arrive (its id is the one to resume after), then
    // declare the connection dead.
    await expect.poll(() => chunks, { interval: 5 }).toBeGreaterThan(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(hand.fire(45_000)).toBe(1);
    const reconnecting = await watcher.next('reconnecting');
    expect(reconnecting).toMatchObject({ reason: 'heartbeat' });
    // The pause the service asked for with `retry:`, on the injected timers.
    if (reconnecting.status !== 'reconnecting') throw new Error('unreachable');
    expect(hand.fire(reconnecting.delayMs)).toBe(1);
    await watcher.next('streaming');
    await service.decide(approvalId, 'approve');
    await expect(waiting).resolves.toMatchObject({ status: 'approved' });
    const streams = requests.filter((r) => r.headers.get('accept') === 'text/event-stream');
    expect(streams.map((r) => r.headers.get('last-event-id'))).toEqual([
      null,
      expect.stringMatching(/^\d+$/),
    ]);
    expect(hand.pending()).toEqual([]);
  });
});
