// Withdrawing an approval against the real handler over real HTTP: by hand, and by
// `call()` when its signal aborts while it authorizes or waits for a person.

import { HandshakeError } from '@handshake/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  APPROVER,
  KEY_ID,
  SESSION,
  type Service,
  startService,
  statusWatcher,
} from '../test/harness.js';
import { type CallStatus, createHandshakeClient } from './client.js';
import type { FetchLike } from './url.js';

let service: Service | undefined;

afterEach(async () => {
  await service?.close();
  service = undefined;
});

function clientFor(svc: Service, fetch?: FetchLike) {
  return createHandshakeClient({
    baseUrl: svc.url,
    session: SESSION,
    signer: { keyId: KEY_ID, privateKey: svc.privateKey },
    retry: { delay: () => 5, maxRetryAfter: 20 },
    ...(fetch ? { fetch } : {}),
  });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!HandshakeError.isInstance(error)) throw new Error(`expected a HandshakeError: ${error}`);
  return error.code;
}

const parameters = { order_id: 'O-9', amount: '25.00' };

/** Runs `call()` and aborts it once it is streaming the wait for a person. */
async function abortMidWait(svc: Service, fetch?: FetchLike) {
  const watcher = statusWatcher<CallStatus>();
  const controller = new AbortController();
  const client = clientFor(svc, fetch);
  const abort = (async () => {
    await watcher.next('streaming');
    controller.abort(new Error('the host cancelled the request'));
  })();
  const [error] = await Promise.all([
    client
      .call('pay_order', parameters, { onStatus: watcher.on, signal: controller.signal })
      .catch((e: unknown) => e),
    abort,
  ]);
  const pending = watcher.seen.find((event) => event.status === 'pending');
  if (pending?.status !== 'pending') throw new Error('expected a pending approval');
  return { error, watcher, client, approvalId: pending.approvalId };
}

describe('withdraw', () => {
  it('call() withdraws its pending approval when its signal aborts; a later approval is refused', async () => {
    service = await startService();
    const { error, watcher, client, approvalId } = await abortMidWait(service);
    expect(HandshakeError.isInstance(error) && error.code).toBe('ABORTED');
    expect(watcher.count('withdrawn')).toBe(1);
    expect((await client.approvalStatus(approvalId)).status).toBe('withdrawn');
    const late = await service.decide(approvalId, 'approve');
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({
      error: {
        code: 'APPROVAL_PENDING',
        message: 'The approval was already withdrawn: its requester cancelled the call',
      },
    });
    expect(service.calls.get('pay_order')).toBeUndefined();
  });

  it('call() still ends with the abort when the withdrawal fails', async () => {
    service = await startService();
    const failing: FetchLike = (input, init) =>
      String(input instanceof Request ? input.url : input).endsWith('/withdraw')
        ? Promise.reject(new TypeError('fetch failed'))
        : globalThis.fetch(input, init);
    const { error, watcher, client, approvalId } = await abortMidWait(service, failing);
    expect(HandshakeError.isInstance(error) && error.code).toBe('ABORTED');
    expect(watcher.count('withdrawn')).toBe(0);
    expect((await client.approvalStatus(approvalId)).status).toBe('pending');
  });

  it('call() withdraws an approval whose authorize answer arrives after the abort', async () => {
    service = await startService();
    let answered!: () => void;
    const authorizeAnswered = new Promise<void>((resolve) => {
      answered = resolve;
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The service answers authorize (it already asks a person), but the answer is held
    // back until the caller has given up.
    const slowAnswer: FetchLike = async (input, init) => {
      const response = await globalThis.fetch(input, init);
      if (String(input instanceof Request ? input.url : input).endsWith('/authorize')) {
        answered();
        await held;
      }
      return response;
    };
    const client = clientFor(service, slowAnswer);
    const controller = new AbortController();
    const calling = client
      .call('pay_order', parameters, { signal: controller.signal })
      .catch((e: unknown) => e);
    await authorizeAnswered;
    controller.abort(new Error('the host cancelled the request'));
    const error = await calling;
    expect(HandshakeError.isInstance(error) && error.code).toBe('ABORTED');
    expect(String(error)).toMatch(/^HandshakeError: Authorize was aborted: POST http/);
    release();
    const withdrawn = () =>
      service?.engine.listApprovals({ status: 'withdrawn' }, APPROVER).then((list) => list.length);
    await expect.poll(withdrawn).toBe(1);
    expect(await service.engine.listApprovals({ status: 'pending' }, APPROVER)).toEqual([]);
  });

  it('withdraws by hand; waiters end with ABORTED, and a decided approval stays decided', async () => {
    service = await startService();
    const client = clientFor(service);
    const first = await client.authorize('pay_order', parameters);
    if (first.status !== 'pending') throw new Error('expected pending');
    const waiting = client.waitForApproval(first.approvalId).catch((e: unknown) => e);
    const view = await client.withdraw(first.approvalId);
    expect(view).toMatchObject({ approvalId: first.approvalId, status: 'withdrawn' });
    const ended = await waiting;
    expect(HandshakeError.isInstance(ended) && ended.code).toBe('ABORTED');
    expect(String(ended)).toMatch(/was withdrawn by its requester/);
    // Withdrawing again answers the same, so a retry after a lost answer is safe.
    expect((await client.withdraw(first.approvalId)).status).toBe('withdrawn');

    const second = await client.authorize('pay_order', parameters);
    if (second.status !== 'pending') throw new Error('expected pending');
    await service.decide(second.approvalId, 'approve');
    expect(await codeOf(client.withdraw(second.approvalId))).toBe('APPROVAL_PENDING');
    expect(await codeOf(client.withdraw('apr_0000000000000000_x'))).toBe('NOT_FOUND');
    expect(await codeOf(client.withdraw(''))).toBe('VALIDATION_ERROR');
  });
});
