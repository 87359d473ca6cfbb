// The spend-API client against the real engine, spend routes and simulated card issuer,
// over real HTTP on loopback: purchases within the limits, over-limit purchases a person
// approves or denies while the client waits on the stream, lapses, and streams that
// break, go silent or are rewritten on the way.

import { spendApiRoutes, spendTools } from '@handshake/cards';
import { type SimulatedCardIssuer, simulatedCardIssuer } from '@handshake/cards/testing';
import {
  type Clock,
  createHandshake,
  createHandshakeHandler,
  type HandshakeEngine,
  type HandshakeOptions,
  staticKeyResolver,
  staticSessionVerifier,
  type TimerScheduler,
} from '@handshake/core';
import { type RunningServer, serve } from '@handshake/core/node';
import { ed25519PublicKey, generateSigningKey, HandshakeError } from '@handshake/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  APPROVER,
  handFiredTimers,
  KEY_ID,
  manualClock,
  recordingFetch,
  SESSION,
  startTcpProxy,
  statusWatcher,
  type TcpProxy,
} from '../../test/harness.js';
import { createHandshakeClient, type HandshakeClientOptions } from '../client.js';
import type { ValidationStatus } from './spend-client.js';

const BOB_SESSION = 'session-token-bob-0001';
const LIMITS = { currency: 'USD', daily: '200.00', transaction: '100.00' };

/** Timers of the service's validation streams that the test fires by hand. */
function manualTimers() {
  let next = 1;
  const pending = new Map<number, { callback: () => void; ms: number }>();
  const timers: TimerScheduler & { fire(ms: number): number } = {
    setTimeout(callback, ms) {
      const id = next++;
      pending.set(id, { callback, ms });
      return id;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
    fire(ms) {
      let fired = 0;
      for (const [id, timer] of [...pending]) {
        if (timer.ms !== ms) continue;
        pending.delete(id);
        timer.callback();
        fired += 1;
      }
      return fired;
    },
  };
  return timers;
}

interface SpendService {
  url: string;
  engine: HandshakeEngine;
  issuer: SimulatedCardIssuer;
  /** Fires the service's validation-stream timers of exactly `ms`. */
  timers: ReturnType<typeof manualTimers>;
  privateKey: string;
  decide(approvalId: string, decision: 'approve' | 'deny', reason?: string): Promise<Response>;
  close(): Promise<void>;
}

let service: SpendService | undefined;
let proxy: TcpProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  await service?.close();
  proxy = undefined;
  service = undefined;
});

async function startSpendService(
  options: { engine?: Partial<HandshakeOptions>; clock?: Clock } = {},
): Promise<SpendService> {
  const clock = options.clock ? { clock: options.clock } : {};
  const issuer = simulatedCardIssuer(clock);
  const spend = spendTools({ issuer });
  const { privateKey } = generateSigningKey();
  const engine = createHandshake({
    tools: [spend],
    sessions: staticSessionVerifier({ [SESSION]: 'alice', [BOB_SESSION]: 'bob' }),
    // Bob's agent holds the same key, so his requests pass the signature check and
    // reach the token's.
    keys: staticKeyResolver([
      { userId: 'alice', keyId: KEY_ID, publicKey: ed25519PublicKey(privateKey) },
      { userId: 'bob', keyId: KEY_ID, publicKey: ed25519PublicKey(privateKey) },
    ]),
    approverCredentials: { [APPROVER]: 'ops' },
    limits: LIMITS,
    rateLimit: false,
    ...clock,
    ...options.engine,
  });
  const timers = manualTimers();
  const running: RunningServer = await serve(
    createHandshakeHandler(engine, {
      routes: spendApiRoutes(engine, { tools: spend, timers }),
    }),
    { port: 0 },
  );
  return {
    url: running.url,
    engine,
    issuer,
    timers,
    privateKey,
    decide: (approvalId, decision, reason) =>
      fetch(`${running.url}/approvals/${approvalId}/decision`, {
        method: 'POST',
        headers: { authorization: `Bearer ${APPROVER}`, 'content-type': 'application/json' },
        body: JSON.stringify({ decision, ...(reason ? { reason } : {}) }),
      }),
    close: async () => {
      await running.close();
      await engine.close();
    },
  };
}

function clientFor(svc: SpendService, overrides: Partial<HandshakeClientOptions> = {}) {
  return createHandshakeClient({
    baseUrl: svc.url,
    session: SESSION,
    signer: { keyId: KEY_ID, privateKey: svc.privateKey },
    retry: { delay: () => 5, maxRetryAfter: 20 },
    waiter: { pollIntervalMs: 10 },
    ...overrides,
  });
}

/** The `pending` status, once the client reports it (it comes from the stream). */
async function pendingOf(watcher: ReturnType<typeof statusWatcher<ValidationStatus>>) {
  const pending = await watcher.next('pending');
  if (pending.status !== 'pending') throw new Error('unreachable');
  return pending;
}

/** The first status reported with `status`, already or later. */
async function reached(
  watcher: ReturnType<typeof statusWatcher<ValidationStatus>>,
  status: ValidationStatus['status'],
): Promise<ValidationStatus> {
  return watcher.seen.find((event) => event.status === status) ?? watcher.next(status);
}

const SIXTEEN_DIGITS = /\d{16}/;

/**
 * The outcome of a promise, error included, handled from the start: a wait that fails
 * while the test is still deciding is not an unhandled rejection.
 */
const caught = <T>(promise: Promise<T>): Promise<T | unknown> =>
  promise.catch((error: unknown) => error);

describe('spend client: within the limits', () => {
  it('goes info → limits → validate → card → checkout, signing the card request', async () => {
    service = await startSpendService();
    const recorder = recordingFetch();
    const client = clientFor(service, { fetch: recorder.fetch });

    const info = await client.spend.info();
    expect(info.basePath).toBe('/api/mcp');
    expect(info.endpoints.map((endpoint) => endpoint.path)).toContain(
      '/api/mcp/validate-transaction',
    );

    const before = await client.spend.limits();
    expect(before.daily).toMatchObject({ amount: '200.00', remaining: '200.00', used: '0.00' });
    expect(before.transaction).toEqual({ amount: '100.00', currency: 'USD' });

    const watcher = statusWatcher<ValidationStatus>();
    const validation = await client.spend.validateTransaction(
      { merchant: 'Example Books', amount: 30, currency: 'USD', product: { name: 'Birds' } },
      { onStatus: watcher.on },
    );
    expect(validation).toMatchObject({
      status: 'auto_approved',
      merchantName: 'Example Books',
      transactionAmount: '30.00',
      transactionCurrency: 'USD',
    });
    expect(validation.validationToken).toMatch(/^hset_/);
    expect(watcher.seen.map((status) => status.status)).toEqual(['validating', 'auto_approved']);
    const sent = recorder.requests.find((r) => r.url.endsWith('/validate-transaction'));
    // Amounts travel as exact decimal strings, never as floats.
    expect(JSON.parse(sent?.body ?? '{}')).toMatchObject({ amount: '30.00', currency: 'USD' });

    // The validation reserved its amount.
    expect((await client.spend.limits()).daily?.remaining).toBe('170.00');

    const card = await client.spend.createVirtualCard(validation);
    expect(card).toMatchObject({
      spendingLimit: '30.00',
      currency: 'USD',
      merchantName: 'Example Books',
      transactionId: validation.transactionId,
    });
    expect(card.cardNumber.endsWith(card.last4)).toBe(true);
    const cardRequest = JSON.parse(
      recorder.requests.find((r) => r.url.endsWith('/create-virtual-card'))?.body ?? '{}',
    );
    expect(cardRequest).toMatchObject({
      merchant_name: 'Example Books',
      transaction_amount: '30.00',
      card_amount: '30.00',
      transaction_id: validation.transactionId,
      signature: { keyId: KEY_ID },
    });

    // The card is locked to the merchant it was validated for.
    const elsewhere = await client.spend
      .mockCheckout({ card, merchant: 'Other Shop' })
      .catch((error: unknown) => error);
    expect(elsewhere).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(
      JSON.parse(recorder.requests.findLast((r) => r.url.endsWith('/mock-checkout'))?.body ?? '{}'),
    ).toMatchObject({ merchant: { name: 'Other Shop' } });
    const order = await client.spend.mockCheckout({
      card,
      merchant: { name: 'Example Books' },
      amount: '24.99',
      product: { name: 'A field guide to birds' },
    });
    expect(order).toMatchObject({
      status: 'confirmed',
      payment: { last4: card.last4, amount: '24.99', currency: 'USD', status: 'captured' },
      merchant: { name: 'Example Books' },
    });
    expect((await client.spend.limits()).daily).toMatchObject({
      remaining: '170.00',
      used: '30.00',
    });

    // A card is charged once; the refusal names neither the card nor its number.
    const again = await client.spend.mockCheckout({ card }).catch((error: unknown) => error);
    expect(again).toMatchObject({ code: 'TOKEN_ALREADY_USED' });
    expect(String(again)).not.toContain(card.cardNumber);
    expect(recorder.requests.filter((r) => r.url.endsWith('/mock-checkout'))).toHaveLength(3);
  });

  it('makes a smaller card than validated, and refuses a larger one before using the token', async () => {
    service = await startSpendService();
    const client = clientFor(service);
    const validation = await client.spend.validateTransaction({
      merchant: { name: 'Example Books' },
      amount: '50.00',
      currency: 'USD',
    });
    const larger = await client.spend
      .createVirtualCard({ ...validation, cardAmount: '50.01' })
      .catch((error: unknown) => error);
    expect(larger).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    const card = await client.spend.createVirtualCard({ ...validation, cardAmount: '24.99' });
    expect(card.spendingLimit).toBe('24.99');
  });

  it('is refused SIGNATURE_INVALID without the registered key, and the token stays usable', async () => {
    service = await startSpendService();
    const signed = clientFor(service);
    const unsigned = clientFor(service, { signer: undefined });
    const forger = clientFor(service, {
      signer: { keyId: KEY_ID, privateKey: generateSigningKey().privateKey },
    });
    const validation = await signed.spend.validateTransaction({
      merchant: 'Example Books',
      amount: '12.00',
      currency: 'USD',
    });
    await expect(unsigned.spend.createVirtualCard(validation)).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
    await expect(forger.spend.createVirtualCard(validation)).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
    await expect(signed.spend.createVirtualCard(validation)).resolves.toMatchObject({
      spendingLimit: '12.00',
    });
    expect(service.issuer.issuedCount).toBe(1);
  });

  it('recovers a lost card response with the identical request: one card, never two', async () => {
    service = await startSpendService();
    let dropped = false;
    const recorder = recordingFetch(async (request, init) => {
      const response = await fetch(request, init);
      if (request.url.endsWith('/create-virtual-card') && !dropped) {
        dropped = true;
        await response.arrayBuffer(); // the card was made; its answer is lost
        throw new TypeError('fetch failed');
      }
      return response;
    });
    const client = clientFor(service, { fetch: recorder.fetch });
    const validation = await client.spend.validateTransaction({
      merchant: 'Example Books',
      amount: '30.00',
      currency: 'USD',
    });
    const card = await client.spend.createVirtualCard(validation);
    expect(card.replayed).toBe(true);
    expect(service.issuer.issuedCount).toBe(1);
    const sends = recorder.requests.filter((r) => r.url.endsWith('/create-virtual-card'));
    expect(sends).toHaveLength(2);
    expect(sends[1]?.body).toBe(sends[0]?.body);
  });

  it('keeps tokens and card numbers out of its errors', async () => {
    service = await startSpendService();
    const client = clientFor(service);
    const validation = await client.spend.validateTransaction({
      merchant: 'Example Books',
      amount: '30.00',
      currency: 'USD',
    });
    const card = await client.spend.createVirtualCard(validation);
    // A different request with the spent token.
    const spent = await client.spend
      .createVirtualCard({ ...validation, cardAmount: '10.00' })
      .catch((error: unknown) => error);
    expect(spent).toMatchObject({ code: 'TOKEN_ALREADY_USED' });
    expect(String(spent)).not.toContain(validation.validationToken);
    const wrongCvc = await client.spend
      .mockCheckout({ card: { ...card, cvc: card.cvc === '000' ? '001' : '000' } })
      .catch((error: unknown) => error);
    expect(wrongCvc).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(String(wrongCvc)).not.toMatch(SIXTEEN_DIGITS);
    // Another user cannot use alice's validation token.
    const bob = clientFor(service, { session: BOB_SESSION });
    const validation2 = await client.spend.validateTransaction({
      merchant: 'Example Books',
      amount: '5.00',
      currency: 'USD',
    });
    const stolen = await bob.spend.createVirtualCard(validation2).catch((error: unknown) => error);
    expect(stolen).toMatchObject({ code: 'TOKEN_INVALID' });
    expect(String(stolen)).not.toContain(validation2.validationToken);
  });

  it('refuses bad input before sending anything, naming the field', async () => {
    service = await startSpendService();
    const recorder = recordingFetch();
    const client = clientFor(service, { fetch: recorder.fetch });
    const cases: Array<[Promise<unknown>, string]> = [
      [
        client.spend.validateTransaction({ merchant: 'Shop', amount: '1.005', currency: 'USD' }),
        'amount',
      ],
      [
        client.spend.validateTransaction({ merchant: ' Shop', amount: 1, currency: 'USD' }),
        'merchant',
      ],
      [
        client.spend.validateTransaction({ merchant: 'Shop', amount: 1, currency: 'usd' }),
        'currency',
      ],
      [
        client.spend.validateTransaction({
          merchant: 'Shop',
          amount: 1,
          currency: 'USD',
          timeout: 5,
        }),
        'timeout',
      ],
      [
        client.spend.createVirtualCard({
          validationToken: 'hset_x',
          transactionId: 'tx_1',
          merchantName: 'Shop',
          transactionAmount: '10.00',
          transactionCurrency: 'USD',
          cardCurrency: 'EUR',
        }),
        'cardAmount',
      ],
      [client.spend.authorizationStatus(''), 'authorizationId'],
    ];
    for (const [attempt, path] of cases) {
      const error = await attempt.catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'VALIDATION_ERROR', path });
    }
    expect(recorder.requests).toHaveLength(0);
  });

  it('reports a malformed answer as a HandshakeResponseError naming the field', async () => {
    service = await startSpendService();
    const { fetch: mangling } = recordingFetch(async (request, init) => {
      const response = await fetch(request, init);
      if (!request.url.endsWith('/limits')) return response;
      const body = (await response.json()) as Record<string, unknown>;
      delete body.enabled;
      return Response.json(body, { status: 200 });
    });
    const client = clientFor(service, { fetch: mangling });
    const error = await client.spend.limits().catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      name: 'HandshakeResponseError',
      code: 'INTERNAL_ERROR',
      issues: [expect.objectContaining({ path: 'enabled' })],
    });
  });
});

describe('spend client: over a limit, a person decides', () => {
  it('waits on the SSE stream while a person approves, then makes the card', async () => {
    service = await startSpendService();
    const recorder = recordingFetch();
    const client = clientFor(service, { fetch: recorder.fetch });
    const watcher = statusWatcher<ValidationStatus>();
    const validating = client.spend.validateTransaction(
      { merchant: 'Example Audio', amount: '150.00', currency: 'USD' },
      { onStatus: watcher.on },
    );
    const pending = await pendingOf(watcher);
    expect(pending.reasons).toEqual(['transaction']);
    expect((await service.decide(pending.authorizationId, 'approve')).status).toBe(200);
    const validation = await validating;
    expect(validation).toMatchObject({
      status: 'approved',
      authorizationId: pending.authorizationId,
      transactionId: pending.transactionId,
      transactionAmount: '150.00',
    });
    expect(watcher.seen.map((status) => status.status)).toEqual([
      'validating',
      'pending',
      'approved',
    ]);
    // The decision came over the stream: the status was never polled.
    expect(recorder.requests.some((r) => r.url.includes('/authorization-status'))).toBe(false);
    const card = await client.spend.createVirtualCard(validation);
    expect(card.spendingLimit).toBe('150.00');
    // An approved over-limit purchase counts (the person said yes).
    expect((await client.spend.limits()).daily).toMatchObject({
      used: '150.00',
      remaining: '50.00',
    });
  });

  it('throws APPROVAL_DENIED with the reason when the person says no, and counts nothing', async () => {
    service = await startSpendService();
    const client = clientFor(service);
    const watcher = statusWatcher<ValidationStatus>();
    const validating = caught(
      client.spend.validateTransaction(
        { merchant: 'Example Audio', amount: '150.00', currency: 'USD' },
        { onStatus: watcher.on },
      ),
    );
    const pending = await pendingOf(watcher);
    await service.decide(pending.authorizationId, 'deny', 'not this month');
    const error = await validating;
    expect(HandshakeError.isInstance(error) && error.code).toBe('APPROVAL_DENIED');
    expect(String(error)).toContain('not this month');
    expect(watcher.seen.at(-1)).toMatchObject({ status: 'denied' });
    expect((await client.spend.limits()).daily?.remaining).toBe('200.00');
  });

  it('throws TIMEOUT when no decision comes in time; the authorization can still be approved', async () => {
    service = await startSpendService();
    const client = clientFor(service);
    const watcher = statusWatcher<ValidationStatus>();
    const validating = caught(
      client.spend.validateTransaction(
        { merchant: 'Example Audio', amount: '150.00', currency: 'USD', timeout: 10 },
        { onStatus: watcher.on },
      ),
    );
    const pending = await pendingOf(watcher);
    // The request's 10 seconds pass on the service.
    expect(service.timers.fire(10_000)).toBe(1);
    const error = await validating;
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect(String(error)).toContain(pending.authorizationId);
    expect(watcher.seen.at(-1)).toMatchObject({ status: 'timeout' });

    expect(await client.spend.authorizationStatus(pending.authorizationId)).toMatchObject({
      status: 'pending',
      validationToken: undefined,
    });
    await service.decide(pending.authorizationId, 'approve');
    const state = await client.spend.authorizationStatus(pending.authorizationId);
    expect(state.status).toBe('approved');
    const card = await client.spend.createVirtualCard({
      validationToken: state.validationToken ?? '',
      transactionId: state.transactionId,
      merchantName: 'Example Audio',
      transactionAmount: '150.00',
      transactionCurrency: 'USD',
    });
    expect(card.spendingLimit).toBe('150.00');
  });

  it('throws APPROVAL_EXPIRED when the approval lapses during the wait, and releases the amount', async () => {
    const clock = manualClock();
    service = await startSpendService({ clock, engine: { approvalTtlMs: 60_000 } });
    const client = clientFor(service);
    const watcher = statusWatcher<ValidationStatus>();
    const validating = caught(
      client.spend.validateTransaction(
        { merchant: 'Example Audio', amount: '150.00', currency: 'USD', timeout: 120 },
        { onStatus: watcher.on },
      ),
    );
    await pendingOf(watcher);
    clock.advance(61_000);
    // The stream's check at the approval's deadline (60 s + 5 ms).
    expect(service.timers.fire(60_005)).toBe(1);
    const error = await validating;
    expect(error).toMatchObject({ code: 'APPROVAL_EXPIRED' });
    expect(watcher.seen.at(-1)).toMatchObject({ status: 'expired' });
    expect((await client.spend.limits()).daily?.remaining).toBe('200.00');
  });

  it('ends with ABORTED when the caller gives up', async () => {
    service = await startSpendService();
    const client = clientFor(service);
    const watcher = statusWatcher<ValidationStatus>();
    const controller = new AbortController();
    const validating = caught(
      client.spend.validateTransaction(
        { merchant: 'Example Audio', amount: '150.00', currency: 'USD' },
        { onStatus: watcher.on, signal: controller.signal },
      ),
    );
    await pendingOf(watcher);
    controller.abort();
    expect(await validating).toMatchObject({ code: 'ABORTED' });
  });
});

describe('spend client: when the stream fails', () => {
  it('polls authorization-status after the stream is cut, and gets the approval', async () => {
    service = await startSpendService();
    proxy = await startTcpProxy(service.url);
    const recorder = recordingFetch();
    const client = clientFor(service, { baseUrl: proxy.url, fetch: recorder.fetch });
    const watcher = statusWatcher<ValidationStatus>();
    const validating = client.spend.validateTransaction(
      { merchant: 'Example Audio', amount: '150.00', currency: 'USD' },
      { onStatus: watcher.on },
    );
    const pending = await pendingOf(watcher);
    proxy.sever();
    expect(await reached(watcher, 'polling')).toMatchObject({ reason: 'network' });
    await service.decide(pending.authorizationId, 'approve');
    const validation = await validating;
    expect(validation.status).toBe('approved');
    expect(recorder.requests.some((r) => r.url.includes('/authorization-status'))).toBe(true);
    // The token from the latest read makes the card.
    await expect(client.spend.createVirtualCard(validation)).resolves.toMatchObject({
      spendingLimit: '150.00',
    });
  });

  it('polls when the stream goes silent past the heartbeat timeout', async () => {
    service = await startSpendService(); // its heartbeats never fire: manual timers
    const client = clientFor(service, { waiter: { pollIntervalMs: 10, heartbeatTimeoutMs: 50 } });
    const watcher = statusWatcher<ValidationStatus>();
    const validating = caught(
      client.spend.validateTransaction(
        { merchant: 'Example Audio', amount: '150.00', currency: 'USD' },
        { onStatus: watcher.on },
      ),
    );
    const pending = await pendingOf(watcher);
    expect(await reached(watcher, 'polling')).toMatchObject({ reason: 'heartbeat' });
    await service.decide(pending.authorizationId, 'deny');
    expect(await validating).toMatchObject({ code: 'APPROVAL_DENIED' });
  });

  it('polls when a proxy strips the stream to its first event and relabels it', async () => {
    service = await startSpendService();
    const { fetch: stripping } = recordingFetch(async (request, init) => {
      const response = await fetch(request, init);
      if (!request.url.endsWith('/validate-transaction')) return response;
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes('\n\n')) {
        const { done, value } = await reader.read();
        if (done) break;
        text += value;
      }
      await reader.cancel();
      return new Response(text.slice(0, text.indexOf('\n\n') + 2), {
        status: 200,
        headers: { 'content-type': 'text/plain' },
      });
    });
    const client = clientFor(service, { fetch: stripping });
    const watcher = statusWatcher<ValidationStatus>();
    const validating = client.spend.validateTransaction(
      { merchant: 'Example Audio', amount: '150.00', currency: 'USD' },
      { onStatus: watcher.on },
    );
    const pending = await pendingOf(watcher);
    expect(await reached(watcher, 'polling')).toMatchObject({ reason: 'not-event-stream' });
    await service.decide(pending.authorizationId, 'approve');
    await expect(validating).resolves.toMatchObject({ status: 'approved' });
  });

  it('throws TIMEOUT when polling outlasts the request timeout', async () => {
    service = await startSpendService();
    proxy = await startTcpProxy(service.url);
    const asked: number[] = [];
    // Client timers: the request's 10 s deadline passes at once; the rest run as asked.
    const timers = {
      setTimeout: (callback: () => void, ms: number) => {
        asked.push(ms);
        return setTimeout(callback, ms === 10_000 ? 0 : ms);
      },
      clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    const client = clientFor(service, { baseUrl: proxy.url });
    const watcher = statusWatcher<ValidationStatus>();
    const severed = (async () => {
      const pending = await pendingOf(watcher);
      proxy?.sever();
      return pending;
    })();
    const error = await client.spend
      .validateTransaction(
        { merchant: 'Example Audio', amount: '150.00', currency: 'USD', timeout: 10 },
        { onStatus: watcher.on, timers, heartbeatTimeoutMs: 60_000 },
      )
      .catch((caught: unknown) => caught);
    const pending = await severed;
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect(String(error)).toContain(pending.authorizationId);
    expect(asked).toContain(10_000);
  });
});

describe('spend client: the wait ends cleanly', () => {
  it('ends at its own deadline on the injected timers while the stream stays open', async () => {
    service = await startSpendService(); // its timeout and heartbeats never fire
    const hand = handFiredTimers();
    const client = clientFor(service);
    const watcher = statusWatcher<ValidationStatus>();
    const validating = caught(
      client.spend.validateTransaction(
        { merchant: 'Example Audio', amount: '150.00', currency: 'USD', timeout: 10 },
        { onStatus: watcher.on, timers: hand.timers },
      ),
    );
    const pending = await pendingOf(watcher);
    // The request's 10 s, its grace of 10 s, and the stream's watchdog.
    expect(hand.pending().sort((a, b) => a - b)).toEqual([10_000, 20_000, 45_000]);
    expect(hand.fire(20_000)).toBe(1);
    const error = await validating;
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect(String(error)).toContain(pending.authorizationId);
    expect(hand.pending()).toEqual([]);
  });

  it('on abort, cancels the stream and leaves no timer behind', async () => {
    service = await startSpendService();
    const hand = handFiredTimers();
    let cancelled = false;
    const { fetch: watching } = recordingFetch(async (request, init) => {
      const response = await fetch(request, init);
      if (!request.url.endsWith('/validate-transaction') || !response.body) return response;
      const reader = response.body.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        cancel(reason) {
          cancelled = true;
          return reader.cancel(reason);
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    });
    const client = clientFor(service, { fetch: watching });
    const watcher = statusWatcher<ValidationStatus>();
    const controller = new AbortController();
    const validating = caught(
      client.spend.validateTransaction(
        { merchant: 'Example Audio', amount: '150.00', currency: 'USD' },
        { onStatus: watcher.on, signal: controller.signal, timers: hand.timers },
      ),
    );
    await pendingOf(watcher);
    controller.abort();
    expect(await validating).toMatchObject({ code: 'ABORTED' });
    expect(cancelled).toBe(true);
    expect(hand.pending()).toEqual([]);
  });
});
