import { type CardIssuerV1, spendApiRoutes, spendTools } from '@handshake/cards';
import { instrumentCardIssuer } from '@handshake/cards/opentelemetry';
import {
  type AuditSinkV1,
  answerInterrupted,
  anySessionVerifier,
  type Clock,
  type ConnectionInfo,
  cachedExchangeRates,
  createHandshake,
  createHandshakeHandler,
  type HandshakeEngine,
  type HandshakeHandlerOptions,
  type HandshakeOptions,
  jwtSessionVerifier,
  MemoryStore,
  type SessionVerifierV1,
  type StoreV1,
  simulatedExchangeRates,
  staticKeyResolver,
  staticSessionVerifier,
  systemTimers,
  type TimerScheduler,
  type ToolProviderV1,
} from '@handshake/core';
import { interruptedInAuditFile, jsonLinesAuditSink } from '@handshake/core/node';
import {
  auditFailureMetrics,
  engineObserver,
  instrumentEngine,
  instrumentHandler,
  instrumentStore,
  instrumentToolProvider,
  metricsAuditSink,
  observePendingApprovals,
  type TelemetryOptions,
} from '@handshake/core/opentelemetry';
import type { RunningPayPalSimulator } from '@handshake/paypal/testing';
import type { StripeIssuingSimulator } from '@handshake/stripe/testing';
import type { Logger } from 'pino';
import { type CardIssuing, openCardIssuing } from './cards.js';
import { ConfigError, type ServiceConfig } from './config.js';
import { consoleRoutes } from './console.js';
import { exchangeRateTool } from './demo-tools.js';
import { createLogger, logRequests } from './logging.js';
import { scheduleSweep } from './sweep.js';
import { injectTraceContext } from './trace-context.js';

/**
 * Things a test, the demo or an embedding service may replace.
 *
 * @example
 * ```ts
 * import { createService, loadConfig, type ServiceOverrides } from '@handshake/server';
 *
 * const overrides: ServiceOverrides = { handler: { routes: [] } };
 * const service = await createService(loadConfig({}), overrides);
 * ```
 */
export interface ServiceOverrides {
  clock?: Clock;
  tools?: ToolProviderV1[];
  store?: StoreV1;
  audit?: AuditSinkV1[];
  handler?: HandshakeHandlerOptions;
  /** The card issuer of the spend API (default: the simulated issuer). */
  issuer?: CardIssuerV1;
  /** Engine lifetimes the soak script shortens, so memory reaches its steady state sooner. */
  engine?: Pick<HandshakeOptions, 'replayWindowMs' | 'approvalTtlMs' | 'executionTimeoutMs'>;
  /** Where metrics and traces go; without it the service is not instrumented. */
  telemetry?: TelemetryOptions;
  /** The logger (default: JSON lines on stdout at the configured level). */
  logger?: Logger;
  /** Timers of the abandoned-execution sweep (default: the runtime's). */
  timers?: TimerScheduler;
}

/**
 * The assembled service: the engine, its HTTP handler, and a way to stop it.
 *
 * @example
 * ```ts
 * import { serve } from '@handshake/core/node';
 * import { createService, loadConfig, type Service } from '@handshake/server';
 *
 * const service: Service = await createService(loadConfig({}));
 * const server = await serve(service.handler, { port: 0 });
 * await server.close();
 * await service.close();
 * ```
 */
export interface Service {
  engine: HandshakeEngine;
  handler: (request: Request, info?: ConnectionInfo) => Promise<Response>;
  /** Which card issuer the spend API uses, for the start-up banner (no secret in it). */
  cards: string;
  /** The service's structured logger. */
  log: Logger;
  /** Waits until the card events an in-process Stripe simulation queued were delivered. */
  cardEventsDelivered(): Promise<void>;
  /** The in-process PayPal simulator in simulated PayPal mode: its state and the requests it answered. */
  paypalSimulator?: RunningPayPalSimulator;
  /** The in-process Stripe Issuing simulation with `STRIPE_API=simulated`: its cards and the requests it answered. */
  stripeSimulator?: StripeIssuingSimulator;
  close(): Promise<void>;
}

function sessionVerifier(config: ServiceConfig): SessionVerifierV1 | undefined {
  const verifiers: SessionVerifierV1[] = [];
  if (Object.keys(config.sessions).length > 0)
    verifiers.push(staticSessionVerifier(config.sessions));
  if (config.jwtSecret) {
    verifiers.push(
      jwtSessionVerifier({
        secret: config.jwtSecret,
        maxLifetimeSeconds: config.jwtMaxLifetimeSeconds,
      }),
    );
  }
  return verifiers.length === 0 ? undefined : anySessionVerifier(...verifiers);
}

/** The PayPal tools of the configured mode, and how to stop them. */
async function openPayPal(
  config: ServiceConfig,
  options: { clock?: Clock; traceContext?: (headers: Record<string, string>) => void },
): Promise<{ provider: ToolProviderV1; simulator?: RunningPayPalSimulator; close(): void }> {
  if (config.paypalMode === 'simulated') {
    // The toolkit's real code against the simulated PayPal REST API, in this process.
    const { createSimulatedPayPal } = await import('@handshake/paypal/testing');
    const paypal = createSimulatedPayPal(options);
    return { provider: paypal.provider, simulator: paypal, close: () => paypal.close() };
  }
  const { createPayPalToolProvider } = await import('@handshake/paypal');
  const provider = createPayPalToolProvider({
    clientId: config.paypalClientId ?? '',
    clientSecret: config.paypalClientSecret ?? '',
    environment: config.paypalMode,
    ...(options.traceContext ? { traceContext: options.traceContext } : {}),
  });
  return { provider, close: () => {} };
}

async function openStore(config: ServiceConfig): Promise<StoreV1 | undefined> {
  const chosen = config.store;
  if (chosen.kind === 'memory') return undefined;
  if (chosen.kind === 'redis') {
    const { RedisStore } = await import('@handshake/redis');
    return new RedisStore({
      url: chosen.url,
      ...(chosen.tokenForm ? { tokenForm: chosen.tokenForm } : {}),
    });
  }
  // Region, credentials and AWS_ENDPOINT_URL_DYNAMODB: the AWS SDK's standard configuration.
  const { DynamoDBStore } = await import('@handshake/dynamodb');
  const store = new DynamoDBStore({
    tableName: chosen.tableName,
    approvalPollMs: chosen.approvalPollMs,
  });
  try {
    await store.ready({ createTable: chosen.createTable });
  } catch (error) {
    store.close();
    const missing = /does not exist|is not laid out/.test((error as Error).message);
    if (!missing) throw error;
    throw new ConfigError(
      'HANDSHAKE_STORE',
      `${(error as Error).message}; create it as docs/deployment.md shows, or set HANDSHAKE_DYNAMODB_CREATE_TABLE=1 (development)`,
    );
  }
  return store;
}

/**
 * Builds the reference service from its configuration.
 *
 * @example
 * ```ts
 * import { createService, loadConfig } from '@handshake/server';
 *
 * const service = await createService(loadConfig({ HANDSHAKE_SESSIONS: 'alice:dev-token' }));
 * ```
 */
export async function createService(
  config: ServiceConfig,
  overrides: ServiceOverrides = {},
): Promise<Service> {
  let keys: ReturnType<typeof staticKeyResolver>;
  try {
    keys = staticKeyResolver(config.keys);
  } catch (error) {
    throw new ConfigError('HANDSHAKE_KEYS', (error as Error).message);
  }
  const clockOption = overrides.clock ? { clock: overrides.clock } : {};
  // One cached rate provider serves both the limits and the card issuer, so a card in
  // another currency is capped at the rate bound into its validation.
  const exchangeRates = cachedExchangeRates(
    simulatedExchangeRates(undefined, clockOption),
    clockOption,
  );
  const telemetry = overrides.telemetry;
  // With tracing on, the requests to PayPal and Stripe carry the call's trace context.
  const traceContext = telemetry?.tracerProvider ? injectTraceContext : undefined;
  const cards: CardIssuing = overrides.issuer
    ? {
        issuer: overrides.issuer,
        description: 'given',
        routes: () => [],
        idle: async () => {},
        attach: () => {},
        close: () => {},
      }
    : await openCardIssuing(config.cardIssuer, clockOption, traceContext);
  const log = overrides.logger ?? createLogger(config.logLevel);
  const issuer = telemetry ? instrumentCardIssuer(cards.issuer, telemetry) : cards.issuer;
  const spend = spendTools({ issuer, exchangeRates });
  // PayPal's tools (every toolkit tool with its tier) and the PUBLIC get_exchange_rate,
  // unless a caller brings its own.
  const paypal = overrides.tools
    ? undefined
    : await openPayPal(config, { ...clockOption, ...(traceContext ? { traceContext } : {}) });
  const providers = [...(overrides.tools ?? [exchangeRateTool(), paypal!.provider]), spend];
  const tools = telemetry
    ? providers.map((provider) => instrumentToolProvider(provider, telemetry))
    : providers;
  const opened = overrides.store ?? (await openStore(config));
  // Instrumented, the memory store is made here, so the gauges read the same one.
  const plainStore = telemetry ? (opened ?? new MemoryStore()) : opened;
  const store =
    telemetry && plainStore
      ? instrumentStore(plainStore, {
          name: overrides.store ? 'custom' : config.store.kind,
          ...telemetry,
        })
      : plainStore;
  // Read from the store itself, so collecting them opens no spans of its own.
  const stopGauges =
    telemetry && plainStore
      ? observePendingApprovals(plainStore, { ...telemetry, ...clockOption })
      : () => {};
  // Calls the previous process of this audit file started and never finished: read before
  // anything is appended, resolved in the trail once the engine runs, and answered to
  // their identical retries even by a store that lost their tokens (the memory store).
  const interrupted = config.auditFile ? await interruptedInAuditFile(config.auditFile) : [];
  const engineStore =
    interrupted.length > 0 ? answerInterrupted(store ?? new MemoryStore(), interrupted) : store;
  const audit: AuditSinkV1[] = [...(overrides.audit ?? [])];
  if (config.auditFile) audit.push(jsonLinesAuditSink({ path: config.auditFile }));
  if (telemetry) audit.push(metricsAuditSink(telemetry));
  const countAuditFailure = telemetry ? auditFailureMetrics(telemetry) : undefined;
  const sessions = sessionVerifier(config);
  const created = createHandshake({
    tools,
    ...(engineStore ? { store: engineStore } : {}),
    ...(sessions ? { sessions } : {}),
    keys,
    ...(config.approverToken
      ? { approverCredentials: { [config.approverToken]: 'approver' } }
      : {}),
    audit,
    ...(config.limits ? { limits: config.limits } : {}),
    exchangeRates,
    ...clockOption,
    tokenTtlMs: config.tokenTtlSeconds * 1000,
    ...(config.outcomeKeys.length > 0 ? { outcomeKeys: config.outcomeKeys } : {}),
    replayWindowMs: config.replayWindowSeconds * 1000,
    ...(telemetry ? { observer: engineObserver(telemetry) } : {}),
    ...overrides.engine,
    onAuditError: (error, event) => {
      countAuditFailure?.(error, event);
      log.error(
        { seq: event.seq, event: event.type, error: (error as Error).message },
        'audit event not written; it stays in the backlog and is retried',
      );
    },
  });
  const engine = telemetry ? instrumentEngine(created, telemetry) : created;
  await engine.ready();
  if (interrupted.length > 0) {
    await engine.resolveInterrupted(interrupted);
    log.warn(
      {
        count: interrupted.length,
        transactions: interrupted.flatMap((event) => event.transactionId ?? []),
      },
      'calls the previous process started and never finished are recorded as interrupted: their outcome is unknown',
    );
  }
  const stopSweep =
    config.sweepSeconds > 0
      ? scheduleSweep(engine, config.sweepSeconds * 1000, overrides.timers ?? systemTimers, log)
      : () => {};
  // The approval console at /console/, after any routes a caller adds.
  const routes = [
    ...(overrides.handler?.routes ?? []),
    ...cards.routes(engine),
    ...spendApiRoutes(engine, { tools: spend }),
    ...consoleRoutes(),
  ];
  const plain = createHandshakeHandler(engine, {
    onError: (error) => log.error({ err: error }, 'unexpected error'),
    trustedProxies: config.trustedProxies,
    ...overrides.handler,
    routes,
  });
  // At debug, a line per request (inside its trace, when there is one).
  const logged = logRequests(plain, log);
  const handler = telemetry
    ? instrumentHandler(logged, {
        ...telemetry,
        routes,
        ...(overrides.handler?.basePath ? { basePath: overrides.handler.basePath } : {}),
      })
    : logged;
  cards.attach(handler);
  return {
    engine,
    handler,
    cards: cards.description,
    log,
    cardEventsDelivered: () => cards.idle(),
    ...(paypal?.simulator ? { paypalSimulator: paypal.simulator } : {}),
    ...(cards.simulator ? { stripeSimulator: cards.simulator } : {}),
    close: async () => {
      stopSweep();
      stopGauges();
      await engine.close();
      paypal?.close();
      cards.close();
    },
  };
}
