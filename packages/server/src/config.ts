import {
  type LimitWindow,
  type OutcomeKey,
  parseKeyList,
  parseSessionList,
  type RegisteredKey,
  type SpendingLimits,
} from '@handshake/core';
import { type HandshakeError, isCurrency, LIMIT_WINDOWS, parseMoney } from '@handshake/protocol';
import type { LevelWithSilent } from 'pino';
import { type CardIssuerConfig, loadCardIssuerConfig } from './card-issuer-config.js';
import type { TelemetryConfig } from './telemetry.js';
import { loadLogLevel, loadTelemetryConfig } from './telemetry-config.js';

/**
 * The service's configuration, read from the environment.
 *
 * @example
 * ```ts
 * import { loadConfig, type ServiceConfig } from '@handshake/server';
 *
 * const config: ServiceConfig = { ...loadConfig({}), port: 9090 };
 * ```
 */
export interface ServiceConfig {
  port: number;
  store:
    | { kind: 'memory' }
    | {
        kind: 'redis';
        url: string;
        /** `'verbose'` while instances of versions before the compact token form share it. */
        tokenForm?: 'verbose';
      }
    | { kind: 'dynamodb'; tableName: string; createTable: boolean; approvalPollMs: number };
  sessions: Record<string, string>;
  jwtSecret: string | undefined;
  /** The longest lifetime a JWT session may have (its `exp` is required). */
  jwtMaxLifetimeSeconds: number;
  /** Keys sealing stored outcomes that hold secrets, newest first; empty: a random key per process. */
  outcomeKeys: OutcomeKey[];
  keys: RegisteredKey[];
  approverToken: string | undefined;
  tokenTtlSeconds: number;
  /** Reverse proxies in front of the service that append to X-Forwarded-For (0: none trusted). */
  trustedProxies: number;
  /** How long an executed call's result is kept for an identical retry (seconds). */
  replayWindowSeconds: number;
  /**
   * How often (seconds) executions a dead process abandoned are resolved through the
   * store (`engine.sweepAbandoned()`); 0 turns the sweep off.
   */
  sweepSeconds: number;
  auditFile: string | undefined;
  limits: SpendingLimits | undefined;
  paypalMode: 'simulated' | 'sandbox' | 'live';
  paypalClientId: string | undefined;
  paypalClientSecret: string | undefined;
  /** The spend API's card issuer (`HANDSHAKE_CARD_ISSUER` and the Stripe variables). */
  cardIssuer: CardIssuerConfig;
  /** Metrics and traces (`HANDSHAKE_METRICS_PORT`, `OTEL_EXPORTER_OTLP_ENDPOINT`, …). */
  telemetry: TelemetryConfig;
  /** `HANDSHAKE_LOG_LEVEL`. */
  logLevel: LevelWithSilent;
}

/**
 * A configuration error; its message names the variable and never echoes a secret.
 *
 * @example
 * ```ts
 * import { ConfigError, loadConfig } from '@handshake/server';
 *
 * try {
 *   loadConfig({ PORT: 'eighty' });
 * } catch (error) {
 *   if (error instanceof ConfigError) console.error(`fix ${error.variable}: ${error.message}`);
 * }
 * ```
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** `id:base64,id:base64`, newest first; each key 32 bytes. Never echoes a key. */
function parseOutcomeKeys(text: string): OutcomeKey[] {
  const name = 'HANDSHAKE_OUTCOME_KEYS';
  const keys = text.split(',').map((entry, i) => {
    const [id = '', key = '', ...rest] = entry.trim().split(':');
    const bytes = Buffer.from(key, 'base64');
    if (rest.length > 0 || !/^[A-Za-z0-9_-]{1,64}$/.test(id) || bytes.length !== 32) {
      throw new ConfigError(
        name,
        `entry ${i + 1} must be id:key with 32 bytes of base64 (openssl rand -base64 32)`,
      );
    }
    return { id, key };
  });
  if (new Set(keys.map((k) => k.id)).size !== keys.length) {
    throw new ConfigError(name, 'names a key id twice');
  }
  return keys;
}

function parseLimits(text: string): SpendingLimits {
  const name = 'HANDSHAKE_LIMITS';
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConfigError(
      name,
      'is not valid JSON (expected e.g. {"currency":"USD","daily":"1000.00"})',
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(name, 'must be a JSON object');
  }
  const record = raw as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!['currency', 'timeZone', 'enabled', ...LIMIT_WINDOWS].includes(key)) {
      throw new ConfigError(name, `has an unknown field "${key}"`);
    }
  }
  const currency = record.currency;
  if (typeof currency !== 'string' || !isCurrency(currency)) {
    throw new ConfigError(name, 'needs "currency", an ISO 4217 code such as "USD"');
  }
  const limits: SpendingLimits = { currency };
  for (const window of LIMIT_WINDOWS) {
    const value = record[window];
    if (value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new ConfigError(name, `"${window}" must be a decimal string such as "1000.00"`);
    }
    try {
      parseMoney(value, currency, { allowZero: true });
    } catch (error) {
      throw new ConfigError(
        name,
        `"${window}" is not a valid ${currency} amount: ${(error as HandshakeError).message}`,
      );
    }
    limits[window] = String(value);
  }
  if (record.timeZone !== undefined) {
    if (typeof record.timeZone !== 'string')
      throw new ConfigError(name, '"timeZone" must be a string');
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: record.timeZone });
    } catch {
      throw new ConfigError(name, `"timeZone" is not a known time zone`);
    }
    limits.timeZone = record.timeZone;
  }
  if (record.enabled !== undefined) {
    if (typeof record.enabled !== 'object' || record.enabled === null) {
      throw new ConfigError(name, '"enabled" must be an object of booleans');
    }
    const enabled: NonNullable<SpendingLimits['enabled']> = {};
    for (const [key, value] of Object.entries(record.enabled)) {
      if (!(LIMIT_WINDOWS as readonly string[]).includes(key) || typeof value !== 'boolean') {
        throw new ConfigError(
          name,
          `"enabled.${key}" must be one of the windows, set to true or false`,
        );
      }
      enabled[key as LimitWindow] = value;
    }
    limits.enabled = enabled;
  }
  return limits;
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

/** The list in the variable `name`, read by `parse` (its errors named for the variable). */
function list<T>(
  env: NodeJS.ProcessEnv,
  name: string,
  parse: (text: string) => T,
  empty: NoInfer<T>,
): T {
  const text = env[name];
  if (!text) return empty;
  try {
    return parse(text);
  } catch (error) {
    throw new ConfigError(name, (error as Error).message);
  }
}

/** A secret of at least `minLength` characters, or undefined when unset. */
function secret(env: NodeJS.ProcessEnv, name: string, minLength: number): string | undefined {
  const value = env[name] || undefined;
  if (value !== undefined && value.length < minLength) {
    throw new ConfigError(name, `must be at least ${minLength} characters`);
  }
  return value;
}

/**
 * Reads the configuration from environment variables (see the README for each).
 * Throws a {@link ConfigError} naming the variable at fault.
 *
 * @example
 * ```ts
 * import { loadConfig } from '@handshake/server';
 *
 * const config = loadConfig({ PORT: '8787', HANDSHAKE_SESSIONS: 'alice:dev-token-alice' });
 * ```
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const storeText = env.HANDSHAKE_STORE ?? 'memory';
  let store: ServiceConfig['store'];
  if (storeText === 'memory') store = { kind: 'memory' };
  else if (/^rediss?:\/\//.test(storeText)) {
    try {
      new URL(storeText);
    } catch {
      throw new ConfigError('HANDSHAKE_STORE', 'is not a valid redis:// URL');
    }
    const form = env.HANDSHAKE_REDIS_TOKEN_FORM ?? 'compact';
    if (form !== 'compact' && form !== 'verbose') {
      throw new ConfigError('HANDSHAKE_REDIS_TOKEN_FORM', 'must be compact or verbose');
    }
    store = { kind: 'redis', url: storeText, ...(form === 'verbose' ? { tokenForm: form } : {}) };
  } else if (storeText.startsWith('dynamodb://')) {
    const tableName = storeText.slice('dynamodb://'.length);
    // DynamoDB's own rule for table names.
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) {
      throw new ConfigError(
        'HANDSHAKE_STORE',
        'needs a DynamoDB table name after dynamodb:// (3 to 255 letters, digits, "_", "-" or ".")',
      );
    }
    const create = env.HANDSHAKE_DYNAMODB_CREATE_TABLE ?? '';
    if (!['', '0', '1'].includes(create)) {
      throw new ConfigError('HANDSHAKE_DYNAMODB_CREATE_TABLE', 'must be 1 (create the table) or 0');
    }
    store = {
      kind: 'dynamodb',
      tableName,
      createTable: create === '1',
      approvalPollMs: integer(env, 'HANDSHAKE_DYNAMODB_POLL_MS', 1_000, 50, 60_000),
    };
  } else {
    throw new ConfigError(
      'HANDSHAKE_STORE',
      'must be "memory", a redis:// URL or dynamodb://<table>',
    );
  }

  const sessions = list(env, 'HANDSHAKE_SESSIONS', parseSessionList, {});
  const jwtSecret = secret(env, 'HANDSHAKE_JWT_SECRET', 32);
  const outcomeKeys = env.HANDSHAKE_OUTCOME_KEYS
    ? parseOutcomeKeys(env.HANDSHAKE_OUTCOME_KEYS)
    : [];
  const keys = list(env, 'HANDSHAKE_KEYS', parseKeyList, []);
  const approverToken = secret(env, 'HANDSHAKE_APPROVER_TOKEN', 16);
  const mode = env.PAYPAL_MODE ?? 'simulated';
  if (mode !== 'simulated' && mode !== 'sandbox' && mode !== 'live') {
    throw new ConfigError('PAYPAL_MODE', 'must be simulated, sandbox or live');
  }
  if (mode !== 'simulated' && (!env.PAYPAL_CLIENT_ID || !env.PAYPAL_CLIENT_SECRET)) {
    throw new ConfigError('PAYPAL_MODE', `${mode} needs PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET`);
  }
  return {
    port: integer(env, 'PORT', 8787, 0, 65_535),
    store,
    sessions,
    jwtSecret,
    jwtMaxLifetimeSeconds: integer(
      env,
      'HANDSHAKE_JWT_MAX_LIFETIME_SECONDS',
      86_400,
      60,
      2_592_000,
    ),
    outcomeKeys,
    keys,
    approverToken,
    tokenTtlSeconds: integer(env, 'HANDSHAKE_TOKEN_TTL_SECONDS', 30, 1, 3600),
    trustedProxies: integer(env, 'HANDSHAKE_TRUSTED_PROXIES', 0, 0, 10),
    replayWindowSeconds: integer(env, 'HANDSHAKE_REPLAY_WINDOW_SECONDS', 600, 1, 86_400),
    sweepSeconds: integer(env, 'HANDSHAKE_SWEEP_SECONDS', 60, 0, 86_400),
    auditFile: env.HANDSHAKE_AUDIT_FILE || undefined,
    limits: env.HANDSHAKE_LIMITS ? parseLimits(env.HANDSHAKE_LIMITS) : undefined,
    paypalMode: mode,
    paypalClientId: env.PAYPAL_CLIENT_ID || undefined,
    paypalClientSecret: env.PAYPAL_CLIENT_SECRET || undefined,
    cardIssuer: loadCardIssuerConfig(env),
    telemetry: loadTelemetryConfig(env),
    logLevel: loadLogLevel(env),
  };
}
