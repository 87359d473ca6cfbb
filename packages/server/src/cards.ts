import type { CardIssuerV1 } from '@handshake/cards';
import { simulatedCardIssuer } from '@handshake/cards/testing';
import type { Clock, HandshakeEngine, HandshakeRoute } from '@handshake/core';
import { HandshakeError } from '@handshake/protocol';
import type { StripeIssuingSimulator } from '@handshake/stripe/testing';
import type { CardIssuerConfig } from './card-issuer-config.js';
import { ConfigError } from './config.js';
import { tracedFetch } from './trace-context.js';

/** Where Stripe delivers its Issuing events. */
export const STRIPE_WEBHOOK_PATH = '/webhooks/stripe';

/** The spend API's card issuer, and what the service mounts and stops for it. */
export interface CardIssuing {
  issuer: CardIssuerV1;
  /** A line for the start-up banner (no secret in it). */
  description: string;
  /** The webhook route, once the engine exists. */
  routes(engine: HandshakeEngine): HandshakeRoute[];
  /** Waits until an in-process simulation has delivered the events it queued. */
  idle(): Promise<void>;
  /** Hands the assembled handler to an in-process simulation that delivers events to it. */
  attach(handler: (request: Request) => Promise<Response>): void;
  /** The in-process Stripe simulation (`STRIPE_API=simulated`). */
  simulator?: StripeIssuingSimulator;
  close(): void;
}

/**
 * Opens the configured card issuer: the built-in simulated one, or Stripe Issuing with
 * its authorization webhook (its API simulated in process with `STRIPE_API=simulated`).
 * A key Stripe refuses stops start-up with a {@link ConfigError}.
 */
export async function openCardIssuing(
  config: CardIssuerConfig,
  clock: { clock?: Clock },
  traceContext?: (headers: Record<string, string>) => void,
): Promise<CardIssuing> {
  if (config.kind === 'simulated') {
    return {
      issuer: simulatedCardIssuer(clock),
      description: 'simulated',
      routes: () => [],
      idle: async () => {},
      attach: () => {},
      close: () => {},
    };
  }
  const [{ default: Stripe }, stripeCards] = await Promise.all([
    import('stripe'),
    import('@handshake/stripe'),
  ]);
  // STRIPE_API=simulated: the client's requests are answered by the simulation in
  // process (no interception of this process's network), and its events are delivered
  // to this service's own handler.
  const simulation =
    config.api === 'simulated'
      ? (await import('@handshake/stripe/testing')).createStripeIssuingSimulator({
          secretKey: config.secretKey,
          webhookSecret: config.webhookSecret,
          ...clock,
        })
      : undefined;
  // With tracing on, the client's requests go through fetch and carry the trace context.
  const baseFetch = simulation?.fetch ?? (traceContext ? globalThis.fetch : undefined);
  const stripeFetch = baseFetch && traceContext ? tracedFetch(baseFetch, traceContext) : baseFetch;
  const stripe = new Stripe(config.secretKey, {
    ...(stripeFetch ? { httpClient: Stripe.createFetchHttpClient(stripeFetch) } : {}),
  });
  const issuer = stripeCards.stripeCardIssuer({
    stripe,
    testCharges: config.mode === 'test',
    ...clock,
  });
  try {
    await issuer.verify();
  } catch (error) {
    issuer.close();
    if (HandshakeError.isInstance(error) && error.code === 'VALIDATION_ERROR') {
      throw new ConfigError(
        'STRIPE_SECRET_KEY',
        'was refused by Stripe: set a valid key with Issuing access',
      );
    }
    throw error;
  }
  return {
    issuer,
    ...(simulation ? { simulator: simulation } : {}),
    description: `Stripe Issuing (${config.mode} mode${simulation ? ', API simulated in process' : ''}), webhook POST ${STRIPE_WEBHOOK_PATH}`,
    routes: (engine) => [
      stripeCards
        .stripeIssuingWebhook({
          stripe,
          webhookSecret: config.webhookSecret,
          issuer,
          engine,
          ...clock,
          onError: (error) => console.error(`stripe webhook: ${(error as Error).message}`),
        })
        .route(STRIPE_WEBHOOK_PATH),
    ],
    idle: async () => {
      await simulation?.idle();
    },
    attach: (handler) =>
      simulation?.setEndpoint((request) =>
        handler(new Request(`http://127.0.0.1${STRIPE_WEBHOOK_PATH}`, request)),
      ),
    close: () => {
      issuer.close();
    },
  };
}
