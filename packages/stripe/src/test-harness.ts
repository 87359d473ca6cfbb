// What the package's tests share: a Stripe Issuing simulation behind msw, the official
// client pointed at it, the issuer and webhook under test, and the spend API on a real
// loopback server with the engine, a test clock and a memory audit trail.

import { spendApiRoutes, spendTools } from '@handshake/cards';
import { createHandshakeClient } from '@handshake/client';
import {
  type ApproverV1,
  createHandshake,
  createHandshakeHandler,
  memoryAuditSink,
  type SpendingLimits,
  staticKeyResolver,
  staticSessionVerifier,
  type TimerScheduler,
} from '@handshake/core';
import { type RunningServer, serve } from '@handshake/core/node';
import { ed25519PublicKey, generateSigningKey } from '@handshake/protocol';
import { type SetupServer, setupServer } from 'msw/node';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { stripeCardIssuer } from './issuer/stripe-card-issuer.js';
import {
  createStripeIssuingSimulator,
  SIMULATED_STRIPE_SECRET_KEY,
  SIMULATED_STRIPE_WEBHOOK_SECRET,
} from './testing/simulator.js';
import { stripeIssuingWebhook } from './webhook/issuing-webhook.js';

export const T0 = Date.parse('2026-11-21T12:00:00Z');
export const SESSION = 'session-alice-0123456789';
export const KEY_ID = 'alice-key';
export const FIVE_MINUTES = 5 * 60 * 1000;

/** Timers the test fires by hand. */
export function manualTimers() {
  let next = 1;
  const pending = new Map<number, { callback: () => void; ms: number }>();
  const timers: TimerScheduler & { fireAll(): number; delays(): number[] } = {
    setTimeout(callback, ms) {
      const id = next++;
      pending.set(id, { callback, ms });
      return id;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
    fireAll() {
      const all = [...pending];
      pending.clear();
      for (const [, timer] of all) timer.callback();
      return all.length;
    },
    delays: () => [...pending.values()].map((timer) => timer.ms),
  };
  return timers;
}

/** The official client, talking to the simulation (no retries of its own, so ours are seen). */
export const stripeClient = (key = SIMULATED_STRIPE_SECRET_KEY) =>
  new Stripe(key, { maxNetworkRetries: 0 });

/** Everything a test of the Stripe issuer needs, the spend API served on loopback. */
export async function stripeFlow(
  server: SetupServer,
  options: { limits?: SpendingLimits; approver?: ApproverV1 } = {},
) {
  let now = T0;
  const clock = {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
  const simulator = createStripeIssuingSimulator({ clock });
  server.use(...simulator.handlers);
  const stripe = stripeClient();
  const timers = manualTimers();
  const sleeps: number[] = [];
  const issuer = stripeCardIssuer({
    stripe,
    clock,
    timers,
    testCharges: true,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  const spend = spendTools({ issuer });
  const audit = memoryAuditSink();
  const { privateKey } = generateSigningKey();
  const engine = createHandshake({
    tools: [spend],
    sessions: staticSessionVerifier({ [SESSION]: 'alice' }),
    keys: staticKeyResolver([
      { userId: 'alice', keyId: KEY_ID, publicKey: ed25519PublicKey(privateKey) },
    ]),
    limits: options.limits ?? { currency: 'USD', daily: '200.00' },
    rateLimit: false,
    clock,
    audit,
    ...(options.approver ? { approver: options.approver } : {}),
  });
  const webhook = stripeIssuingWebhook({
    stripe,
    webhookSecret: SIMULATED_STRIPE_WEBHOOK_SECRET,
    issuer,
    engine,
    clock,
  });
  const running: RunningServer = await serve(
    createHandshakeHandler(engine, {
      routes: [webhook.route('/webhooks/stripe'), ...spendApiRoutes(engine, { tools: spend })],
    }),
    { port: 0 },
  );
  simulator.setEndpoint(`${running.url}/webhooks/stripe`);
  const client = createHandshakeClient({
    baseUrl: running.url,
    session: SESSION,
    signer: { keyId: KEY_ID, privateKey },
  });
  /** A validated purchase turned into a card, through the spend API. */
  const card = async (merchant = 'Example Books', amount = '30.00', currency = 'USD') => {
    const validation = await client.spend.validateTransaction({
      merchant: { name: merchant },
      amount,
      currency,
    });
    return client.spend.createVirtualCard(validation);
  };
  type Card = Awaited<ReturnType<typeof card>>;
  /** The mock checkout at a merchant, as an agent's browser would pay. */
  const checkout = async (
    paid: Card,
    overrides: { merchant?: string; category?: string; amount?: string; currency?: string } = {},
  ) => {
    const response = await fetch(`${running.url}/api/mcp/mock-checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        card_details: {
          card_number: paid.cardNumber,
          cvc: paid.cvc,
          exp_month: paid.expMonth,
          exp_year: paid.expYear,
        },
        customer_details: paid.customer,
        ...(overrides.merchant
          ? {
              merchant: {
                name: overrides.merchant,
                ...(overrides.category ? { category: overrides.category } : {}),
              },
            }
          : {}),
        ...(overrides.amount ? { amount: overrides.amount } : {}),
        ...(overrides.currency ? { currency: overrides.currency } : {}),
      }),
    });
    await simulator.idle();
    const body = (await response.json()) as {
      payment?: Record<string, unknown>;
      error?: { code: string; message: string };
    };
    return { status: response.status, body };
  };
  const used = async () => (await client.spend.limits()).daily?.used;
  const close = async () => {
    issuer.close();
    await running.close();
    await engine.close();
  };
  return {
    clock,
    simulator,
    stripe,
    timers,
    sleeps,
    issuer,
    engine,
    audit,
    webhook,
    client,
    card,
    checkout,
    used,
    close,
    url: running.url,
  };
}

/**
 * One msw server for a test file (loopback traffic passes through), and `start()`,
 * which makes a {@link stripeFlow} closed after each test.
 */
export function stripeTestServer() {
  const server = setupServer();
  const flows: Array<{ close(): Promise<void> }> = [];
  beforeAll(() => server.listen({ onUnhandledFrame: 'bypass' }));
  afterEach(async () => {
    await Promise.all(flows.splice(0).map((flow) => flow.close()));
    server.resetHandlers();
  });
  afterAll(() => server.close());
  return {
    server,
    async start(options: Parameters<typeof stripeFlow>[1] = {}) {
      const flow = await stripeFlow(server, options);
      flows.push(flow);
      return flow;
    },
  };
}
