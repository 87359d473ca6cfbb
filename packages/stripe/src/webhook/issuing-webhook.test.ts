import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { FIVE_MINUTES, stripeTestServer } from '../test-harness.js';
import { authorizationObject } from '../testing/objects.js';
import { SIMULATED_STRIPE_WEBHOOK_SECRET } from '../testing/simulator.js';
import { signPayload } from '../testing/webhook-delivery.js';
import { stripeIssuingWebhook } from './issuing-webhook.js';

const server = stripeTestServer();

async function start() {
  const flow = await server.start();
  /** A real-time authorization request for the card, delivered to the webhook as Stripe would. */
  const ask = async (
    cardId: string,
    request: { amount?: number; currency?: string; merchantName?: string; category?: string } = {},
  ) => {
    const card = flow.simulator.cards.get(cardId)?.card as Stripe.Issuing.Card;
    const authorization = authorizationObject(
      `iauth_manual_${Math.random()}`,
      Math.floor(flow.clock.now() / 1000),
      card,
      {
        amount: request.amount ?? 3000,
        currency: request.currency ?? 'usd',
        merchantName: request.merchantName ?? 'EXAMPLE BOOKS',
        category: request.category ?? 'book_stores',
      },
    );
    const response = await flow.simulator.deliver(
      flow.simulator.event('issuing_authorization.request', authorization),
    );
    return {
      status: response.status,
      version: response.headers.get('stripe-version'),
      body: (await response.json()) as { approved: boolean; metadata: Record<string, string> },
    };
  };
  const decisions = async () => {
    await flow.engine.flushAudit();
    return flow.audit.events.filter((event) => event.type === 'card.authorization');
  };
  return { ...flow, ask, decisions };
}

describe('the authorization webhook', () => {
  it('approves the checkout at the approved merchant, then cancels the card and counts the capture', async () => {
    const t = await start();
    const card = await t.card('Example Books', '30.00');
    expect(await t.used()).toBe('30.00');
    const order = await t.checkout(card, { merchant: 'EXAMPLE BOOKS', amount: '24.99' });
    expect(order.status).toBe(200);
    expect(order.body.payment).toMatchObject({
      amount: '24.99',
      currency: 'USD',
      last4: card.last4,
    });
    // The capture was counted at 24.99: the rest of the 30.00 went back to the limits.
    expect(await t.used()).toBe('24.99');
    expect(t.simulator.cards.get(card.cardId)?.card.status).toBe('canceled');
    const [decision] = await t.decisions();
    expect(decision).toMatchObject({
      outcome: 'approved',
      merchant: 'EXAMPLE BOOKS / miscellaneous_general_merchandise',
      attributes: { cardLast4: card.last4 },
      transactionId: card.transactionId,
    });
    await t.engine.flushAudit();
    const captures = t.audit.events.filter((event) => event.type === 'card.capture');
    expect(captures).toMatchObject([
      { outcome: 'captured', amount: { value: '24.99', currency: 'USD' } },
    ]);
    expect(JSON.stringify(t.audit.events)).not.toContain(card.cardNumber);
  });

  it('declines another merchant, and the card stays usable at the approved one', async () => {
    const t = await start();
    const card = await t.card('Example Books', '30.00');
    const other = await t.checkout(card, { merchant: 'Other Shop' });
    expect(other).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_ERROR' } } });
    expect(other.body.error?.message).toContain('merchant_mismatch');
    expect((await t.decisions()).map((d) => [d.outcome, d.detail, d.merchant])).toEqual([
      ['declined', 'merchant_mismatch', 'Other Shop / miscellaneous_general_merchandise'],
    ]);
    expect((await t.checkout(card)).status).toBe(200);
  });

  it('declines a higher amount, another currency, another category, an expired card and a used card', async () => {
    const t = await start();
    const card = await t.card('Example Books', '30.00');
    const higher = await t.ask(card.cardId, { amount: 3001 });
    expect(higher).toMatchObject({
      status: 200,
      body: { approved: false, metadata: { handshake_decision: 'amount_exceeds_limit' } },
    });
    expect(higher.version).toBeTruthy();
    expect((await t.ask(card.cardId, { currency: 'eur' })).body.metadata.handshake_decision).toBe(
      'currency_mismatch',
    );
    expect((await t.ask(card.cardId, { merchantName: 'Example Books Outlet' })).body.approved).toBe(
      false,
    );
    // Through Stripe, a higher amount never reaches the webhook: the card's spending controls decline it.
    const over = await t.checkout(card, { amount: '30.01' });
    expect(over.status).toBe(400);
    expect(
      t.simulator.deliveries.filter((d) => d.event.type === 'issuing_authorization.request'),
    ).toHaveLength(3);

    // The matching request is approved once; the card is spent after it.
    expect((await t.ask(card.cardId, { amount: 2000 })).body.approved).toBe(true);
    expect((await t.ask(card.cardId, { amount: 1000 })).body.metadata.handshake_decision).toBe(
      'card_used',
    );

    const fresh = await t.card('Example Books', '10.00');
    t.clock.advance(FIVE_MINUTES);
    expect((await t.ask(fresh.cardId, { amount: 500 })).body.metadata.handshake_decision).toBe(
      'card_expired',
    );
    const expired = await t.checkout(fresh, { amount: '5.00' });
    expect(expired).toMatchObject({ status: 401, body: { error: { code: 'TOKEN_EXPIRED' } } });
  });

  it('decides from the event alone, and declines rather than approve past its deadline', async () => {
    const t = await start();
    const card = await t.card('Example Books', '30.00');
    const calls = t.simulator.exchanges.length;
    let ticks = 0;
    const slow = stripeIssuingWebhook({
      stripe: t.stripe,
      webhookSecret: SIMULATED_STRIPE_WEBHOOK_SECRET,
      issuer: t.issuer,
      engine: t.engine,
      // Each reading of this clock is a second later: the answer is 1 s after receipt.
      clock: { now: () => t.clock.now() + 1000 * ticks++ },
      deadlineMs: 500,
    });
    t.simulator.setEndpoint((request) => slow.handle(request));
    const late = await t.ask(card.cardId, { amount: 1000 });
    expect(late.body).toEqual({
      approved: false,
      metadata: { handshake_decision: 'deadline_exceeded' },
    });
    // No call to Stripe was made to decide.
    expect(t.simulator.exchanges.length).toBe(calls);
    // A declined request leaves the card usable: the prompt webhook approves it.
    t.simulator.setEndpoint(`${t.url}/webhooks/stripe`);
    expect((await t.ask(card.cardId, { amount: 1000 })).body.approved).toBe(true);
    expect(t.simulator.exchanges.length).toBe(calls);
  });

  it('restricts a card to the categories its approval names', async () => {
    const t = await start();
    const card = await t.issuer.issueCard({
      userId: 'alice',
      transactionId: 'tx_cat',
      merchantName: 'Example Books',
      spendingLimit: { value: '30.00', currency: 'USD' },
      merchantCategories: ['book_stores'],
      customer: {
        name: 'Ada',
        billing_address: { line1: '1 St', city: 'X', postal_code: '1', country: 'US' },
      },
    });
    expect(
      (await t.ask(card.cardId, { category: 'bakeries' })).body.metadata.handshake_decision,
    ).toBe('category_mismatch');
    expect((await t.ask(card.cardId, { category: 'book_stores' })).body.approved).toBe(true);
  });

  it('refuses a forged or replayed delivery and changes nothing', async () => {
    const t = await start();
    const card = await t.card('Example Books', '30.00');
    const simCard = t.simulator.cards.get(card.cardId)?.card as Stripe.Issuing.Card;
    const authorization = authorizationObject(
      'iauth_forged',
      Math.floor(t.clock.now() / 1000),
      simCard,
      {
        amount: 3000,
        currency: 'usd',
        merchantName: 'Example Books',
        category: 'book_stores',
      },
    );
    const forged = await t.simulator.deliver(
      t.simulator.event('issuing_authorization.request', authorization),
      {
        secret: 'whsec_someone_else',
      },
    );
    expect(forged.status).toBe(400);
    const event = t.simulator.event('issuing_authorization.request', authorization);
    const replayed = await t.simulator.deliver(event, {
      timestamp: Math.floor(t.clock.now() / 1000) - 301,
    });
    expect(replayed.status).toBe(400);
    // An altered body under a genuine signature.
    const payload = JSON.stringify(event);
    const header = signPayload(
      payload,
      SIMULATED_STRIPE_WEBHOOK_SECRET,
      Math.floor(t.clock.now() / 1000),
    );
    const altered = await fetch(`${t.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'stripe-signature': header, 'content-type': 'application/json' },
      body: payload.replace('"amount":3000', '"amount":1'),
    });
    expect(altered.status).toBe(400);
    expect(await t.decisions()).toEqual([]);
    // The card was never marked used: a genuine request is approved.
    expect((await t.ask(card.cardId)).body.approved).toBe(true);
  });

  it('changes nothing twice on duplicate and out-of-order deliveries', async () => {
    const t = await start();
    const card = await t.card('Example Books', '30.00');
    t.simulator.pauseDeliveries();
    const order = await t.checkout(card, { amount: '20.00' });
    expect(order.status).toBe(200);
    const request = t.simulator.deliveries.find(
      (d) => d.event.type === 'issuing_authorization.request',
    )?.event as Stripe.Event;
    const held = [...t.simulator.held];
    expect(held.map((event) => event.type)).toEqual([
      'issuing_authorization.created',
      'issuing_transaction.created',
    ]);
    // The capture first, then the authorization, then each again.
    for (const event of [held[1], held[0], held[1], held[0]] as Stripe.Event[]) {
      expect((await t.simulator.deliver(event)).status).toBe(200);
    }
    // A repeated real-time request gets the same answer, and no second audit entry.
    const again = await t.simulator.deliver(request);
    expect(await again.json()).toMatchObject({ approved: true });
    expect(await t.used()).toBe('20.00');
    expect((await t.decisions()).length).toBe(1);
    await t.engine.flushAudit();
    expect(t.audit.events.filter((event) => event.type === 'card.capture')).toHaveLength(1);
    const cancels = t.simulator.exchanges.filter(
      (exchange) => exchange.operation === 'PostIssuingCardsCard',
    );
    expect(cancels).toHaveLength(1);
  });
});
