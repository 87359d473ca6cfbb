import { createHandshakeClient } from '@handshake/client';
import { type RunningServer, serve } from '@handshake/core/node';
import { generateSigningKey } from '@handshake/protocol';
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createLogger } from './logging.js';
import { createService, type Service } from './service.js';

const SESSION = 'session-alice-propagation-01';
const key = generateSigningKey();
const spans = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
});
let service: Service;
let running: RunningServer;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const config = loadConfig({
    HANDSHAKE_SESSIONS: `alice:${SESSION}`,
    HANDSHAKE_KEYS: `alice:laptop:${key.publicKey}`,
    HANDSHAKE_LOG_LEVEL: 'silent',
  });
  // PayPal simulated (the default): the toolkit's real requests, answered by msw.
  service = await createService(config, {
    telemetry: { tracerProvider },
    logger: createLogger('silent'),
  });
  running = await serve(service.handler, { port: 0, hostname: '127.0.0.1' });
});

afterAll(async () => {
  await running?.close();
  await service?.close();
  await tracerProvider.shutdown();
  context.disable();
  propagation.disable();
});

describe('one trace from the agent to PayPal', () => {
  it('runs from the client’s span through the service to the traceparent of the PayPal request', async () => {
    const client = createHandshakeClient({
      baseUrl: `http://127.0.0.1:${running.port}`,
      session: SESSION,
      signer: { keyId: 'laptop', privateKey: key.privateKey },
      traceContext: (headers) => propagation.inject(context.active(), headers),
    });
    const agent = tracerProvider.getTracer('agent');
    const parameters = { name: 'Traced mug', type: 'PHYSICAL' };
    const traceId = await agent.startActiveSpan('agent create_product', async (span) => {
      try {
        await client.call('create_product', parameters);
        return span.spanContext().traceId;
      } finally {
        span.end();
      }
    });

    const finished = spans.getFinishedSpans();
    const named = (name: string) => finished.find((span) => span.name === name);
    const agentSpan = named('agent create_product')!;
    // The service continued the client's trace: its server spans are children of the agent's.
    for (const route of ['POST /authorize', 'POST /execute']) {
      const server = named(route);
      expect(server?.spanContext().traceId, route).toBe(traceId);
      expect(server?.parentSpanContext?.spanId, route).toBe(agentSpan.spanContext().spanId);
    }
    const tool = named('handshake.tool create_product')!;
    expect(tool.spanContext().traceId).toBe(traceId);

    // The request PayPal received carries the same trace, as a child of the tool's span.
    const requests = service.paypalSimulator!.state.requests.filter(
      (request) => request.method === 'POST' && request.url.endsWith('/v1/catalogs/products'),
    );
    expect(requests).toHaveLength(1);
    const [version, sentTrace, parent, flags] = requests[0]!.traceparent!.split('-');
    expect(version).toBe('00');
    expect(sentTrace).toBe(traceId);
    expect(parent).toBe(tool.spanContext().spanId);
    expect(flags).toBe('01');
  });

  it('sends no traceparent to PayPal for a call without a trace', async () => {
    const before = service.paypalSimulator!.state.requests.length;
    const client = createHandshakeClient({
      baseUrl: `http://127.0.0.1:${running.port}`,
      session: SESSION,
      signer: { keyId: 'laptop', privateKey: key.privateKey },
    });
    await client.call('create_product', { name: 'Untraced mug', type: 'PHYSICAL' });
    const [sent] = service
      .paypalSimulator!.state.requests.slice(before)
      .filter((request) => request.url.endsWith('/v1/catalogs/products'));
    // The service's own spans start a trace of their own, which PayPal continues.
    const server = spans
      .getFinishedSpans()
      .filter((span) => span.name === 'POST /execute')
      .at(-1);
    expect(sent?.traceparent?.split('-')[1]).toBe(server?.spanContext().traceId);
    expect(server?.parentSpanContext).toBeUndefined();
  });
});

describe('one trace from the agent to Stripe Issuing', () => {
  const stripeSession = 'session-alice-propagation-st';
  let stripeService: Service;
  let stripeRunning: RunningServer;

  beforeAll(async () => {
    const config = loadConfig({
      HANDSHAKE_SESSIONS: `alice:${stripeSession}`,
      HANDSHAKE_KEYS: `alice:laptop:${key.publicKey}`,
      HANDSHAKE_LIMITS: '{"currency":"USD","daily":"1000.00"}',
      HANDSHAKE_LOG_LEVEL: 'silent',
      // Stripe Issuing, its API answered in process: the client's requests are recorded.
      HANDSHAKE_CARD_ISSUER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_51ExampleExampleExample0000',
      STRIPE_WEBHOOK_SECRET: 'whsec_ExampleExampleExample0000',
      STRIPE_API: 'simulated',
    });
    stripeService = await createService(config, {
      telemetry: { tracerProvider },
      logger: createLogger('silent'),
    });
    stripeRunning = await serve(stripeService.handler, { port: 0, hostname: '127.0.0.1' });
  });

  afterAll(async () => {
    await stripeRunning?.close();
    await stripeService?.close();
  });

  it('runs from the client’s span through the card creation to the traceparent of the Stripe request', async () => {
    const client = createHandshakeClient({
      baseUrl: `http://127.0.0.1:${stripeRunning.port}`,
      session: stripeSession,
      signer: { keyId: 'laptop', privateKey: key.privateKey },
      traceContext: (headers) => propagation.inject(context.active(), headers),
    });
    const before = stripeService.stripeSimulator!.exchanges.length;
    const agent = tracerProvider.getTracer('agent');
    const traceId = await agent.startActiveSpan('agent buy', async (span) => {
      try {
        const validation = await client.spend.validateTransaction({
          merchant: 'Traced Books',
          amount: '12.00',
          currency: 'USD',
        });
        await client.spend.createVirtualCard(validation);
        return span.spanContext().traceId;
      } finally {
        span.end();
      }
    });

    const finished = spans.getFinishedSpans();
    const creations = finished.filter(
      (span) => span.name === 'handshake.card.create' && span.spanContext().traceId === traceId,
    );
    expect(creations).toHaveLength(1);
    const sent = stripeService
      .stripeSimulator!.exchanges.slice(before)
      .filter((exchange) => exchange.operation === 'PostIssuingCards');
    expect(sent).toHaveLength(1);
    const [version, sentTrace, parent] = sent[0]!.traceparent!.split('-');
    expect(version).toBe('00');
    expect(sentTrace).toBe(traceId);
    // A child of the card creation's span, inside the agent's trace.
    expect(parent).toBe(creations[0]!.spanContext().spanId);
  });
});
