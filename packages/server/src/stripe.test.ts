// The reference service with HANDSHAKE_CARD_ISSUER=stripe: configuration, and the spend
// API's whole flow with real Stripe Issuing code against Stripe's API simulated in
// process (STRIPE_API=simulated), PayPal's simulated API beside it.
import { createHandshakeClient } from '@handshake/client';
import { type RunningServer, serve } from '@handshake/core/node';
import { generateSigningKey } from '@handshake/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { createService, type Service } from './service.js';

const TEST_KEY = 'sk_test_51ExampleExampleExample0000';
const LIVE_KEY = 'sk_live_51ExampleExampleExample0000';
const WEBHOOK_SECRET = 'whsec_ExampleExampleExample0000';
const stripeEnv = {
  HANDSHAKE_CARD_ISSUER: 'stripe',
  STRIPE_SECRET_KEY: TEST_KEY,
  STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
};

const refusal = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
};

describe('card issuer configuration', () => {
  it('defaults to the simulated issuer', () => {
    expect(loadConfig({}).cardIssuer).toEqual({ kind: 'simulated' });
  });

  it('reads the Stripe settings', () => {
    expect(loadConfig({ ...stripeEnv, STRIPE_API: 'simulated' }).cardIssuer).toEqual({
      kind: 'stripe',
      secretKey: TEST_KEY,
      webhookSecret: WEBHOOK_SECRET,
      mode: 'test',
      api: 'simulated',
    });
  });

  it.each([
    [{ HANDSHAKE_CARD_ISSUER: 'acme' }, 'HANDSHAKE_CARD_ISSUER'],
    [{ HANDSHAKE_CARD_ISSUER: 'stripe' }, 'STRIPE_SECRET_KEY'],
    [{ ...stripeEnv, STRIPE_SECRET_KEY: 'pk_test_51Example0000' }, 'STRIPE_SECRET_KEY'],
    [{ ...stripeEnv, STRIPE_WEBHOOK_SECRET: '' }, 'STRIPE_WEBHOOK_SECRET'],
    [{ ...stripeEnv, STRIPE_WEBHOOK_SECRET: 'secret-0000000000' }, 'STRIPE_WEBHOOK_SECRET'],
    [{ ...stripeEnv, STRIPE_API: 'mock' }, 'STRIPE_API'],
  ])('refuses %j naming %s, printing no secret', (env, variable) => {
    const error = refusal(env);
    expect(error.variable).toBe(variable);
    for (const secret of [TEST_KEY, WEBHOOK_SECRET, 'pk_test_51Example0000', 'secret-0000000000']) {
      expect(error.message).not.toContain(secret);
    }
  });

  it('refuses a live key unless it is explicitly allowed', () => {
    const error = refusal({ ...stripeEnv, STRIPE_SECRET_KEY: LIVE_KEY });
    expect(error.variable).toBe('STRIPE_SECRET_KEY');
    expect(error.message).toContain('HANDSHAKE_STRIPE_ALLOW_LIVE=1');
    expect(error.message).not.toContain(LIVE_KEY);
    const allowed = loadConfig({
      ...stripeEnv,
      STRIPE_SECRET_KEY: LIVE_KEY,
      HANDSHAKE_STRIPE_ALLOW_LIVE: '1',
    });
    expect(allowed.cardIssuer).toMatchObject({ kind: 'stripe', mode: 'live', api: 'stripe' });
  });
});

describe('the spend flow with the Stripe issuer', () => {
  const agent = generateSigningKey();
  const session = 'stripe-test-session-0001';
  const approverToken = 'stripe-test-approver-0001';
  let service: Service;
  let running: RunningServer;
  beforeAll(async () => {
    service = await createService(
      loadConfig({
        ...stripeEnv,
        STRIPE_API: 'simulated',
        HANDSHAKE_SESSIONS: `alice:${session}`,
        HANDSHAKE_KEYS: `alice:agent:${agent.publicKey}`,
        HANDSHAKE_APPROVER_TOKEN: approverToken,
        HANDSHAKE_LIMITS: '{"currency":"USD","daily":"250.00","transaction":"100.00"}',
      }),
    );
    running = await serve(service.handler, { port: 0 });
  }, 60_000);
  afterAll(async () => {
    await running?.close();
    await service?.close();
  });

  it('mounts the webhook and says which issuer it runs, without a secret', async () => {
    expect(service.cards).toBe(
      'Stripe Issuing (test mode, API simulated in process), webhook POST /webhooks/stripe',
    );
    const unsigned = await fetch(`${running.url}/webhooks/stripe`, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(400);
  });

  it('runs limits, validation, card, a checkout at the approved merchant and a decline elsewhere', async () => {
    const client = createHandshakeClient({
      baseUrl: running.url,
      session,
      signer: { keyId: 'agent', privateKey: agent.privateKey },
    });
    expect((await client.spend.limits()).daily?.used).toBe('0.00');
    const validation = await client.spend.validateTransaction({
      merchant: { name: 'Example Books' },
      amount: '40.00',
      currency: 'USD',
    });
    expect(validation.status).toBe('auto_approved');
    const card = await client.spend.createVirtualCard(validation);
    expect(card).toMatchObject({ spendingLimit: '40.00', currency: 'USD', brand: 'visa' });
    expect(card.cardId).toMatch(/^ic_/);

    const elsewhere = await client.spend
      .mockCheckout({ card, merchant: 'Other Shop' })
      .catch((error: unknown) => error);
    expect(elsewhere).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('merchant_mismatch'),
    });
    const order = await client.spend.mockCheckout({ card, amount: '32.50' });
    expect(order.payment).toMatchObject({ amount: '32.50', last4: card.last4, status: 'captured' });
    // The capture reaches the service as Stripe's event: 32.50 stays counted, 7.50 is given back.
    await expect.poll(async () => (await client.spend.limits()).daily?.used).toBe('32.50');
    const again = await client.spend
      .mockCheckout({ card, amount: '1.00' })
      .catch((error: unknown) => error);
    expect(again).toMatchObject({
      code: expect.stringMatching(/VALIDATION_ERROR|TOKEN_ALREADY_USED/),
    });

    // Over the per-purchase limit, a person approves; the card is then issued at Stripe.
    const decide = (async () => {
      for (;;) {
        const pending = await fetch(`${running.url}/approvals?status=pending`, {
          headers: { authorization: `Bearer ${approverToken}` },
        }).then((r) => r.json() as Promise<{ approvals: Array<{ approvalId: string }> }>);
        const first = pending.approvals[0];
        if (first) {
          await fetch(`${running.url}/approvals/${first.approvalId}/decision`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${approverToken}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify({ decision: 'approve' }),
          });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const approved = await client.spend.validateTransaction({
      merchant: { name: 'Example Audio' },
      amount: '120.00',
      currency: 'USD',
    });
    await decide;
    expect(approved.status).toBe('approved');
    const audio = await client.spend.createVirtualCard(approved);
    expect((await client.spend.mockCheckout({ card: audio })).payment.amount).toBe('120.00');
    await expect.poll(async () => (await client.spend.limits()).daily?.used).toBe('152.50');
  });
});
