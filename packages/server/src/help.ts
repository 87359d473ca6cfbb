/** The environment variables the service reads, with their defaults, as `--help` lists them. */
export const VARIABLES: ReadonlyArray<{ name: string; fallback: string; meaning: string }> = [
  { name: 'PORT', fallback: '8787', meaning: 'port to listen on (all interfaces)' },
  {
    name: 'HANDSHAKE_STORE',
    fallback: 'memory',
    meaning:
      '"memory" (one instance only), a redis:// or rediss:// URL, or dynamodb://<table>, shared by every instance',
  },
  {
    name: 'HANDSHAKE_REDIS_TOKEN_FORM',
    fallback: 'compact',
    meaning:
      'verbose: write tokens as versions before the compact form did, while such instances share the Redis',
  },
  {
    name: 'HANDSHAKE_DYNAMODB_CREATE_TABLE',
    fallback: 'none',
    meaning: '1: create the DynamoDB table at start if it is missing (development)',
  },
  {
    name: 'HANDSHAKE_DYNAMODB_POLL_MS',
    fallback: '1000',
    meaning:
      "how often pending approvals are read again to hear other instances' decisions (DynamoDB)",
  },
  {
    name: 'HANDSHAKE_SESSIONS',
    fallback: 'none',
    meaning: 'development sessions, user:token,user:token',
  },
  {
    name: 'HANDSHAKE_JWT_SECRET',
    fallback: 'none',
    meaning: 'HS256 secret (32 characters or more) of JWT sessions',
  },
  {
    name: 'HANDSHAKE_JWT_MAX_LIFETIME_SECONDS',
    fallback: '86400',
    meaning: 'the longest a JWT session may live; every token needs exp',
  },
  {
    name: 'HANDSHAKE_KEYS',
    fallback: 'none',
    meaning: "agents' Ed25519 public keys, user:keyId:base64urlPublicKey,…",
  },
  {
    name: 'HANDSHAKE_APPROVER_TOKEN',
    fallback: 'none',
    meaning: "the approvers' bearer credential (16 characters or more)",
  },
  {
    name: 'HANDSHAKE_OUTCOME_KEYS',
    fallback: 'random per process',
    meaning: 'keys sealing stored outcomes that hold secrets, id:base64,id:base64, newest first',
  },
  {
    name: 'HANDSHAKE_CARD_ISSUER',
    fallback: 'simulated',
    meaning: "the spend API's card issuer: simulated, or stripe (Stripe Issuing)",
  },
  {
    name: 'STRIPE_SECRET_KEY',
    fallback: 'none',
    meaning: 'Stripe secret or restricted key, required with stripe',
  },
  {
    name: 'STRIPE_WEBHOOK_SECRET',
    fallback: 'none',
    meaning: "the webhook endpoint's signing secret, required with stripe",
  },
  {
    name: 'HANDSHAKE_STRIPE_ALLOW_LIVE',
    fallback: 'none',
    meaning: '1: accept a live Stripe key (real cards, real money)',
  },
  {
    name: 'STRIPE_API',
    fallback: 'stripe',
    meaning: "simulated: answer Stripe's API in the process (development; test-mode keys only)",
  },
  {
    name: 'HANDSHAKE_REPLAY_WINDOW_SECONDS',
    fallback: '600',
    meaning: "how long a lost execute's result can be replayed to the same session",
  },
  {
    name: 'HANDSHAKE_SWEEP_SECONDS',
    fallback: '60',
    meaning: 'how often calls a dead process left running are resolved (0: off)',
  },
  {
    name: 'HANDSHAKE_TOKEN_TTL_SECONDS',
    fallback: '30',
    meaning: 'ephemeral token lifetime, 1 to 3600',
  },
  {
    name: 'HANDSHAKE_TRUSTED_PROXIES',
    fallback: '0',
    meaning: 'reverse proxies in front of the service that append to X-Forwarded-For',
  },
  {
    name: 'HANDSHAKE_AUDIT_FILE',
    fallback: 'none',
    meaning: 'append the audit trail to this file as JSON lines',
  },
  {
    name: 'HANDSHAKE_METRICS_PORT',
    fallback: 'none',
    meaning: 'serve Prometheus metrics at /metrics on this port, apart from the public one',
  },
  {
    name: 'HANDSHAKE_METRICS_HOST',
    fallback: '127.0.0.1',
    meaning: 'address of the metrics listener',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    fallback: 'none',
    meaning: 'export traces over OTLP/HTTP to this collector',
  },
  {
    name: 'HANDSHAKE_LOG_LEVEL',
    fallback: 'info',
    meaning: 'level of the JSON-line logs: fatal, error, warn, info, debug, trace or silent',
  },
  {
    name: 'HANDSHAKE_LIMITS',
    fallback: 'no limits',
    meaning: 'spending limits as JSON, e.g. {"currency":"USD","daily":"1000.00"}',
  },
  {
    name: 'PAYPAL_MODE',
    fallback: 'simulated',
    meaning: 'simulated (PayPal simulated in the process), sandbox or live',
  },
  {
    name: 'PAYPAL_CLIENT_ID',
    fallback: 'none',
    meaning: 'PayPal REST credentials, required in sandbox and live',
  },
  { name: 'PAYPAL_CLIENT_SECRET', fallback: 'none', meaning: 'as above' },
];

/** The text `handshake-server --help` prints. */
export function helpText(): string {
  const width = Math.max(...VARIABLES.map((variable) => variable.name.length));
  return [
    'Usage: handshake-server [--help]',
    '',
    'The Handshake reference service: the protocol, the spend API and the approval console',
    "over HTTP, in front of the tools of PayPal's agent toolkit. Configured by environment",
    'variables; a bad value stops it at start with a message naming the variable.',
    '',
    'Environment variables (default in brackets):',
    ...VARIABLES.map(
      (variable) => `  ${variable.name.padEnd(width)}  ${variable.meaning} [${variable.fallback}]`,
    ),
    '',
    'Documentation: https://github.com/handshake-sdk/handshake/blob/main/docs/deployment.md',
    '',
  ].join('\n');
}
