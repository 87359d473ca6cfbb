import { type Clock, systemClock } from '@handshake/core';
import { HandshakeError } from '@handshake/protocol';
import { type PayPalAPI, PayPalMCPToolkit } from '@paypal/agent-toolkit/mcp';
import { z } from 'zod';
import type { PayPalActions } from '../tools/tool-names.js';
import type { PayPalEnvironment } from './catalog.js';
import { withHeaders } from './request-id.js';

/**
 * PayPal's documented REST hosts. The toolkit itself calls `api.sandbox.paypal.com` and
 * `api.paypal.com`, which serve the same API.
 *
 * @example
 * ```ts
 * import { PAYPAL_API_BASE } from '@handshake/paypal';
 *
 * const tokenUrl = `${PAYPAL_API_BASE.sandbox}/v1/oauth2/token`;
 * ```
 */
export const PAYPAL_API_BASE: Readonly<Record<PayPalEnvironment, string>> = Object.freeze({
  sandbox: 'https://api-m.sandbox.paypal.com',
  live: 'https://api-m.paypal.com',
});

/**
 * The parts of the toolkit's `context` a provider passes on. `request_id` is left out on
 * purpose: the toolkit would send that one id as `PayPal-Request-Id` on every request,
 * and PayPal answers a repeated id with the first request's stored response. The
 * provider sends its own id per transaction instead, where PayPal takes one.
 *
 * @example
 * ```ts
 * import type { PayPalToolkitContext } from '@handshake/paypal';
 *
 * const context: PayPalToolkitContext = { merchant_id: 'C7CYMKZDG8D6E' };
 * ```
 */
export interface PayPalToolkitContext {
  merchant_id?: string;
  tenant_context?: unknown;
  debug?: boolean;
}

/**
 * How a provider reaches PayPal: exactly one of a toolkit, a token or client credentials.
 *
 * @example
 * ```ts
 * import type { PayPalConnectionOptions } from '@handshake/paypal';
 *
 * const options: PayPalConnectionOptions = {
 *   clientId: 'your-client-id',
 *   clientSecret: 'your-client-secret',
 *   environment: 'sandbox',
 *   actions: { orders: { get: true, capture: true } },
 * };
 * ```
 */
export interface PayPalConnectionOptions {
  /** A toolkit you built. Its environment must match `environment`. */
  toolkit?: PayPalMCPToolkit;
  /** An OAuth access token; you refresh it (build a new provider) before it expires. */
  accessToken?: string;
  /** REST app credentials; the provider fetches and renews the access token itself. */
  clientId?: string;
  clientSecret?: string;
  /** Default `sandbox`. `live` must be asked for explicitly. */
  environment?: PayPalEnvironment;
  /** Which toolkit actions are enabled (default: all). */
  actions?: PayPalActions;
  context?: PayPalToolkitContext;
  /** Injected for token expiry. */
  clock?: Clock;
  /** Used for the OAuth token request (default: global `fetch`). */
  fetch?: typeof fetch;
  /**
   * Carries the caller's trace to PayPal: called at each request to PayPal with an empty
   * object to write W3C trace context headers into; `traceparent` and `tracestate` are
   * sent, anything else is ignored. With OpenTelemetry:
   * `(headers) => propagation.inject(context.active(), headers)`.
   */
  traceContext?: (headers: Record<string, string>) => void;
}

const TokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
});

// Renew this long before PayPal's expiry, so a call never starts with a dying token.
const RENEW_MARGIN_MS = 5 * 60_000;

/** Resolves the environment and the toolkit instances of a provider. */
export class PayPalConnection {
  readonly environment: PayPalEnvironment;
  readonly #options: PayPalConnectionOptions;
  readonly #configuration: { actions: PayPalActions; context: Record<string, unknown> };
  readonly #clock: Clock;
  /** The toolkit in use and when to renew its token. */
  #current: { toolkit: PayPalMCPToolkit; renewAt: number } | undefined;
  #pending: Promise<PayPalMCPToolkit> | undefined;

  constructor(options: PayPalConnectionOptions, defaultActions: PayPalActions) {
    const modes = [
      options.toolkit !== undefined,
      options.accessToken !== undefined,
      options.clientId !== undefined || options.clientSecret !== undefined,
    ].filter(Boolean).length;
    if (modes !== 1) {
      throw new TypeError(
        'Pass exactly one of toolkit, accessToken, or clientId with clientSecret to reach PayPal',
      );
    }
    if (options.environment !== undefined && !['sandbox', 'live'].includes(options.environment)) {
      throw new TypeError("environment must be 'sandbox' or 'live'");
    }
    if ((options.clientId === undefined) !== (options.clientSecret === undefined)) {
      throw new TypeError('clientId and clientSecret go together');
    }
    if (options.accessToken === '' || options.clientId === '' || options.clientSecret === '') {
      throw new TypeError('PayPal credentials must not be empty');
    }
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    if (options.toolkit) {
      // The toolkit defaults to live when its context says nothing: refuse that unless the
      // caller asked for live, so a forgotten `sandbox: true` cannot move real money.
      const service = options.toolkit.getPaypalAPIService();
      const toolkitEnvironment: PayPalEnvironment =
        service.context.sandbox === true ? 'sandbox' : 'live';
      const wanted = options.environment ?? 'sandbox';
      if (toolkitEnvironment !== wanted) {
        throw new TypeError(
          toolkitEnvironment === 'live'
            ? "The toolkit talks to PayPal live (its context.sandbox is not true, and live is the toolkit's default); build it with context: { sandbox: true }, or pass environment: 'live' to confirm"
            : "The toolkit talks to the PayPal sandbox but environment is 'live'",
        );
      }
      this.environment = toolkitEnvironment;
      this.#current = { toolkit: options.toolkit, renewAt: Number.POSITIVE_INFINITY };
    } else {
      this.environment = options.environment ?? 'sandbox';
    }
    this.#configuration = {
      actions: options.actions ?? defaultActions,
      context: { ...options.context, sandbox: this.environment === 'sandbox' },
    };
    if (options.accessToken !== undefined) {
      this.#current = {
        toolkit: this.#build(options.accessToken),
        renewAt: Number.POSITIVE_INFINITY,
      };
    }
  }

  /** A toolkit whose tools can be listed; no network. */
  catalogToolkit(): PayPalMCPToolkit {
    // With client credentials no token exists yet; listing tools needs none.
    return this.#current?.toolkit ?? this.#build('');
  }

  /** The toolkit's API service with a valid access token. */
  async api(): Promise<PayPalAPI> {
    const api = (await this.#toolkit()).getPaypalAPIService();
    const { traceContext } = this.#options;
    return traceContext ? withHeaders(api, () => traceHeaders(traceContext)) : api;
  }

  #build(accessToken: string): PayPalMCPToolkit {
    return new PayPalMCPToolkit({ accessToken, configuration: this.#configuration });
  }

  async #toolkit(): Promise<PayPalMCPToolkit> {
    const current = this.#current;
    if (current && this.#clock.now() < current.renewAt) return current.toolkit;
    this.#pending ??= this.#renew().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #renew(): Promise<PayPalMCPToolkit> {
    const { clientId, clientSecret } = this.#options;
    if (clientId === undefined || clientSecret === undefined) {
      throw new HandshakeError('PROVIDER_ERROR', 'No PayPal credentials to renew the token with');
    }
    const doFetch = this.#options.fetch ?? fetch;
    const url = `${PAYPAL_API_BASE[this.environment]}/v1/oauth2/token`;
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: {
          ...traceHeaders(this.#options.traceContext),
          authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: 'grant_type=client_credentials',
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new HandshakeError('PROVIDER_ERROR', `PayPal could not be reached: POST ${url}`, {
        cause: error,
      });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new HandshakeError(
        'PROVIDER_ERROR',
        `PayPal refused the client credentials with HTTP ${response.status}: POST ${url}`,
      );
    }
    const body = TokenResponseSchema.safeParse(await response.json().catch(() => undefined));
    if (!body.success) {
      throw new HandshakeError(
        'PROVIDER_ERROR',
        `PayPal answered the token request with an unexpected body: POST ${url}`,
      );
    }
    const lifetimeMs = body.data.expires_in * 1000;
    const toolkit = this.#build(body.data.access_token);
    this.#current = {
      toolkit,
      renewAt: this.#clock.now() + lifetimeMs - Math.min(RENEW_MARGIN_MS, lifetimeMs / 2),
    };
    return toolkit;
  }
}

/**
 * The W3C trace context headers `traceContext` writes; none when it is not given or
 * throws (tracing never fails a call to PayPal).
 */
function traceHeaders(
  traceContext: PayPalConnectionOptions['traceContext'],
): Record<string, string> {
  const written: Record<string, string> = {};
  if (!traceContext) return written;
  try {
    traceContext(written);
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate']) {
    const value = written[name];
    if (typeof value === 'string' && value !== '') out[name] = value;
  }
  return out;
}
