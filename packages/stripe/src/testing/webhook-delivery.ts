import type { Clock } from '@handshake/core';
import Stripe from 'stripe';

/**
 * Where a simulation delivers events: a URL, or a handler called in process.
 *
 * @example
 * ```ts
 * import type { StripeIssuingWebhook } from '@handshake/stripe';
 * import type { WebhookEndpoint } from '@handshake/stripe/testing';
 * declare const webhook: StripeIssuingWebhook;
 *
 * const inProcess: WebhookEndpoint = (request) => webhook.handle(request);
 * const overHttp: WebhookEndpoint = 'http://127.0.0.1:8787/webhooks/stripe';
 * ```
 */
export type WebhookEndpoint = string | ((request: Request) => Promise<Response> | Response);

/**
 * One delivery and the endpoint's answer (`0` when it never answered).
 *
 * @example
 * ```ts
 * import type { StripeIssuingSimulator, WebhookDeliveryRecord } from '@handshake/stripe/testing';
 * declare const simulator: StripeIssuingSimulator;
 *
 * const refused: WebhookDeliveryRecord[] = simulator.deliveries.filter((d) => d.status !== 200);
 * ```
 */
export interface WebhookDeliveryRecord {
  event: Stripe.Event;
  status: number;
}

/**
 * How a delivery is signed: by default now, with the simulation's secret.
 *
 * @example
 * ```ts
 * import type { SigningOverrides, StripeIssuingSimulator } from '@handshake/stripe/testing';
 * declare const simulator: StripeIssuingSimulator;
 * declare const event: Parameters<StripeIssuingSimulator['deliver']>[0];
 *
 * const stale: SigningOverrides = { timestamp: Math.floor(Date.now() / 1000) - 600 };
 * await simulator.deliver(event, stale); // a replay: the webhook answers 400
 * ```
 */
export interface SigningOverrides {
  /** Seconds since the epoch written in the signature. */
  timestamp?: number;
  secret?: string;
}

/**
 * Signs `payload` as Stripe does (`t=…,v1=…`), with the `stripe` package's own helper.
 *
 * @example
 * ```ts
 * import { SIMULATED_STRIPE_WEBHOOK_SECRET, signPayload } from '@handshake/stripe/testing';
 *
 * const header = signPayload('{"id":"evt_1"}', SIMULATED_STRIPE_WEBHOOK_SECRET, Math.floor(Date.now() / 1000));
 * ```
 */
export function signPayload(payload: string, secret: string, timestamp: number): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

/** Sends events to the endpoint, signed; asks it for real-time decisions. */
export function webhookDelivery(options: {
  clock: Clock;
  secret: string;
  endpoint?: WebhookEndpoint;
  timeoutMs: number;
}) {
  let endpoint = options.endpoint;
  let paused = false;
  const held: Stripe.Event[] = [];
  const log: WebhookDeliveryRecord[] = [];
  let chain: Promise<unknown> = Promise.resolve();

  const send = async (event: Stripe.Event, overrides: SigningOverrides = {}): Promise<Response> => {
    if (!endpoint) throw new Error('The Stripe simulation has no webhook endpoint');
    const payload = JSON.stringify(event, null, 2);
    const timestamp = overrides.timestamp ?? Math.floor(options.clock.now() / 1000);
    const request = new Request(
      typeof endpoint === 'string' ? endpoint : 'https://webhooks.invalid/stripe',
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          accept: 'application/json',
          'stripe-signature': signPayload(payload, overrides.secret ?? options.secret, timestamp),
        },
        body: payload,
      },
    );
    const target = endpoint;
    const record: WebhookDeliveryRecord = { event, status: 0 };
    log.push(record);
    const response = typeof target === 'string' ? await fetch(request) : await target(request);
    record.status = response.status;
    return response;
  };

  /** Stripe's real-time authorization: the endpoint's JSON answer within the timeout. */
  const ask = async (event: Stripe.Event) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
    });
    try {
      const response = await Promise.race([send(event), timeout]);
      if (response === 'timeout')
        return { approved: false, metadata: {}, reason: 'webhook_timeout' as const };
      // Stripe requires a 200 JSON answer carrying the Stripe-Version header.
      if (response.status !== 200 || !response.headers.get('stripe-version')) {
        return { approved: false, metadata: {}, reason: 'webhook_error' as const };
      }
      const body = (await response.json()) as {
        approved?: unknown;
        metadata?: Record<string, string>;
      };
      const approved = body.approved === true;
      return {
        approved,
        metadata: body.metadata ?? {},
        reason: approved ? ('webhook_approved' as const) : ('webhook_declined' as const),
      };
    } catch {
      return { approved: false, metadata: {}, reason: 'webhook_error' as const };
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    log,
    held,
    send,
    ask,
    queue(event: Stripe.Event) {
      if (paused) {
        held.push(event);
        return;
      }
      chain = chain.then(() => send(event)).catch(() => {});
    },
    pause(value = true) {
      paused = value;
    },
    setEndpoint(next: WebhookEndpoint) {
      endpoint = next;
    },
    idle: async () => {
      await chain;
    },
  };
}
