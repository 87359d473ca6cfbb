// Merchant categories named in a spend API validation, end to end: the spend client,
// the spend API and the engine, the Stripe issuer against the simulated Stripe API,
// and the authorization webhook.
import type { ApprovalRequest } from '@handshake/core';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { SESSION, stripeTestServer } from './test-harness.js';

const { start } = stripeTestServer();

const purchase = {
  merchant: { name: 'Example Diner' },
  amount: '30.00',
  currency: 'USD',
  merchantCategories: ['eating_places_restaurants', 'caterers'],
};

describe('merchant categories through the spend API', () => {
  it('creates a card allowed at the validated categories only, at Stripe and at the webhook', async () => {
    const t = await start();
    const validation = await t.client.spend.validateTransaction(purchase);
    expect(validation.status).toBe('auto_approved');
    expect(validation.merchantCategories).toEqual(['eating_places_restaurants', 'caterers']);
    const card = await t.client.spend.createVirtualCard(validation);
    const simulated = t.simulator.cards.get(card.cardId)?.card as Stripe.Issuing.Card;
    expect(simulated.spending_controls.allowed_categories).toEqual([
      'caterers',
      'eating_places_restaurants',
    ]);

    // Stripe's spending controls decline another category.
    const bookshop = await t.checkout(card, { merchant: 'Example Diner', category: 'book_stores' });
    expect(bookshop.status).toBe(400);
    expect(bookshop.body.error?.message).toContain('spending_controls');
    // Were Stripe's controls lifted, the webhook still declines it from the card's terms.
    simulated.spending_controls.allowed_categories = null;
    const lifted = await t.checkout(card, { merchant: 'Example Diner', category: 'bakeries' });
    expect(lifted.status).toBe(400);
    expect(lifted.body.error?.message).toContain('category_mismatch');

    const diner = await t.checkout(card, {
      merchant: 'Example Diner',
      category: 'eating_places_restaurants',
      amount: '24.00',
    });
    expect(diner.status).toBe(200);
    expect(diner.body.payment).toMatchObject({ amount: '24.00', status: 'captured' });
  });

  it('shows the categories to the approver with the parameters', async () => {
    const seen: ApprovalRequest[] = [];
    const t = await start({
      limits: { currency: 'USD', daily: '200.00', transaction: '20.00' },
      approver: {
        specificationVersion: 'v1',
        name: 'test-rules',
        kind: 'rules',
        review(request) {
          seen.push(request);
          return { decision: 'escalate' };
        },
      },
    });
    // Over the per-purchase limit: the validation waits for a person; stop waiting once reviewed.
    const stop = new AbortController();
    const waiting = t.client.spend
      .validateTransaction(purchase, { signal: stop.signal })
      .catch((error: unknown) => error);
    await expect.poll(() => seen.length).toBe(1);
    stop.abort();
    await waiting;
    expect(seen[0]?.parameters).toEqual({
      merchant_name: 'Example Diner',
      amount: { value: '30.00', currency: 'USD' },
      merchant_categories: ['caterers', 'eating_places_restaurants'],
    });
    expect(t.simulator.cards.size).toBe(0);
  });

  it('refuses a card whose categories differ from the validation, leaving the token usable', async () => {
    const t = await start();
    const validation = await t.client.spend.validateTransaction(purchase);
    const changed = [
      { ...validation, merchantCategories: ['eating_places_restaurants'] },
      { ...validation, merchantCategories: ['eating_places_restaurants', 'caterers', 'bakeries'] },
      { ...validation, merchantCategories: undefined },
    ];
    for (const input of changed) {
      await expect(t.client.spend.createVirtualCard(input)).rejects.toMatchObject({
        code: 'TRANSACTION_MISMATCH',
      });
    }
    expect(t.simulator.cards.size).toBe(0);
    // The same categories in another order are the same parameters.
    const card = await t.client.spend.createVirtualCard({
      ...validation,
      merchantCategories: ['caterers', 'eating_places_restaurants'],
    });
    expect(t.simulator.cards.get(card.cardId)?.card.spending_controls.allowed_categories).toEqual([
      'caterers',
      'eating_places_restaurants',
    ]);
  });

  it('refuses badly shaped categories with a VALIDATION_ERROR naming the field', async () => {
    const t = await start();
    const bad: unknown[] = [
      [],
      'eating_places_restaurants',
      ['Eating Places'],
      ['book_stores', 'book_stores'],
      [42],
      ['x'.repeat(101)],
      Array.from({ length: 33 }, (_, i) => `category_${i}`),
    ];
    for (const categories of bad) {
      const response = await fetch(`${t.url}/api/mcp/validate-transaction`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${SESSION}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          merchant: { name: 'Example Diner' },
          amount: '30.00',
          currency: 'USD',
          merchant_categories: categories,
        }),
      });
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(response.status, JSON.stringify(categories)).toBe(400);
      expect(body.error).toMatchObject({
        code: 'VALIDATION_ERROR',
        message: expect.stringContaining('merchant_categories'),
      });
      await expect(
        t.client.spend.validateTransaction({
          ...purchase,
          merchantCategories: categories as string[],
        }),
      ).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        message: expect.stringContaining('merchantCategories'),
      });
    }
    expect(await t.used()).toBe('0.00');
  });
});
