import { setupServer } from 'msw/node';
import {
  createPayPalToolProvider,
  type PayPalToolProvider,
  type PayPalToolProviderOptions,
} from '../provider/provider.js';
import {
  createPayPalSimulator,
  type PayPalSimulator,
  type PayPalSimulatorOptions,
  SIMULATED_CLIENT_ID,
  SIMULATED_CLIENT_SECRET,
} from './simulator/simulator.js';

/**
 * A simulator intercepting this process's requests.
 *
 * @example
 * ```ts
 * import { type RunningPayPalSimulator, startPayPalSimulator } from '@handshake/paypal/testing';
 *
 * const paypal: RunningPayPalSimulator = startPayPalSimulator();
 * paypal.close();
 * ```
 */
export interface RunningPayPalSimulator extends PayPalSimulator {
  /** Stops intercepting; requests reach the network again. */
  close(): void;
}

/**
 * Starts a PayPal simulator for this Node process with msw's `setupServer`: requests to the
 * simulated PayPal origins are answered in memory, a request to any other PayPal host
 * fails (so simulated mode never reaches the real PayPal), and everything else — your own
 * loopback services included — passes through untouched.
 *
 * @example
 * ```ts
 * import { createPayPalToolProvider } from '@handshake/paypal';
 * import { SIMULATED_ACCESS_TOKEN, startPayPalSimulator } from '@handshake/paypal/testing';
 *
 * const paypal = startPayPalSimulator();
 * const provider = createPayPalToolProvider({
 *   accessToken: SIMULATED_ACCESS_TOKEN,
 *   environment: 'sandbox',
 * });
 * // … later
 * paypal.close();
 * ```
 */
export function startPayPalSimulator(options: PayPalSimulatorOptions = {}): RunningPayPalSimulator {
  const simulator = createPayPalSimulator(options);
  const server = setupServer(...simulator.handlers);
  server.listen({
    onUnhandledFrame({ frame }) {
      const data = frame.data as { request?: Request } | undefined;
      const request = data?.request;
      if (!request) return;
      const host = new URL(request.url).hostname;
      if (host === 'paypal.com' || host.endsWith('.paypal.com')) {
        throw new Error(
          `The PayPal simulator has no answer for ${request.method} ${host}${new URL(request.url).pathname}`,
        );
      }
    },
  });
  return {
    handlers: simulator.handlers,
    get state() {
      return simulator.state;
    },
    approveOrder: (orderId) => simulator.approveOrder(orderId),
    reset: () => simulator.reset(),
    close: () => server.close(),
  };
}

/**
 * A running simulator with a provider wired to it.
 *
 * @example
 * ```ts
 * import { createSimulatedPayPal, type SimulatedPayPal } from '@handshake/paypal/testing';
 *
 * const paypal: SimulatedPayPal = createSimulatedPayPal();
 * console.log(paypal.provider.listTools().length);
 * paypal.close();
 * ```
 */
export interface SimulatedPayPal extends RunningPayPalSimulator {
  /** The PayPal tool provider, on the toolkit's real code, talking to the simulator. */
  provider: PayPalToolProvider;
}

/**
 * Starts a PayPal simulator and creates the tool provider that talks to it (client
 * credentials, sandbox): what a service runs in simulated mode, in one call.
 *
 * @example
 * ```ts
 * import { createHandshake } from '@handshake/core';
 * import { createSimulatedPayPal } from '@handshake/paypal/testing';
 *
 * const paypal = createSimulatedPayPal();
 * const engine = createHandshake({ tools: paypal.provider });
 * // … on shutdown
 * paypal.close();
 * ```
 */
export function createSimulatedPayPal(
  options: PayPalSimulatorOptions &
    Pick<PayPalToolProviderOptions, 'actions' | 'clock' | 'traceContext'> = {},
): SimulatedPayPal {
  const { actions, traceContext, ...simulatorOptions } = options;
  const simulator = startPayPalSimulator(simulatorOptions);
  const credentials = options.credentials ?? {
    clientId: SIMULATED_CLIENT_ID,
    clientSecret: SIMULATED_CLIENT_SECRET,
  };
  const provider = createPayPalToolProvider({
    ...credentials,
    environment: 'sandbox',
    ...(actions ? { actions } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(traceContext ? { traceContext } : {}),
  });
  return Object.assign(simulator, { provider });
}
