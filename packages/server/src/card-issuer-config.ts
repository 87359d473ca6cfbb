import { ConfigError } from './config.js';

/** Which card issuer the spend API uses, read from the environment. */
export type CardIssuerConfig =
  | { kind: 'simulated' }
  | {
      kind: 'stripe';
      secretKey: string;
      webhookSecret: string;
      /** `test` for `sk_test_`/`rk_test_` keys: the mock checkout charges through Stripe's test helpers. */
      mode: 'test' | 'live';
      /** `simulated`: Stripe's API is answered in this process (development and the demo). */
      api: 'stripe' | 'simulated';
    };

const KEY = /^(sk|rk)_(test|live)_[A-Za-z0-9]{8,247}$/;
const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/=_-]{8,250}$/;

/**
 * `HANDSHAKE_CARD_ISSUER` (`simulated`, the default, or `stripe`), with `STRIPE_SECRET_KEY`,
 * `STRIPE_WEBHOOK_SECRET`, `HANDSHAKE_STRIPE_ALLOW_LIVE=1` to accept a live key, and
 * `STRIPE_API=simulated` to answer Stripe's API in process. Messages name the variable
 * and never echo a secret.
 */
export function loadCardIssuerConfig(env: NodeJS.ProcessEnv): CardIssuerConfig {
  const kind = env.HANDSHAKE_CARD_ISSUER ?? 'simulated';
  if (kind === 'simulated') return { kind };
  if (kind !== 'stripe') {
    throw new ConfigError('HANDSHAKE_CARD_ISSUER', 'must be simulated or stripe');
  }
  const secretKey = env.STRIPE_SECRET_KEY ?? '';
  const match = KEY.exec(secretKey);
  if (!match) {
    throw new ConfigError(
      'STRIPE_SECRET_KEY',
      secretKey === ''
        ? 'is required with HANDSHAKE_CARD_ISSUER=stripe (a test-mode key, sk_test_…)'
        : 'is not a Stripe secret or restricted key (sk_test_…, rk_test_…)',
    );
  }
  const mode = match[2] as 'test' | 'live';
  const allowLive = env.HANDSHAKE_STRIPE_ALLOW_LIVE ?? '';
  if (!['', '0', '1'].includes(allowLive)) {
    throw new ConfigError('HANDSHAKE_STRIPE_ALLOW_LIVE', 'must be 1 (accept a live key) or 0');
  }
  if (mode === 'live' && allowLive !== '1') {
    throw new ConfigError(
      'STRIPE_SECRET_KEY',
      'is a live key: real cards would be issued. Use a test-mode key, or set HANDSHAKE_STRIPE_ALLOW_LIVE=1 to mean it',
    );
  }
  const webhookSecret = env.STRIPE_WEBHOOK_SECRET ?? '';
  if (!WEBHOOK_SECRET.test(webhookSecret)) {
    throw new ConfigError(
      'STRIPE_WEBHOOK_SECRET',
      webhookSecret === ''
        ? "is required with HANDSHAKE_CARD_ISSUER=stripe (the webhook endpoint's signing secret, whsec_…)"
        : 'is not a webhook signing secret (whsec_…)',
    );
  }
  const api = env.STRIPE_API ?? 'stripe';
  if (api !== 'stripe' && api !== 'simulated') {
    throw new ConfigError('STRIPE_API', 'must be stripe or simulated');
  }
  if (api === 'simulated' && mode === 'live') {
    throw new ConfigError('STRIPE_API', 'simulated takes a test-mode key');
  }
  return { kind, secretKey, webhookSecret, mode, api };
}
