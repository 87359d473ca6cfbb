// `call` end to end against the real handler over real HTTP: a person approves while
// the agent waits over SSE, with the stream cut mid-wait, and with streaming disabled.

import type { TimerScheduler } from '@handshake/core';
import { generateSigningKey, HandshakeError } from '@handshake/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  KEY_ID,
  manualClock,
  OTHER_SESSION,
  recordingFetch,
  SESSION,
  type Service,
  startService,
  startTcpProxy,
  statusWatcher,
  type TcpProxy,
} from '../test/harness.js';
import { type CallStatus, createHandshakeClient } from './client.js';

let service: Service | undefined;
let proxy: TcpProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  await service?.close();
  proxy = undefined;
  service = undefined;
});

function clientFor(
  svc: Service,
  overrides: Partial<Parameters<typeof createHandshakeClient>[0]> = {},
) {
  return createHandshakeClient({
    baseUrl: svc.url,
    session: SESSION,
    signer: { keyId: KEY_ID, privateKey: svc.privateKey },
    retry: { delay: () => 5, maxRetryAfter: 20 },
    ...overrides,
  });
}

/** Approves as soon as the waiter is streaming; answers what `call` reported. */
async function approveWhenStreaming(
  svc: Service,
  watcher: ReturnType<typeof statusWatcher<CallStatus>>,
) {
  const pending = await watcher.next('pending');
  await watcher.next('streaming');
  if (pending.status !== 'pending') throw new Error('unreachable');
  const answer = await svc.decide(pending.approvalId, 'approve');
  expect(answer.status).toBe(200);
}

describe('call', () => {
  it('runs a PUBLIC tool without a session or signature', async () => {
    service = await startService();
    const recorder = recordingFetch();
    const client = createHandshakeClient({ baseUrl: service.url, fetch: recorder.fetch });
    await expect(client.call('get_rate', { from: 'EUR', to: 'USD' })).resolves.toEqual({
      rate: '1.0850',
    });
    const execute = recorder.requests.find((request) => request.url.endsWith('/execute'));
    expect(execute?.headers.has('authorization')).toBe(false);
    expect(JSON.parse(execute?.body ?? '{}')).not.toHaveProperty('signature');
  });

  it('signs INTERNAL calls as core verifies them, and reports each step', async () => {
    service = await startService();
    const recorder = recordingFetch();
    const watcher = statusWatcher<CallStatus>();
    const client = clientFor(service, { fetch: recorder.fetch });
    const result = await client.call('get_order', { id: 'O-1' }, { onStatus: watcher.on });
    expect(result).toEqual({ order: 'O-1', state: 'APPROVED' });
    expect(watcher.seen.map((event) => event.status)).toEqual([
      'authorizing',
      'authorized',
      'executing',
      'completed',
    ]);
    const execute = JSON.parse(
      recorder.requests.find((r) => r.url.endsWith('/execute'))?.body ?? '{}',
    );
    expect(execute.signature.keyId).toBe(KEY_ID);
    expect(execute.transactionId).toMatch(/^tx_/);
    expect(service.calls.get('get_order')).toBe(1);
  });

  it('refuses an INTERNAL call without a signer (the service checks it)', async () => {
    service = await startService();
    const client = createHandshakeClient({ baseUrl: service.url, session: SESSION });
    const error = await client.call('get_order', { id: 'O-1' }).catch((e: unknown) => e);
    expect(HandshakeError.isInstance(error) && error.code).toBe('SIGNATURE_INVALID');
    expect(service.calls.get('get_order')).toBeUndefined();
  });

  it('refuses a signature by a key the user did not register', async () => {
    service = await startService();
    const client = createHandshakeClient({
      baseUrl: service.url,
      session: SESSION,
      signer: { keyId: KEY_ID, privateKey: generateSigningKey().privateKey },
    });
    const error = await client.call('get_order', { id: 'O-1' }).catch((e: unknown) => e);
    expect(HandshakeError.isInstance(error) && error.code).toBe('SIGNATURE_INVALID');
  });

  it('accepts the private key as raw seed bytes', async () => {
    service = await startService();
    const seed = Uint8Array.from(Buffer.from(service.privateKey, 'base64url'));
    const client = createHandshakeClient({
      baseUrl: service.url,
      session: SESSION,
      signer: { keyId: KEY_ID, privateKey: seed },
    });
    await expect(client.call('create_invoice', { amount: '10.00' })).resolves.toEqual({
      invoice: 'INV-1',
    });
  });

  it('asks a session function before every request', async () => {
    service = await startService();
    let asked = 0;
    const client = clientFor(service, {
      session: async () => {
        asked += 1;
        return SESSION;
      },
    });
    await client.call('get_order', { id: 'O-1' });
    expect(asked).toBe(2);
  });

  it('waits over SSE while a person approves a RESTRICTED call, then executes it', async () => {
    service = await startService();
    const watcher = statusWatcher<CallStatus>();
    const client = clientFor(service);
    const [result] = await Promise.all([
      client.call('pay_order', { order_id: 'O-9', amount: '25.00' }, { onStatus: watcher.on }),
      approveWhenStreaming(service, watcher),
    ]);
    expect(result).toEqual({ capture: 'CAP-1', amount: '25.00' });
    expect(service.calls.get('pay_order')).toBe(1);
    expect(watcher.seen.map((event) => event.status)).toEqual([
      'authorizing',
      'pending',
      'streaming',
      'approved',
      'executing',
      'completed',
    ]);
    // Progress never carries the token.
    expect(JSON.stringify(watcher.seen)).not.toContain('hset_');
  });

  it('resumes with Last-Event-ID after the stream is cut twice mid-wait', async () => {
    service = await startService();
    proxy = await startTcpProxy(service.url);
    const recorder = recordingFetch();
    const watcher = statusWatcher<CallStatus>();
    const client = clientFor(service, { baseUrl: proxy.url, fetch: recorder.fetch });
    const human = (async () => {
      const pending = await watcher.next('pending');
      if (pending.status !== 'pending' || !proxy || !service) throw new Error('unreachable');
      for (let cut = 0; cut < 2; cut += 1) {
        await watcher.next('streaming');
        // Cut once the first status event (id 1) has gone through the proxy.
        if (cut === 0) await proxy.delivered('event: status');
        else await proxy.delivered('retry:');
        proxy.sever();
      }
      await watcher.next('streaming');
      await proxy.delivered('retry:');
      expect((await service.decide(pending.approvalId, 'approve')).status).toBe(200);
    })();
    const [result] = await Promise.all([
      client.call('pay_order', { order_id: 'O-9', amount: '25.00' }, { onStatus: watcher.on }),
      human,
    ]);
    expect(result).toEqual({ capture: 'CAP-1', amount: '25.00' });
    expect(service.calls.get('pay_order')).toBe(1);
    const streams = recorder.requests.filter(
      (r) => r.headers.get('accept') === 'text/event-stream',
    );
    expect(streams).toHaveLength(3);
    expect(streams.map((r) => r.headers.get('last-event-id'))).toEqual([null, '1', '1']);
    const reconnects = watcher.seen.filter((event) => event.status === 'reconnecting');
    expect(reconnects).toHaveLength(2);
    for (const event of reconnects) {
      if (event.status !== 'reconnecting') throw new Error('unreachable');
      expect(event.reason).toBe('network');
      // The service's `retry: 20` decides the pause.
      expect(event.delayMs).toBe(20);
    }
  });

  it('polls the JSON status when a proxy strips the event stream', async () => {
    service = await startService();
    // A proxy that rewrites `Accept: text/event-stream` to JSON, as some gateways do.
    const recorder = recordingFetch((request, init) => {
      const headers = new Headers(request.headers);
      if (headers.get('accept') === 'text/event-stream') headers.set('accept', 'application/json');
      return fetch(new Request(request, { headers }), init);
    });
    const watcher = statusWatcher<CallStatus>();
    const client = clientFor(service, { fetch: recorder.fetch, waiter: { pollIntervalMs: 10 } });
    const human = (async () => {
      const pending = await watcher.next('pending');
      await watcher.next('polling');
      if (pending.status !== 'pending' || !service) throw new Error('unreachable');
      expect((await service.decide(pending.approvalId, 'approve')).status).toBe(200);
    })();
    const [result] = await Promise.all([
      client.call('pay_order', { order_id: 'O-9', amount: '25.00' }, { onStatus: watcher.on }),
      human,
    ]);
    expect(result).toEqual({ capture: 'CAP-1', amount: '25.00' });
    expect(service.calls.get('pay_order')).toBe(1);
    expect(watcher.seen).toContainEqual({
      status: 'polling',
      approvalId: expect.any(String),
      reason: 'not-event-stream',
    });
    expect(watcher.count('streaming')).toBe(0);
    const polls = recorder.requests.filter(
      (r) => r.url.includes('/approvals/') && r.headers.get('accept') === 'application/json',
    );
    expect(polls.length).toBeGreaterThanOrEqual(1);
  });

  it('polls when the runtime gives no readable body stream', async () => {
    service = await startService();
    const { fetch: withoutStreams } = recordingFetch(async (request, init) => {
      const response = await fetch(request, init);
      if (request.headers.get('accept') !== 'text/event-stream') return response;
      await response.body?.cancel();
      // What a runtime without ReadableStream support answers: headers, no body stream.
      return new Response(null, { status: 200, headers: response.headers });
    });
    const watcher = statusWatcher<CallStatus>();
    const client = clientFor(service, { fetch: withoutStreams, waiter: { pollIntervalMs: 10 } });
    const human = (async () => {
      const pending = await watcher.next('pending');
      await watcher.next('polling');
      if (pending.status !== 'pending' || !service) throw new Error('unreachable');
      await service.decide(pending.approvalId, 'approve');
    })();
    const [result] = await Promise.all([
      client.call('pay_order', { order_id: 'O-9', amount: '5.00' }, { onStatus: watcher.on }),
      human,
    ]);
    expect(result).toEqual({ capture: 'CAP-1', amount: '5.00' });
    expect(watcher.seen).toContainEqual({
      status: 'polling',
      approvalId: expect.any(String),
      reason: 'no-readable-body',
    });
  });

  it('ends with APPROVAL_DENIED when the person denies, and runs nothing', async () => {
    service = await startService();
    const watcher = statusWatcher<CallStatus>();
    const client = clientFor(service);
    const human = (async () => {
      const pending = await watcher.next('pending');
      await watcher.next('streaming');
      if (pending.status !== 'pending' || !service) throw new Error('unreachable');
      await service.decide(pending.approvalId, 'deny', 'not this week');
    })();
    const [error] = await Promise.all([
      client
        .call('pay_order', { order_id: 'O-9', amount: '25.00' }, { onStatus: watcher.on })
        .catch((e: unknown) => e),
      human,
    ]);
    expect(HandshakeError.isInstance(error)).toBe(true);
    if (!HandshakeError.isInstance(error)) return;
    expect(error.code).toBe('APPROVAL_DENIED');
    expect(error.status).toBe(403);
    expect(error.message).toMatch(
      /^Approval apr_\S+ for pay_order was denied \(reason: "not this week"\): GET http:\/\/127\.0\.0\.1:\d+\/approvals\/apr_/,
    );
    expect(watcher.count('denied')).toBe(1);
    expect(service.calls.get('pay_order')).toBeUndefined();
  });

  it('ends with APPROVAL_EXPIRED when nobody decides in time', async () => {
    const clock = manualClock();
    // The stream wakes at the approval's deadline by a timer; on the test's clock that
    // timer is fired when the clock passes it, the others run as they would.
    const deadlines = new Set<() => void>();
    const timers: TimerScheduler = {
      setTimeout: (callback, ms) => {
        if (ms < 60_000) return setTimeout(callback, ms);
        deadlines.add(callback);
        return callback;
      },
      clearTimeout: (handle) => {
        if (typeof handle === 'function') deadlines.delete(handle as () => void);
        else clearTimeout(handle as ReturnType<typeof setTimeout>);
      },
    };
    service = await startService({
      engine: { clock, approvalTtlMs: 60_000 },
      handler: { pollMs: 10, timers },
    });
    const watcher = statusWatcher<CallStatus>();
    const client = clientFor(service);
    const time = (async () => {
      await watcher.next('streaming');
      // The stream arms its deadline once it has read the approval.
      while (deadlines.size === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      clock.advance(60_001);
      for (const fire of [...deadlines]) fire();
    })();
    const [error] = await Promise.all([
      client
        .call('pay_order', { order_id: 'O-9', amount: '25.00' }, { onStatus: watcher.on })
        .catch((e: unknown) => e),
      time,
    ]);
    expect(HandshakeError.isInstance(error) && error.code).toBe('APPROVAL_EXPIRED');
    expect(HandshakeError.isInstance(error) && error.status).toBe(410);
    expect(watcher.count('expired')).toBe(1);
    expect(service.calls.get('pay_order')).toBeUndefined();
  });

  it('ends with ABORTED when the caller gives up mid-wait', async () => {
    service = await startService();
    const watcher = statusWatcher<CallStatus>();
    const controller = new AbortController();
    const client = clientFor(service);
    const abort = (async () => {
      await watcher.next('streaming');
      controller.abort(new Error('user closed the tab'));
    })();
    const [error] = await Promise.all([
      client
        .call(
          'pay_order',
          { order_id: 'O-9', amount: '25.00' },
          { onStatus: watcher.on, signal: controller.signal },
        )
        .catch((e: unknown) => e),
      abort,
    ]);
    expect(HandshakeError.isInstance(error) && error.code).toBe('ABORTED');
    expect(String(error)).toMatch(/Waiting for approval apr_\S+ was aborted: GET http/);
  });

  it('ends with TIMEOUT at its own approval deadline', async () => {
    service = await startService();
    const client = clientFor(service);
    const error = await client
      .call('pay_order', { order_id: 'O-9', amount: '25.00' }, { approvalTimeoutMs: 50 })
      .catch((e: unknown) => e);
    expect(HandshakeError.isInstance(error) && error.code).toBe('TIMEOUT');
    expect(String(error)).toMatch(/timed out after 50 ms/);
  });

  it('explains an approval it cannot use: the credential was refreshed into another session', async () => {
    service = await startService();
    let requests = 0;
    // The first credential authorizes; a refresh then names a different session.
    const client = clientFor(service, {
      session: () => (++requests === 1 ? SESSION : OTHER_SESSION),
    });
    const watcher = statusWatcher<CallStatus>();
    const human = (async () => {
      const pending = await watcher.next('pending');
      await watcher.next('streaming');
      if (pending.status !== 'pending' || !service) throw new Error('unreachable');
      await service.decide(pending.approvalId, 'approve');
    })();
    const [error] = await Promise.all([
      client
        .call('pay_order', { order_id: 'O-9', amount: '25.00' }, { onStatus: watcher.on })
        .catch((e: unknown) => e),
      human,
    ]);
    expect(HandshakeError.isInstance(error) && error.code).toBe('TOKEN_ALREADY_USED');
    expect(String(error)).toMatch(/approved, but no token was issued to this session/);
    expect(service.calls.get('pay_order')).toBeUndefined();
  });

  it('waits for and reads an approval with the phases apart', async () => {
    service = await startService();
    const client = clientFor(service);
    const parameters = { order_id: 'O-9', amount: '25.00' };
    const pending = await client.authorize('pay_order', parameters);
    if (pending.status !== 'pending') throw new Error('expected pending');
    expect((await client.approvalStatus(pending.approvalId)).status).toBe('pending');
    await service.decide(pending.approvalId, 'approve');
    const approved = await client.waitForApproval(pending.approvalId);
    expect(approved).toMatchObject({ status: 'approved', transactionId: pending.transactionId });
    // Each read issues a token of its own; the earlier ones stay live.
    const latest = await client.approvalStatus(pending.approvalId);
    expect(latest.ephemeralToken).toMatch(/^hset_/);
    expect(latest.ephemeralToken).not.toBe(approved.ephemeralToken);
    const input = {
      tool: 'pay_order',
      parameters,
      transactionId: pending.transactionId,
      tier: pending.tier,
    };
    const done = await client.execute({ ...input, ephemeralToken: approved.ephemeralToken ?? '' });
    expect(done.result).toEqual({ capture: 'CAP-1', amount: '25.00' });
    // The first execute spent the approval: the other token only replays the result.
    const again = await client.execute({ ...input, ephemeralToken: latest.ephemeralToken ?? '' });
    expect(again).toMatchObject({ replayed: true, result: { capture: 'CAP-1', amount: '25.00' } });
    expect(await client.approvalStatus(pending.approvalId)).toMatchObject({ executed: true });
  });

  it('lists tools', async () => {
    service = await startService();
    const tools = await clientFor(service).tools();
    expect(tools.map((tool) => [tool.name, tool.tier])).toContainEqual(['pay_order', 'RESTRICTED']);
  });
});
