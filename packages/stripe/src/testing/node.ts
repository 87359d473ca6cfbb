import { setupServer } from 'msw/node';
import {
  createStripeIssuingSimulator,
  type StripeIssuingSimulator,
  type StripeIssuingSimulatorOptions,
} from './simulator.js';

/**
 * A simulation intercepting this process's requests.
 *
 * @example
 * ```ts
 * import { type RunningStripeIssuingSimulator, startStripeIssuingSimulator } from '@handshake/stripe/testing';
 *
 * const stripe: RunningStripeIssuingSimulator = startStripeIssuingSimulator();
 * stripe.close();
 * ```
 */
export interface RunningStripeIssuingSimulator extends StripeIssuingSimulator {
  /** Stops intercepting. */
  close(): void;
}

/**
 * Starts a Stripe Issuing simulation for this Node process with msw's `setupServer`:
 * requests to `api.stripe.com` are answered in memory (one it has no answer for fails,
 * so the simulation never reaches the real Stripe), everything else passes through.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe';
 * import { SIMULATED_STRIPE_SECRET_KEY, startStripeIssuingSimulator } from '@handshake/stripe/testing';
 *
 * const simulation = startStripeIssuingSimulator({ endpoint: 'http://127.0.0.1:8787/webhooks/stripe' });
 * const stripe = new Stripe(SIMULATED_STRIPE_SECRET_KEY); // its calls are answered by the simulation
 * simulation.close();
 * ```
 */
export function startStripeIssuingSimulator(
  options: StripeIssuingSimulatorOptions = {},
): RunningStripeIssuingSimulator {
  const simulator = createStripeIssuingSimulator(options);
  const server = setupServer(...simulator.handlers);
  server.listen({
    onUnhandledFrame({ frame }) {
      const request = (frame.data as { request?: Request } | undefined)?.request;
      if (request && new URL(request.url).hostname.endsWith('stripe.com')) {
        throw new Error(
          `The Stripe simulation has no answer for ${request.method} ${new URL(request.url).pathname}`,
        );
      }
    },
  });
  return Object.assign(simulator, { close: () => server.close() });
}
