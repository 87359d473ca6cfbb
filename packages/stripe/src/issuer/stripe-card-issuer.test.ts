import { UnsupportedSpecificationVersionError } from '@handshake/core';
import { HandshakeError } from '@handshake/protocol';
import { describe, expect, it } from 'vitest';
import { FIVE_MINUTES, stripeClient, stripeTestServer } from '../test-harness.js';
import type { CardholderDirectoryV1 } from './cardholders.js';
import { idempotencyKey, stripeCardIssuer } from './stripe-card-issuer.js';

const { start } = stripeTestServer();

const request = (transactionId: string, value = '30.00') => ({
  userId: 'alice',
  transactionId,
  merchantName: 'Example Books',
  spendingLimit: { value, currency: 'USD' },
  customer: {
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    billing_address: {
      line1: '1 Example Street',
      city: 'Springfield',
      postal_code: '62701',
      country: 'US',
    },
  },
});

describe('stripeCardIssuer', () => {
  it('creates a virtual card limited to the approved amount, for a cardholder made once', async () => {
    const { issuer, simulator } = await start();
    const card = await issuer.issueCard({
      ...request('tx_1', '30.00'),
      merchantCategories: ['book_stores'],
    });
    const second = await issuer.issueCard(request('tx_2', '12.50'));
    expect(second.spendingLimit).toEqual({ value: '12.50', currency: 'USD' });

    expect(card).toMatchObject({
      cardNumber: expect.stringMatching(/^\d{16}$/),
      cvc: expect.stringMatching(/^\d{3}$/),
      spendingLimit: { value: '30.00', currency: 'USD' },
      brand: 'visa',
    });
    expect(card.cardNumber.endsWith(card.last4)).toBe(true);
    const ops = simulator.exchanges.map((exchange) => exchange.operation);
    // One look-up and one creation of the cardholder, reused for the second card.
    expect(ops.filter((op) => op === 'PostIssuingCardholders')).toHaveLength(1);
    expect(simulator.cardholders.size).toBe(1);
    const creations = simulator.exchanges.filter(
      (exchange) => exchange.operation === 'PostIssuingCards',
    );
    expect(creations[0]?.params).toMatchObject({
      currency: 'usd',
      type: 'virtual',
      status: 'active',
      spending_controls: {
        spending_limits: [{ amount: '3000', interval: 'all_time' }],
        allowed_categories: ['book_stores'],
      },
      lifecycle_controls: { cancel_after: { payment_count: '1' } },
      metadata: {
        handshake_transaction: 'tx_1',
        handshake_merchant: 'Example Books',
        handshake_limit: '30.00',
      },
    });
    expect(creations[1]?.params).toMatchObject({
      spending_controls: { spending_limits: [{ amount: '1250' }] },
    });
    expect(
      (creations[1]?.params.spending_controls as Record<string, unknown> | undefined)
        ?.allowed_categories,
    ).toBeUndefined();
    // Every write carries an idempotency key derived from the transaction.
    const writes = simulator.exchanges.filter((exchange) => exchange.operation.startsWith('Post'));
    expect(writes.every((exchange) => exchange.idempotencyKey !== undefined)).toBe(true);
    expect(creations.map((exchange) => exchange.idempotencyKey)).toEqual([
      idempotencyKey('card', 'tx_1'),
      idempotencyKey('card', 'tx_2'),
    ]);
    // The number and CVC are fetched once per card.
    const reads = simulator.exchanges.filter(
      (exchange) => exchange.operation === 'GetIssuingCardsCard',
    );
    expect(reads.map((exchange) => exchange.params.expand)).toEqual([
      ['number', 'cvc'],
      ['number', 'cvc'],
    ]);
  });

  it('cancels a card when its five minutes end, once', async () => {
    const { issuer, simulator, timers } = await start();
    const card = await issuer.issueCard(request('tx_1'));
    expect(timers.delays()).toEqual([FIVE_MINUTES]);
    expect(simulator.cards.get(card.cardId)?.card.status).toBe('active');
    timers.fireAll();
    await expect.poll(() => simulator.cards.get(card.cardId)?.card.status).toBe('canceled');
    await issuer.cancelCard(card.cardId, 'tx_1');
    const cancels = simulator.exchanges.filter(
      (exchange) => exchange.operation === 'PostIssuingCardsCard',
    );
    expect(cancels).toHaveLength(1);
    expect(cancels[0]).toMatchObject({
      params: { status: 'canceled' },
      idempotencyKey: idempotencyKey('cancel', 'tx_1'),
    });
  });

  it('makes one card when a creation is retried for the same transaction', async () => {
    const { issuer, simulator } = await start();
    const first = await issuer.issueCard(request('tx_retry'));
    const again = await issuer.issueCard(request('tx_retry'));
    expect(again.cardId).toBe(first.cardId);
    expect(simulator.cards.size).toBe(1);
  });

  it('retries a rate-limited call with back-off, then gives up with a clear error', async () => {
    const { issuer, simulator, sleeps } = await start();
    const limited = {
      kind: 'error',
      status: 429,
      type: 'invalid_request_error',
      code: 'rate_limit',
    } as const;
    simulator.failNext('PostIssuingCards', limited, 2);
    await issuer.issueCard(request('tx_1'));
    expect(sleeps).toEqual([250, 500]);
    simulator.failNext('PostIssuingCards', limited, 4);
    const error = await issuer.issueCard(request('tx_2')).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'PROVIDER_ERROR',
      message: expect.stringContaining('rate_limit'),
    });
    expect(simulator.cards.size).toBe(1);
  });

  it("names Stripe's code when a creation is declined, and never Stripe's message", async () => {
    const { issuer, simulator } = await start();
    simulator.failNext('PostIssuingCards', {
      kind: 'error',
      status: 400,
      type: 'invalid_request_error',
      code: 'account_invalid',
      message: 'Secret detail sk_test_123 in a message',
    });
    const error = (await issuer
      .issueCard(request('tx_1'))
      .catch((e: unknown) => e)) as HandshakeError;
    expect(HandshakeError.isInstance(error)).toBe(true);
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toBe('Stripe declined the card creation (account_invalid)');
  });

  it('refuses a key Stripe does not accept at start-up, without printing it', async () => {
    const { simulator } = await start();
    const key = 'sk_test_not_an_account_key_42';
    const issuer = stripeCardIssuer({ stripe: stripeClient(key) });
    const error = (await issuer.verify().catch((e: unknown) => e)) as HandshakeError;
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message).toContain('STRIPE_SECRET_KEY');
    expect(error.message).not.toContain(key);
    expect(simulator.exchanges).toHaveLength(0);
    await expect(stripeCardIssuer({ stripe: stripeClient() }).verify()).resolves.toBeUndefined();
  });

  it('refuses a cardholder directory of a specification version it does not know', () => {
    const directory = {
      specificationVersion: 'v2',
      get: () => undefined,
      set: () => undefined,
    } as unknown as CardholderDirectoryV1;
    const error = (() => {
      try {
        stripeCardIssuer({ stripe: stripeClient(), cardholders: directory });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(UnsupportedSpecificationVersionError);
    expect((error as Error).message).toBe(
      'Unsupported specification version "v2" of the cardholder directory: this release of Handshake supports specification version "v1" only',
    );
  });
});

describe('the spend API with the Stripe issuer', () => {
  it('answers a clear error and leaks no reservation when Stripe is down', async () => {
    const { client, simulator, used } = await start();
    const validation = await client.spend.validateTransaction({
      merchant: { name: 'Example Books' },
      amount: '30.00',
      currency: 'USD',
    });
    expect(await used()).toBe('30.00');
    simulator.failNext('*', { kind: 'network' }, 10);
    const error = await client.spend.createVirtualCard(validation).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'PROVIDER_ERROR',
      message: expect.stringContaining('Stripe is unavailable'),
    });
    expect(await used()).toBe('0.00');
    expect(simulator.cards.size).toBe(0);
  });

  it('never puts the card number or CVC in the audit trail', async () => {
    const { card, engine, audit } = await start();
    const issued = await card();
    await engine.flushAudit();
    const trail = JSON.stringify(audit.events);
    expect(trail).toContain(issued.last4);
    expect(trail).not.toContain(issued.cardNumber);
    expect(trail).not.toMatch(new RegExp(`"cvc"|${issued.cardNumber.slice(0, 12)}`));
  });
});
