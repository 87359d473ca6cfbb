import {
  cachedExchangeRates,
  createHandshakeHandler,
  type ExchangeRateProviderV1,
  type HandshakeOptions,
  MemoryStore,
  type SpendingLimits,
  type StoreV1,
  simulatedExchangeRates,
  type TimerScheduler,
} from '@handshake/core';
import { type RunningServer, serve } from '@handshake/core/node';
import {
  type AuthorizationStatusResponse,
  type CardCreationResponse,
  type CheckoutResponse,
  CREATE_VIRTUAL_CARD,
  cardPurchaseParameters,
  type SpendApiInfo,
  type SpendLimitsResponse,
  type ValidationResponse,
} from '@handshake/protocol/cards';
import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIALS, T0, testClock, testEngine } from '../test/fixtures.js';
import { spendApiRoutes } from './spend-api.js';
import { spendTools } from './spend-tools.js';
import { simulatedCardIssuer } from './testing/simulated-card-issuer.js';

const FIVE_MINUTES = 5 * 60 * 1000;
const DAY = 24 * 60 * 60 * 1000;

/** Timers the test fires by hand: nothing in a validation stream waits for real time. */
function manualTimers() {
  let next = 1;
  const pending = new Map<number, { callback: () => void; ms: number }>();
  const timers: TimerScheduler & { fire(ms: number): number; delays(): number[] } = {
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
    delays: () => [...pending.values()].map((t) => t.ms),
  };
  return timers;
}

interface SseBlock {
  event?: string;
  id?: string;
  data?: unknown;
  comment?: string;
}

/** Reads Server-Sent Events from a fetch response, block by block. */
function sseReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let text = '';
  const parse = (block: string): SseBlock => {
    const out: SseBlock = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) out.comment = line.slice(1).trim();
      else if (line.startsWith('event: ')) out.event = line.slice(7);
      else if (line.startsWith('id: ')) out.id = line.slice(4);
      else if (line.startsWith('data: ')) out.data = JSON.parse(line.slice(6));
    }
    return out;
  };
  const next = async (): Promise<SseBlock | undefined> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        return parse(block);
      }
      const { done, value } = await reader.read();
      if (done) return undefined;
      buffer += value;
      text += value;
    }
  };
  return {
    next,
    /** The next event, skipping heartbeat comments. */
    async event(): Promise<SseBlock | undefined> {
      for (;;) {
        const block = await next();
        if (!block || block.event) return block;
      }
    },
    /** The data of the next event, which must come. */
    async data(): Promise<ValidationResponse> {
      for (;;) {
        const block = await next();
        if (!block) throw new Error('the stream ended');
        if (block.event) return block.data as ValidationResponse;
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
    text: () => text,
  };
}

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

async function start(
  options: {
    limits?: SpendingLimits;
    exchangeRates?: ExchangeRateProviderV1;
    engine?: Partial<HandshakeOptions>;
  } = {},
) {
  const timers = manualTimers();
  // One clock drives the engine and the issuer, so "5 minutes later" needs no sleep.
  const clock = testClock();
  const issuer = simulatedCardIssuer({ clock });
  const spend = spendTools({
    issuer,
    ...(options.exchangeRates ? { exchangeRates: options.exchangeRates } : {}),
  });
  const setup = testEngine({
    tools: spend,
    clock,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.exchangeRates ? { exchangeRates: options.exchangeRates } : {}),
    ...options.engine,
  });
  const { engine } = setup;
  const server = await serve(
    createHandshakeHandler(engine, {
      routes: spendApiRoutes(engine, { tools: spend, timers }),
    }),
  );
  running.push(server);
  const api = `${server.url}/api/mcp`;
  const headers = (credential?: string) => ({
    'content-type': 'application/json',
    ...(credential ? { authorization: `Bearer ${credential}` } : {}),
  });
  const errors: Array<{ code: string; message: string }> = [];
  const post = async (path: string, body: unknown, credential?: string) => {
    const response = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: headers(credential),
      body: JSON.stringify(body),
    });
    if (response.status >= 400) {
      const envelope = (await response.clone().json()) as {
        error: { code: string; message: string };
      };
      errors.push(envelope.error);
    }
    return response;
  };
  const get = (path: string, credential?: string) =>
    fetch(`${api}${path}`, { headers: headers(credential) });
  const validate = (body: Record<string, unknown>, credential: string = CREDENTIALS.alice) =>
    post('/validate-transaction', body, credential);
  /** The create-virtual-card body for a validation, signed with alice's key by default. */
  const cardBody = (
    validation: { validation_token?: string; transaction_id: string },
    purchase: { merchant: string; amount: string; currency: string },
    card: { amount?: number | string; currency?: string; exchange_rate?: number | string } = {},
    key?: { keyId: string; privateKey: string },
  ) => {
    const parameters = cardPurchaseParameters(
      purchase.merchant,
      purchase.amount,
      purchase.currency,
    );
    const signed = setup.sign(CREATE_VIRTUAL_CARD, parameters, validation.transaction_id, key);
    return {
      validation_token: validation.validation_token,
      merchant_name: purchase.merchant,
      transaction_amount: purchase.amount,
      transaction_currency: purchase.currency,
      card_amount: card.amount ?? purchase.amount,
      card_currency: card.currency ?? purchase.currency,
      ...(card.exchange_rate !== undefined ? { exchange_rate: card.exchange_rate } : {}),
      transaction_id: signed.transactionId,
      signature: signed.signature,
    };
  };
  const decide = (approvalId: string, decision: 'approve' | 'deny', reason?: string) =>
    fetch(`${server.url}/approvals/${approvalId}/decision`, {
      method: 'POST',
      headers: headers(CREDENTIALS.approver),
      body: JSON.stringify({ decision, ...(reason ? { reason } : {}) }),
    });
  const limits = async (credential: string = CREDENTIALS.alice) =>
    (await (await get('/limits', credential)).json()) as SpendLimitsResponse;
  return {
    ...setup,
    clock,
    issuer,
    timers,
    server,
    api,
    post,
    get,
    validate,
    cardBody,
    decide,
    limits,
    errors,
  };
}

/** A memory store that cannot notify: streams learn of decisions only by checking. */
function silentStore(): StoreV1 {
  const store = new MemoryStore();
  return new Proxy(store, {
    get(target, key) {
      if (key === 'subscribeApprovals') return undefined;
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const books = { merchant: 'Example Books', amount: '30.00', currency: 'USD' };
const limitsUsd: SpendingLimits = {
  currency: 'USD',
  daily: '1000.00',
  weekly: '5000.00',
  monthly: '20000.00',
  transaction: '500.00',
};

async function json<T>(response: Response, status = 200): Promise<T> {
  const body = await response.text();
  expect(response.status, body).toBe(status);
  return JSON.parse(body) as T;
}

async function failure(response: Response) {
  const body = (await response.json()) as {
    success: boolean;
    error: { code: string; message: string };
  };
  expect(body.success).toBe(false);
  return { status: response.status, ...body.error };
}

/** Everything a leaked card would show: the number and the CVC, as whole values. */
function expectNoCardSecrets(texts: readonly string[], card: CardCreationResponse) {
  for (const text of texts) {
    expect(text).not.toContain(card.cardNumber);
    expect(text).not.toContain(`"${card.cvc}"`);
    expect(text).not.toMatch(/"(cardNumber|card_number|cvc)"/);
  }
}

describe('the spend API over HTTP', () => {
  it('an outside client goes info → limits → validate → card → checkout', async () => {
    const t = await start({ limits: limitsUsd });
    const info = await json<SpendApiInfo>(await fetch(`${t.api}/info`));
    expect(info).toMatchObject({ basePath: '/api/mcp', name: expect.any(String) });
    expect(info.endpoints.map((e) => `${e.method} ${e.path}`)).toEqual([
      'GET /api/mcp/info',
      'GET /api/mcp/limits',
      'POST /api/mcp/validate-transaction',
      'GET /api/mcp/authorization-status',
      'POST /api/mcp/create-virtual-card',
      'POST /api/mcp/mock-checkout',
    ]);

    expect(await t.limits()).toEqual({
      currency: 'USD',
      time_zone: 'UTC',
      daily: {
        amount: '1000.00',
        remaining: '1000.00',
        used: '0.00',
        currency: 'USD',
        resets_at: '2026-11-22T00:00:00.000Z',
      },
      weekly: expect.objectContaining({ amount: '5000.00', remaining: '5000.00' }),
      monthly: expect.objectContaining({ amount: '20000.00', remaining: '20000.00' }),
      transaction: { amount: '500.00', currency: 'USD' },
      enabled: { daily: true, weekly: true, monthly: true, transaction: true },
    });

    const validation = await json<ValidationResponse>(
      await t.validate({
        merchant: { name: 'Example Books' },
        amount: 30,
        currency: 'USD',
        product: { name: 'A field guide to birds', sku: 'BK-1' },
        agent_name: 'shopper',
      }),
    );
    expect(validation).toMatchObject({
      status: 'auto_approved',
      validation_token: expect.stringMatching(/^hset_/),
      authorization_id: validation.transaction_id,
      transaction_id: expect.stringMatching(/^tx_/),
      expires_at: new Date(t.clock.now() + 30_000).toISOString(),
      amount: { value: '30.00', currency: 'USD' },
    });
    // Reserved at validation.
    expect((await t.limits()).daily?.remaining).toBe('970.00');

    const card = await json<CardCreationResponse>(
      await t.post('/create-virtual-card', t.cardBody(validation, books), CREDENTIALS.alice),
    );
    expect(card).toMatchObject({
      cardId: expect.stringMatching(/^card_/),
      cardNumber: expect.stringMatching(/^40000000\d{8}$/),
      cvc: expect.stringMatching(/^\d{3}$/),
      expMonth: 11,
      expYear: 2029,
      expiresAt: new Date(t.clock.now() + FIVE_MINUTES).toISOString(),
      spendingLimit: '30.00',
      currency: 'USD',
      merchantName: 'Example Books',
      transactionId: validation.transaction_id,
      customer: { name: 'Test Customer' },
    });
    expect(card.replayed).toBeUndefined();

    const order = await json<CheckoutResponse>(
      await t.post('/mock-checkout', {
        card_details: {
          card_number: card.cardNumber,
          cvc: card.cvc,
          exp_month: card.expMonth,
          exp_year: card.expYear,
        },
        customer_details: card.customer,
        product: { name: 'A field guide to birds' },
      }),
    );
    expect(order).toMatchObject({
      order_id: expect.stringMatching(/^ord_/),
      status: 'confirmed',
      product: { name: 'A field guide to birds', price: '30.00', currency: 'USD' },
      payment: { amount: '30.00', currency: 'USD', last4: card.last4, status: 'captured' },
      merchant: { name: 'Example Books' },
      shipping: { name: 'Test Customer', address: card.customer.shipping_address },
      receipt: { total: '30.00', currency: 'USD' },
    });
    expect(JSON.stringify(order)).not.toContain(card.cardNumber);
    // Committed at card creation.
    expect(await t.limits()).toMatchObject({ daily: { used: '30.00', remaining: '970.00' } });

    await t.engine.flushAudit();
    const execute = t.audit.events.find((e) => e.type === 'execute' && e.outcome !== 'started');
    expect(execute).toMatchObject({
      outcome: 'completed',
      tool: CREATE_VIRTUAL_CARD,
      attributes: { cardLast4: card.last4 },
      amount: { value: '30.00', currency: 'USD' },
    });
    expectNoCardSecrets(
      t.audit.events.map((e) => JSON.stringify(e)),
      card,
    );
  });

  it('40 concurrent validations of 30.00 with 970.00 left: 32 approved, 8 sent to the user', async () => {
    const t = await start({ limits: { currency: 'USD', daily: '1000.00' } });
    await json(
      await t.validate({ merchant: { name: 'Warmup' }, amount: '30.00', currency: 'USD' }),
    );
    expect((await t.limits()).daily?.remaining).toBe('970.00');

    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.validate({ merchant: { name: `Shop ${i}` }, amount: '30.00', currency: 'USD' }),
      ),
    );
    const approved: ValidationResponse[] = [];
    const pending: ValidationResponse[] = [];
    for (const response of responses) {
      expect(response.status).toBe(200);
      const type = response.headers.get('content-type') ?? '';
      if (type.startsWith('text/event-stream')) {
        const stream = sseReader(response);
        const first = await stream.event();
        expect(first).toMatchObject({ event: 'pending', id: '1' });
        pending.push(first?.data as ValidationResponse);
        await stream.cancel();
      } else {
        expect(type).toContain('application/json');
        approved.push((await response.json()) as ValidationResponse);
      }
    }
    expect(approved).toHaveLength(32);
    expect(approved.every((a) => a.status === 'auto_approved' && a.validation_token)).toBe(true);
    expect(pending).toHaveLength(8);
    for (const p of pending) {
      expect(p).toMatchObject({
        status: 'pending',
        authorization_id: expect.stringMatching(/^apr_/),
        reasons: ['daily'],
        message: expect.stringContaining('daily limit'),
      });
    }
    expect((await t.limits()).daily?.remaining).toBe('10.00');
    // The person sees exactly the eight.
    const list = await fetch(`${t.server.url}/approvals?status=pending`, {
      headers: { authorization: `Bearer ${CREDENTIALS.approver}` },
    });
    expect(((await list.json()) as { approvals: unknown[] }).approvals).toHaveLength(8);
  });

  it('a validation token makes one card, for its own user only', async () => {
    const t = await start({ limits: limitsUsd });
    const validation = await json<ValidationResponse>(
      await t.validate({ merchant: { name: books.merchant }, amount: '30.00', currency: 'USD' }),
    );
    // Another user, signing with their own registered key: the token is not theirs.
    const bobTry = await failure(
      await t.post(
        '/create-virtual-card',
        t.cardBody(validation, books, {}, { keyId: 'bob-key', privateKey: t.bobKey.privateKey }),
        CREDENTIALS.bob,
      ),
    );
    expect(bobTry).toMatchObject({ status: 401, code: 'TOKEN_INVALID' });

    const body = t.cardBody(validation, books);
    const card = await json<CardCreationResponse>(
      await t.post('/create-virtual-card', body, CREDENTIALS.alice),
    );
    // The same user on another session, or asking for a different card: spent.
    expect(
      await failure(await t.post('/create-virtual-card', body, CREDENTIALS.aliceOtherDevice)),
    ).toMatchObject({ status: 409, code: 'TOKEN_ALREADY_USED' });
    expect(
      await failure(
        await t.post(
          '/create-virtual-card',
          t.cardBody(validation, books, { amount: '20.00' }),
          CREDENTIALS.alice,
        ),
      ),
    ).toMatchObject({ status: 409, code: 'TOKEN_ALREADY_USED' });
    // The identical retry of a lost response gets the same card back, not a second one.
    const again = await json<CardCreationResponse>(
      await t.post('/create-virtual-card', body, CREDENTIALS.alice),
    );
    expect(again).toMatchObject({ cardId: card.cardId, replayed: true });
    expect(t.issuer.issuedCount).toBe(1);
    expect((await t.limits()).daily?.used).toBe('30.00');
    expectNoCardSecrets(
      t.errors.map((e) => e.message),
      card,
    );
  });

  it('two identical card requests at once make one card', async () => {
    const t = await start({ limits: limitsUsd });
    const validation = await json<ValidationResponse>(
      await t.validate({ merchant: { name: books.merchant }, amount: '30.00', currency: 'USD' }),
    );
    const body = t.cardBody(validation, books);
    const [a, b] = await Promise.all([
      t.post('/create-virtual-card', body, CREDENTIALS.alice),
      t.post('/create-virtual-card', body, CREDENTIALS.alice),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses[0]).toBe(200);
    expect([200, 409]).toContain(statuses[1]);
    expect(t.issuer.issuedCount).toBe(1);
  });

  it('refuses a card above the validated amount without consuming the token', async () => {
    const t = await start({ limits: limitsUsd });
    const validation = await json<ValidationResponse>(
      await t.validate({ merchant: { name: books.merchant }, amount: '30.00', currency: 'USD' }),
    );
    expect(
      await failure(
        await t.post(
          '/create-virtual-card',
          t.cardBody(validation, books, { amount: '30.01' }),
          CREDENTIALS.alice,
        ),
      ),
    ).toMatchObject({ status: 403, code: 'LIMIT_EXCEEDED' });
    // Claiming a larger validated amount does not help: the hash no longer matches.
    expect(
      await failure(
        await t.post(
          '/create-virtual-card',
          t.cardBody(validation, { ...books, amount: '300.00' }, { amount: '300.00' }),
          CREDENTIALS.alice,
        ),
      ),
    ).toMatchObject({ status: 403, code: 'TRANSACTION_MISMATCH' });
    // Nor does another merchant.
    expect(
      await failure(
        await t.post(
          '/create-virtual-card',
          t.cardBody(validation, { ...books, merchant: 'Other Shop' }),
          CREDENTIALS.alice,
        ),
      ),
    ).toMatchObject({ code: 'TRANSACTION_MISMATCH' });
    expect(t.issuer.issuedCount).toBe(0);
    // The token still works, for a card of at most what was validated.
    const card = await json<CardCreationResponse>(
      await t.post(
        '/create-virtual-card',
        t.cardBody(validation, books, { amount: 25 }),
        CREDENTIALS.alice,
      ),
    );
    expect(card.spendingLimit).toBe('25.00');
  });

  it('needs the execute signature of the CONFIDENTIAL tier', async () => {
    const t = await start({ limits: limitsUsd });
    const validation = await json<ValidationResponse>(
      await t.validate({ merchant: { name: books.merchant }, amount: '30.00', currency: 'USD' }),
    );
    const { signature: _none, ...unsigned } = t.cardBody(validation, books);
    expect(
      await failure(await t.post('/create-virtual-card', unsigned, CREDENTIALS.alice)),
    ).toMatchObject({ status: 403, code: 'SIGNATURE_INVALID' });
    expect(t.issuer.issuedCount).toBe(0);
  });

  it('converts amounts given as JSON numbers or strings exactly', async () => {
    const t = await start({ limits: limitsUsd });
    const tenCents = await json<ValidationResponse>(
      await t.validate({ merchant: { name: books.merchant }, amount: 0.1, currency: 'USD' }),
    );
    expect(tenCents.amount).toEqual({ value: '0.10', currency: 'USD' });
    expect((await t.limits()).daily?.used).toBe('0.10');
    // The card names the amount as a string; both hash to the same purchase.
    const card = await json<CardCreationResponse>(
      await t.post(
        '/create-virtual-card',
        t.cardBody(tenCents, { ...books, amount: '0.1' }, { amount: 0.1 }),
        CREDENTIALS.alice,
      ),
    );
    expect(card.spendingLimit).toBe('0.10');
    for (const amount of [1.005, '1.005', '1e2', 0, -5, '12.3.4', 0.1 + 0.2]) {
      const refused = await failure(
        await t.validate({ merchant: { name: books.merchant }, amount, currency: 'USD' }),
      );
      expect(refused, String(amount)).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
      expect(refused.message).toMatch(/amount/);
    }
    // A yen amount against dollar limits, with no exchange rates configured: refused.
    expect(
      await failure(
        await t.validate({ merchant: { name: 'Tokyo' }, amount: 500, currency: 'JPY' }),
      ),
    ).toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('JPY'),
    });
  });

  it('accepts a timeout from 10 to 300 seconds only', async () => {
    const t = await start({ limits: limitsUsd });
    const base = { merchant: { name: books.merchant }, amount: '1.00', currency: 'USD' };
    for (const timeout of [9, 301, 10.5]) {
      expect(await failure(await t.validate({ ...base, timeout }))).toMatchObject({
        status: 400,
        code: 'VALIDATION_ERROR',
        message: expect.stringContaining('timeout'),
      });
    }
    for (const timeout of [10, 300]) {
      expect((await json<ValidationResponse>(await t.validate({ ...base, timeout }))).status).toBe(
        'auto_approved',
      );
    }
  });

  it('refuses strangers, unknown fields and bad currencies with the envelope', async () => {
    const t = await start({ limits: limitsUsd });
    const body = { merchant: { name: books.merchant }, amount: '1.00', currency: 'USD' };
    expect(await failure(await t.get('/limits'))).toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
    });
    expect(await failure(await t.post('/validate-transaction', body))).toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
    });
    expect(await failure(await t.validate({ ...body, extra: true }))).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('extra'),
    });
    expect(await failure(await t.validate({ ...body, currency: 'XYZ' }))).toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    expect(
      await failure(await t.validate({ ...body, merchant: { name: ' padded ' } })),
    ).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await failure(await t.get('/authorization-status', CREDENTIALS.alice))).toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
    });
    expect(
      await failure(await t.get('/authorization-status?id=apr_nope', CREDENTIALS.alice)),
    ).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it("writes configured limits with the currency's decimals", async () => {
    const t = await start({ limits: { currency: 'USD', daily: '1000', transaction: '500' } });
    expect(await t.limits()).toMatchObject({
      daily: { amount: '1000.00', remaining: '1000.00' },
      transaction: { amount: '500.00', currency: 'USD' },
      enabled: { daily: true, weekly: false, monthly: false, transaction: true },
    });
    expect((await t.limits()).weekly).toBeUndefined();
  });

  it('reports no limit when none is configured, and validates everything automatically', async () => {
    const t = await start();
    expect(await t.limits()).toEqual({
      enabled: { daily: false, weekly: false, monthly: false, transaction: false },
    });
    expect(
      (
        await json<ValidationResponse>(
          await t.validate({ merchant: { name: 'Big' }, amount: '100000.00', currency: 'USD' }),
        )
      ).status,
    ).toBe('auto_approved');
  });
});

describe('validations that wait for the user (SSE)', () => {
  const over = { merchant: { name: 'Example Books' }, amount: '150.00', currency: 'USD' };
  const overBooks = { merchant: 'Example Books', amount: '150.00', currency: 'USD' };

  it('approved by a person: an `approved` event whose token makes a card', async () => {
    const t = await start({ limits: { currency: 'USD', daily: '100.00' } });
    const response = await t.validate(over);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = sseReader(response);
    const pending = await stream.event();
    expect(pending).toMatchObject({
      event: 'pending',
      id: '1',
      data: {
        status: 'pending',
        authorization_id: expect.stringMatching(/^apr_/),
        transaction_id: expect.stringMatching(/^tx_/),
        amount: { value: '150.00', currency: 'USD' },
        reasons: ['daily'],
      },
    });
    const { authorization_id, transaction_id } = (pending?.data ?? {}) as ValidationResponse;
    expect((await t.decide(authorization_id, 'approve')).status).toBe(200);
    const approved = await stream.event();
    expect(approved).toMatchObject({
      event: 'approved',
      id: '2',
      data: {
        status: 'approved',
        authorization_id,
        transaction_id,
        validation_token: expect.stringMatching(/^hset_/),
        expires_at: expect.any(String),
      },
    });
    expect(await stream.next()).toBeUndefined();
    // An over-limit purchase the person approved is counted.
    const card = await json<CardCreationResponse>(
      await t.post(
        '/create-virtual-card',
        t.cardBody(approved?.data as ValidationResponse, overBooks),
        CREDENTIALS.alice,
      ),
    );
    expect(card.spendingLimit).toBe('150.00');
    expect((await t.limits()).daily).toMatchObject({ used: '150.00', remaining: '0.00' });
  });

  it('denied by a person: a `denied` event, and nothing is counted', async () => {
    const t = await start({ limits: { currency: 'USD', daily: '100.00' } });
    const stream = sseReader(await t.validate(over));
    const { authorization_id } = await stream.data();
    await t.decide(authorization_id, 'deny', 'not this month');
    expect(await stream.event()).toMatchObject({
      event: 'denied',
      data: { status: 'denied', authorization_id, reason: 'not this month' },
    });
    expect(await stream.next()).toBeUndefined();
    const status = await json<AuthorizationStatusResponse>(
      await t.get(`/authorization-status?id=${authorization_id}`, CREDENTIALS.alice),
    );
    expect(status).toMatchObject({ status: 'denied', reason: 'not this month' });
    expect(status.validation_token).toBeUndefined();
    expect((await t.limits()).daily?.used).toBe('0.00');
  });

  it('timeout: a `timeout` event, heartbeats meanwhile, and the approval can still be polled', async () => {
    const t = await start({ limits: { currency: 'USD', daily: '100.00' } });
    const stream = sseReader(await t.validate({ ...over, timeout: 10 }));
    const { authorization_id, transaction_id } = await stream.data();
    // The stream's timers: heartbeat (15 s), poll (2 s) and the request's timeout (10 s).
    expect(t.timers.delays().sort((a, b) => a - b)).toEqual([2_000, 10_000, 15_000]);
    expect(t.timers.fire(15_000)).toBe(1);
    expect(await stream.next()).toEqual({ comment: 'heartbeat' });
    expect(t.timers.fire(10_000)).toBe(1);
    expect(await stream.event()).toMatchObject({
      event: 'timeout',
      id: '1',
      data: { status: 'timeout', authorization_id, transaction_id },
    });
    expect(await stream.next()).toBeUndefined();
    // Every timer of the closed stream is gone.
    expect(t.timers.delays()).toEqual([]);

    const poll = () =>
      t
        .get(`/authorization-status?id=${authorization_id}`, CREDENTIALS.alice)
        .then((r) => json<AuthorizationStatusResponse>(r));
    expect(await poll()).toMatchObject({ status: 'pending', authorization_id, transaction_id });
    // Another user cannot see it.
    expect(
      await failure(await t.get(`/authorization-status?id=${authorization_id}`, CREDENTIALS.bob)),
    ).toMatchObject({ status: 404 });
    await t.decide(authorization_id, 'approve');
    const approved = await poll();
    expect(approved).toMatchObject({
      status: 'approved',
      validation_token: expect.stringMatching(/^hset_/),
      expires_at: expect.any(String),
    });
    const card = await json<CardCreationResponse>(
      await t.post(
        '/create-virtual-card',
        t.cardBody(approved as Required<AuthorizationStatusResponse>, overBooks),
        CREDENTIALS.alice,
      ),
    );
    expect(card.spendingLimit).toBe('150.00');
    expect(await poll()).toMatchObject({
      status: 'approved',
      executed: true,
      message: expect.stringMatching(/already created/),
    });
  });

  it("without store notifications, the timeout's own check and the poll find a decision", async () => {
    const t = await start({
      limits: { currency: 'USD', daily: '100.00' },
      engine: { store: silentStore() },
    });
    const first = sseReader(await t.validate({ ...over, timeout: 10 }));
    const a = await first.data();
    await t.engine.decide(a.authorization_id, { decision: 'approve' }, CREDENTIALS.approver);
    // The decision landed just before the timeout: the timeout's check reports it.
    expect(t.timers.fire(10_000)).toBe(1);
    expect(await first.event()).toMatchObject({ event: 'approved' });
    expect(await first.next()).toBeUndefined();

    const second = sseReader(await t.validate({ ...over, timeout: 60 }));
    const b = await second.data();
    await t.engine.decide(b.authorization_id, { decision: 'deny' }, CREDENTIALS.approver);
    expect(t.timers.fire(2_000)).toBe(1);
    expect(await second.event()).toMatchObject({ event: 'denied' });
    expect(await second.next()).toBeUndefined();
  });

  it('ends with `timeout` when the approval itself expires before the request timeout', async () => {
    const t = await start({
      limits: { currency: 'USD', daily: '100.00' },
      engine: { approvalTtlMs: 60_000 },
    });
    const stream = sseReader(await t.validate({ ...over, timeout: 300 }));
    const { authorization_id } = await stream.data();
    expect(t.timers.delays()).toContain(60_005);
    t.clock.advance(60_000);
    t.timers.fire(60_005);
    expect(await stream.event()).toMatchObject({
      event: 'timeout',
      data: { status: 'timeout', message: expect.stringMatching(/expired/) },
    });
    expect(await stream.next()).toBeUndefined();
    expect(
      await json<AuthorizationStatusResponse>(
        await t.get(`/authorization-status?id=${authorization_id}`, CREDENTIALS.alice),
      ),
    ).toMatchObject({ status: 'expired' });
  });
});

describe('currency conversion', () => {
  it('answers 400 naming a currency without a rate, for a validation and for a card, never 5xx', async () => {
    const t = await start({
      limits: limitsUsd,
      exchangeRates: cachedExchangeRates(simulatedExchangeRates()),
    });
    // Kuwaiti dinars against dollar limits: a well-formed request, but no rate is known.
    const dinars = await t.validate({
      merchant: { name: 'Souq' },
      amount: '10.000',
      currency: 'KWD',
    });
    expect(await failure(dinars)).toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('KWD'),
    });
    expect((await t.limits()).daily?.used).toBe('0.00');
    // A dollar validation asking for a dinar card.
    const validation = await json<ValidationResponse>(
      await t.validate({ merchant: { name: books.merchant }, amount: 30, currency: 'USD' }),
    );
    const card = await t.post(
      '/create-virtual-card',
      t.cardBody(validation, books, { amount: '9.000', currency: 'KWD' }),
      CREDENTIALS.alice,
    );
    expect(await failure(card)).toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('KWD'),
    });
    // The validation's token was left usable: the same card in dollars is issued.
    expect(
      await json<CardCreationResponse>(
        await t.post('/create-virtual-card', t.cardBody(validation, books), CREDENTIALS.alice),
      ),
    ).toMatchObject({ spendingLimit: '30.00', currency: 'USD' });
  });

  it('counts a foreign amount at the cached simulated rate, refetched after 24 hours', async () => {
    const calls: string[] = [];
    const clock = { now: () => T0 };
    const base = simulatedExchangeRates(undefined, { clock: { now: () => clock.now() } });
    const counted: ExchangeRateProviderV1 = {
      specificationVersion: 'v1',
      getRate(from, to) {
        calls.push(`${from}/${to}`);
        return base.getRate(from, to);
      },
    };
    const rates = cachedExchangeRates(counted, { clock: { now: () => clock.now() } });
    const t = await start({ limits: limitsUsd, exchangeRates: rates });
    clock.now = () => t.clock.now();
    const euros = { merchant: 'Libreria', amount: '50.00', currency: 'EUR' };
    const validation = await json<ValidationResponse>(
      await t.validate({ merchant: { name: euros.merchant }, amount: 50, currency: 'EUR' }),
    );
    expect(validation.amount).toEqual({ value: '50.00', currency: 'EUR' });
    // 50.00 EUR × 1.0850 = 54.25 USD against the USD limits.
    expect((await t.limits()).daily?.used).toBe('54.25');
    expect(calls).toEqual(['EUR/USD']);

    // A USD card: at most 54.25; a stated rate must be the rate in force.
    expect(
      await failure(
        await t.post(
          '/create-virtual-card',
          t.cardBody(validation, euros, { amount: '54.26', currency: 'USD' }),
          CREDENTIALS.alice,
        ),
      ),
    ).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringContaining('54.25 USD') });
    expect(
      await failure(
        await t.post(
          '/create-virtual-card',
          t.cardBody(validation, euros, { amount: '54.25', currency: 'USD', exchange_rate: 1.1 }),
          CREDENTIALS.alice,
        ),
      ),
    ).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('exchange_rate'),
    });
    const card = await json<CardCreationResponse>(
      await t.post(
        '/create-virtual-card',
        t.cardBody(validation, euros, { amount: 54.25, currency: 'USD', exchange_rate: 1.085 }),
        CREDENTIALS.alice,
      ),
    );
    expect(card).toMatchObject({
      spendingLimit: '54.25',
      currency: 'USD',
      exchangeRate: '1.0850',
      transactionAmount: { value: '50.00', currency: 'EUR' },
    });
    expect(calls).toEqual(['EUR/USD']);

    t.clock.advance(DAY - 60_000);
    await json(
      await t.validate({ merchant: { name: 'Libreria' }, amount: '10.00', currency: 'EUR' }),
    );
    expect(calls).toEqual(['EUR/USD']);
    t.clock.advance(60_000);
    await json(
      await t.validate({ merchant: { name: 'Libreria' }, amount: '10.00', currency: 'EUR' }),
    );
    expect(calls).toEqual(['EUR/USD', 'EUR/USD']);
  });

  it('refuses a card in another currency when no rates are configured', async () => {
    const t = await start({ limits: limitsUsd });
    const validation = await json<ValidationResponse>(
      await t.validate({ merchant: { name: books.merchant }, amount: '30.00', currency: 'USD' }),
    );
    expect(
      await failure(
        await t.post(
          '/create-virtual-card',
          t.cardBody(validation, books, { amount: '20.00', currency: 'EUR' }),
          CREDENTIALS.alice,
        ),
      ),
    ).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('card_currency'),
    });
  });
});

describe('mock checkout', () => {
  async function cardFor(t: Awaited<ReturnType<typeof start>>, amount = '30.00') {
    const validation = await json<ValidationResponse>(
      await t.validate({ merchant: { name: books.merchant }, amount, currency: 'USD' }),
    );
    return json<CardCreationResponse>(
      await t.post(
        '/create-virtual-card',
        t.cardBody(validation, { ...books, amount }),
        CREDENTIALS.alice,
      ),
    );
  }
  const checkout = (
    t: Awaited<ReturnType<typeof start>>,
    card: CardCreationResponse,
    overrides: { cvc?: string; amount?: number | string } = {},
  ) =>
    t.post('/mock-checkout', {
      card_details: {
        card_number: card.cardNumber,
        cvc: overrides.cvc ?? card.cvc,
        exp_month: card.expMonth,
        exp_year: card.expYear,
      },
      customer_details: card.customer,
      ...(overrides.amount !== undefined ? { amount: overrides.amount } : {}),
    });

  it('refuses a wrong CVC, an amount over the limit, a second use and an expired card', async () => {
    const t = await start({ limits: limitsUsd });
    const card = await cardFor(t);
    const wrongCvc = card.cvc === '000' ? '001' : '000';
    expect(await failure(await checkout(t, card, { cvc: wrongCvc }))).toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
    });
    expect(await failure(await checkout(t, card, { amount: '30.01' }))).toMatchObject({
      status: 402,
      code: 'INSUFFICIENT_BALANCE',
    });
    const order = await json<CheckoutResponse>(await checkout(t, card, { amount: 12.5 }));
    expect(order.payment).toMatchObject({ amount: '12.50', currency: 'USD' });
    expect(await failure(await checkout(t, card))).toMatchObject({
      status: 409,
      code: 'TOKEN_ALREADY_USED',
    });

    const later = await cardFor(t, '20.00');
    t.clock.advance(FIVE_MINUTES);
    expect(await failure(await checkout(t, later))).toMatchObject({
      status: 401,
      code: 'TOKEN_EXPIRED',
    });
    expect(
      await failure(
        await t.post('/mock-checkout', {
          card_details: {
            card_number: '4242424242424242',
            cvc: '123',
            exp_month: 1,
            exp_year: 2030,
          },
          customer_details: { name: 'Nobody' },
        }),
      ),
    ).toMatchObject({ code: 'VALIDATION_ERROR' });

    // No card number or CVC in any error message or audit event.
    await t.engine.flushAudit();
    for (const c of [card, later]) {
      expectNoCardSecrets(
        t.errors.map((e) => e.message),
        c,
      );
      expectNoCardSecrets(
        t.audit.events.map((e) => JSON.stringify(e)),
        c,
      );
    }
    expect(t.errors.length).toBeGreaterThanOrEqual(5);
  });
});
