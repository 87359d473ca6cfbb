import { instrumentCardIssuer } from '@handshake/cards/opentelemetry';
import { simulatedCardIssuer } from '@handshake/cards/testing';
import { HandshakeError } from '@handshake/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CREDENTIALS } from '../../test/fixtures.js';
import { inMemoryTelemetry, instrumentedEngine } from '../../test/telemetry.js';
import type { AuditEvent } from '../audit/audit-event.js';
import { NATIVE_ENTRY, type NativeEntry } from '../http/handler.js';
import { JsonAnswer } from '../http/responses.js';
import { serve } from '../node/serve.js';
import { MemoryStore } from '../store/memory-store.js';
import { auditFailureMetrics, metricsAuditSink } from './audit-metrics.js';
import { instrumentHandler } from './handler.js';
import { engineObserver } from './observer.js';
import { observePendingApprovals } from './pending-approvals.js';
import { instrumentStore } from './store.js';

const refund = { capture_id: 'CAP-7731', amount: { value: '25.00', currency: 'USD' } };
const rate = { from: 'EUR' };

let telemetry: ReturnType<typeof inMemoryTelemetry>;
afterEach(() => telemetry?.close());

/** An engine with every instrument on one in-memory SDK. */
function instrumented() {
  telemetry = inMemoryTelemetry();
  return instrumentedEngine(telemetry);
}

async function post(
  handler: ReturnType<typeof instrumented>['handler'],
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const response = await handler(
    new Request(`http://localhost${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }),
  );
  return (await response.json()) as Record<string, unknown>;
}

/** A RESTRICTED refund waiting for a decision. */
async function pendingRefund(setup: ReturnType<typeof instrumented>) {
  const auth = await setup.engine.authorize(
    { tool: 'create_refund', parameters: refund },
    CREDENTIALS.alice,
  );
  if (auth.status !== 'pending') throw new Error('expected pending');
  return auth;
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

describe('a full handshake over HTTP', () => {
  it('counts the call by tool, tier and outcome, times routes and store operations, and traces it under the caller’s traceparent', async () => {
    const setup = instrumented();
    const auth = await post(
      setup.handler,
      '/authorize',
      { tool: 'get_exchange_rate', parameters: rate },
      { traceparent: TRACEPARENT },
    );
    await post(setup.handler, '/execute', {
      ephemeralToken: auth.ephemeralToken,
      tool: 'get_exchange_rate',
      parameters: rate,
    });
    await setup.engine.flushAudit();
    const call = { 'handshake.tool': 'get_exchange_rate', 'handshake.tier': 'PUBLIC' };
    expect(await telemetry.points('handshake.authorizations')).toEqual([
      { attributes: { ...call, 'handshake.outcome': 'authorized' }, value: 1 },
    ]);
    expect(await telemetry.points('handshake.executions')).toEqual([
      { attributes: { ...call, 'handshake.outcome': 'completed' }, value: 1 },
    ]);
    const routes = (await telemetry.points('http.server.request.duration')).map(
      (point) => point.attributes,
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        {
          'http.request.method': 'POST',
          'http.route': '/authorize',
          'http.response.status_code': 200,
        },
        {
          'http.request.method': 'POST',
          'http.route': '/execute',
          'http.response.status_code': 200,
        },
      ]),
    );
    const operations = (await telemetry.points('handshake.store.operation.duration')).map(
      (point) => point.attributes['handshake.store.operation'],
    );
    expect(operations).toEqual(expect.arrayContaining(['authorize', 'consume', 'complete']));
    const durations = await telemetry.points('handshake.execute.duration');
    expect(durations.map((point) => point.attributes)).toEqual([
      { 'handshake.outcome': 'completed' },
    ]);

    const spans = telemetry.spans.getFinishedSpans();
    const named = (name: string) => spans.find((span) => span.name === name)!;
    const server = named('POST /authorize');
    const authorize = named('handshake.authorize');
    const store = named('handshake.store authorize');
    expect(server.spanContext().traceId).toBe(TRACE_ID);
    expect(authorize.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(store.parentSpanContext?.spanId).toBe(authorize.spanContext().spanId);
    expect(authorize.attributes).toMatchObject({
      'handshake.outcome': 'authorized',
      'handshake.tier': 'PUBLIC',
    });
    const tool = named('handshake.tool get_exchange_rate');
    expect(tool.parentSpanContext?.spanId).toBe(named('handshake.execute').spanContext().spanId);
    expect((await telemetry.points('handshake.tool.duration')).map((p) => p.attributes)).toEqual([
      { 'handshake.tool': 'get_exchange_rate' },
    ]);
    // The execute request came without a traceparent: a trace of its own.
    expect(named('POST /execute').spanContext().traceId).not.toBe(TRACE_ID);
  });

  it('names an unknown path _OTHER, never its URL', async () => {
    const setup = instrumented();
    await setup.handler(new Request('http://localhost/approvals/ap_secret123/decision/x'));
    await setup.handler(new Request('http://localhost/approvals/ap_secret123'));
    const routes = (await telemetry.points('http.server.request.duration')).map(
      (point) => point.attributes['http.route'],
    );
    expect(routes.sort()).toEqual(['/approvals/:id', '_OTHER']);
  });
});

describe('behind serve()', () => {
  it('answers through the handler’s native entry, measured and traced as the caller’s trace', async () => {
    telemetry = inMemoryTelemetry();
    // The Web entry fails: only the native entry (no Request, no Response) can answer.
    const inner = Object.defineProperty(
      async () => {
        throw new Error('the Web entry was used');
      },
      NATIVE_ENTRY,
      {
        value: (async (request) =>
          JsonAnswer.of(request.pathname() === '/health' ? 200 : 404, {})) as NativeEntry,
      },
    );
    const handler = instrumentHandler(inner, {
      meterProvider: telemetry.meterProvider,
      tracerProvider: telemetry.tracerProvider,
    });
    const server = await serve(handler);
    try {
      const answers = await Promise.all([
        fetch(`${server.url}/health`, { headers: { traceparent: TRACEPARENT } }),
        fetch(`${server.url}/approvals/ap_1/x`),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 404]);
    } finally {
      await server.close();
    }
    const routes = (await telemetry.points('http.server.request.duration')).map(
      (point) => point.attributes,
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        { 'http.request.method': 'GET', 'http.route': '/health', 'http.response.status_code': 200 },
        { 'http.request.method': 'GET', 'http.route': '_OTHER', 'http.response.status_code': 404 },
      ]),
    );
    const health = telemetry.spans.getFinishedSpans().find((span) => span.name === 'GET /health');
    expect(health?.spanContext().traceId).toBe(TRACE_ID);
  });
});

describe('approvals', () => {
  it('counts an approval by decision and channel and measures the time to decision', async () => {
    const setup = instrumented();
    const auth = await pendingRefund(setup);
    setup.clock.advance(90_000);
    await setup.engine.decide(
      auth.approvalId,
      { decision: 'approve', channel: 'console' },
      CREDENTIALS.approver,
    );
    await setup.engine.flushAudit();
    const call = { 'handshake.tool': 'create_refund', 'handshake.tier': 'RESTRICTED' };
    expect(await telemetry.points('handshake.authorizations')).toEqual([
      { attributes: { ...call, 'handshake.outcome': 'pending' }, value: 1 },
    ]);
    expect(await telemetry.points('handshake.approval.decisions')).toEqual([
      {
        attributes: { ...call, 'handshake.decision': 'approved', 'handshake.channel': 'console' },
        value: 1,
      },
    ]);
    const [waited] = await telemetry.points('handshake.approval.decision.duration');
    expect(waited?.attributes).toEqual({ ...call, 'handshake.decision': 'approved' });
    expect(waited?.value).toMatchObject({ count: 1, sum: 90 });
  });

  it('reports the approvals waiting and the age of the oldest, from the store', async () => {
    const setup = instrumented();
    observePendingApprovals(setup.engine.store, {
      meterProvider: telemetry.meterProvider,
      clock: setup.clock,
    });
    const auth = await pendingRefund(setup);
    setup.clock.advance(120_000);
    await pendingRefund(setup);
    expect(await telemetry.points('handshake.approvals.pending')).toEqual([
      { attributes: {}, value: 2 },
    ]);
    expect(await telemetry.points('handshake.approvals.pending.oldest_age')).toEqual([
      { attributes: {}, value: 120 },
    ]);
    await setup.engine.decide(auth.approvalId, { decision: 'deny' }, CREDENTIALS.approver);
    expect((await telemetry.points('handshake.approvals.pending'))[0]?.value).toBe(1);
    expect((await telemetry.points('handshake.approvals.pending.oldest_age'))[0]?.value).toBe(0);
  });

  it('counts a denial', async () => {
    const setup = instrumented();
    const auth = await pendingRefund(setup);
    await setup.engine.decide(auth.approvalId, { decision: 'deny' }, CREDENTIALS.approver);
    await setup.engine.flushAudit();
    const decisions = await telemetry.points('handshake.approval.decisions');
    expect(decisions.map((point) => point.attributes['handshake.decision'])).toEqual(['denied']);
    expect(decisions[0]?.attributes['handshake.channel']).toBe('none');
  });
});

describe('refusals', () => {
  it('counts refusals by code and records the failed step with its error type', async () => {
    const setup = instrumented();
    await expect(
      setup.engine.authorize({ tool: 'get_order', parameters: { order_id: 'O-1' } }),
    ).rejects.toThrow(HandshakeError);
    const auth = await setup.engine.authorize(
      { tool: 'get_order', parameters: { order_id: 'O-1' } },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'authorized') throw new Error('expected authorized');
    await expect(
      setup.engine.execute(
        { ephemeralToken: auth.ephemeralToken, tool: 'get_order', parameters: { order_id: 'O-1' } },
        CREDENTIALS.alice,
      ),
    ).rejects.toThrow(HandshakeError);
    await setup.engine.flushAudit();
    const refusals = await telemetry.points('handshake.refusals');
    expect(refusals).toEqual(
      expect.arrayContaining([
        { attributes: { 'error.type': 'UNAUTHORIZED' }, value: 1 },
        { attributes: { 'error.type': 'SIGNATURE_INVALID' }, value: 1 },
      ]),
    );
    const execute = await telemetry.points('handshake.execute.duration');
    expect(execute.map((point) => point.attributes)).toEqual([
      { 'handshake.outcome': 'SIGNATURE_INVALID', 'error.type': 'SIGNATURE_INVALID' },
    ]);
    const span = telemetry.spans.getFinishedSpans().find((s) => s.name === 'handshake.execute');
    expect(span?.status.code).toBe(2);
  });

  it('times a failing store operation with its error type', async () => {
    telemetry = inMemoryTelemetry();
    const failing = new MemoryStore();
    failing.getApproval = () => {
      throw new TypeError('connection lost to 10.0.0.1');
    };
    const store = instrumentStore(failing, {
      name: 'flaky',
      meterProvider: telemetry.meterProvider,
    });
    await expect(store.getApproval('p', 'a')).rejects.toThrow('connection lost');
    expect(await telemetry.points('handshake.store.operation.duration')).toEqual([
      {
        attributes: {
          'handshake.store': 'flaky',
          'handshake.store.operation': 'getApproval',
          'error.type': 'TypeError',
        },
        value: expect.objectContaining({ count: 1 }),
      },
    ]);
    expect(store.subscribeApprovals === undefined).toBe(failing.subscribeApprovals === undefined);
  });
});

describe('cards', () => {
  it('counts card creations by outcome and never reads the card', async () => {
    telemetry = inMemoryTelemetry();
    const providers = {
      meterProvider: telemetry.meterProvider,
      tracerProvider: telemetry.tracerProvider,
    };
    const issuer = instrumentCardIssuer(simulatedCardIssuer(), providers);
    const card = await issuer.issueCard({
      userId: 'alice',
      transactionId: 'tx_1',
      merchantName: 'Example Books',
      spendingLimit: { value: '30.00', currency: 'USD' },
    });
    const refusing = instrumentCardIssuer(
      {
        specificationVersion: 'v1',
        issueCard: () => {
          throw new HandshakeError('PROVIDER_ERROR', 'issuer down');
        },
      },
      providers,
    );
    await expect(
      refusing.issueCard({
        userId: 'alice',
        transactionId: 'tx_2',
        merchantName: 'Example Books',
        spendingLimit: { value: '30.00', currency: 'USD' },
      }),
    ).rejects.toThrow('issuer down');
    expect(await telemetry.points('handshake.card.creations')).toEqual(
      expect.arrayContaining([
        { attributes: { 'handshake.outcome': 'created' }, value: 1 },
        {
          attributes: { 'handshake.outcome': 'failed', 'error.type': 'PROVIDER_ERROR' },
          value: 1,
        },
      ]),
    );
    const everything = JSON.stringify([
      await telemetry.collect(),
      telemetry.spans.getFinishedSpans().map((span) => span.attributes),
    ]);
    expect(everything).not.toContain(card.cardNumber);
    expect(everything).not.toContain(card.cvc);
  });
});

describe('names and units', () => {
  it('follows the semantic conventions: dotted lowercase names, seconds for durations, annotated counts', async () => {
    telemetry = inMemoryTelemetry();
    const setup = instrumentedEngine(telemetry, { limits: { currency: 'USD', daily: '100.00' } });
    const providers = {
      meterProvider: telemetry.meterProvider,
      tracerProvider: telemetry.tracerProvider,
    };
    engineObserver(providers).liveStream!('requester')();
    observePendingApprovals(setup.engine.store, { ...providers, clock: setup.clock });
    auditFailureMetrics(providers)(new Error('down'), { type: 'authorize' } as AuditEvent);
    await instrumentCardIssuer(simulatedCardIssuer(), providers).issueCard({
      userId: 'alice',
      transactionId: 'tx_1',
      merchantName: 'Example Books',
      spendingLimit: { value: '30.00', currency: 'USD' },
    });
    const auth = await post(setup.handler, '/authorize', {
      tool: 'get_exchange_rate',
      parameters: rate,
    });
    await post(setup.handler, '/execute', {
      ephemeralToken: auth.ephemeralToken,
      tool: 'get_exchange_rate',
      parameters: rate,
    });
    const pending = await pendingRefund(setup);
    await setup.engine.decide(pending.approvalId, { decision: 'deny' }, CREDENTIALS.approver);
    await setup.handler(
      new Request(`http://localhost/approvals/${pending.approvalId}`, {
        headers: { authorization: `Bearer ${CREDENTIALS.alice}` },
      }),
    );
    await post(
      setup.handler,
      '/authorize',
      { tool: 'get_exchange_rate', parameters: rate },
      {
        authorization: 'Bearer forged',
      },
    );
    await setup.engine.flushAudit();
    // The poll's wait is recorded once the read's answer is on its way.
    await vi.waitFor(async () =>
      expect(await telemetry.points('handshake.approval.wait.duration')).toHaveLength(1),
    );
    const units = new Map((await telemetry.collect()).map((entry) => [entry.name, entry.unit]));
    expect(Object.fromEntries(units)).toEqual({
      'handshake.authorizations': '{authorization}',
      'handshake.executions': '{execution}',
      'handshake.approval.decisions': '{decision}',
      'handshake.approval.decision.duration': 's',
      'handshake.approvals.pending': '{approval}',
      'handshake.approvals.pending.oldest_age': 's',
      'handshake.approval.wait.duration': 's',
      'handshake.refusals': '{refusal}',
      'handshake.live_streams.open': '{stream}',
      'handshake.card.creations': '{card}',
      'handshake.spend.reserved': '{currency_unit}',
      'handshake.spend.released': '{currency_unit}',
      'handshake.authorize.duration': 's',
      'handshake.execute.duration': 's',
      'handshake.decide.duration': 's',
      'handshake.tool.duration': 's',
      'handshake.store.operation.duration': 's',
      'handshake.audit.write_failures': '{failure}',
      'http.server.request.duration': 's',
    });
    for (const name of units.keys()) expect(name).toMatch(/^[a-z]+(\.[a-z_]+)+$/);
  });
});

describe('a final status added later', () => {
  it('is counted under its own name, and anything that is not a word as _OTHER, without failing', async () => {
    telemetry = inMemoryTelemetry();
    const providers = { meterProvider: telemetry.meterProvider };
    const sink = metricsAuditSink(providers);
    const decided = (outcome: string) =>
      sink.write({
        seq: 0,
        at: '2026-12-07T12:00:00.000Z',
        type: 'approval.decided',
        outcome,
        chain: 'c',
        tool: 'create_refund',
        tier: 'RESTRICTED',
        prevHash: '',
        hash: '',
      } as AuditEvent);
    decided('revoked');
    decided('Not A Status: alice');
    const observer = engineObserver(providers);
    const delivered = (outcome: string) =>
      observer.decisionDelivered!({
        outcome: outcome as 'approved',
        channel: 'sse',
        waitedMs: 3_000,
      });
    delivered('revoked');
    delivered('Not A Status: alice');
    const decisions = (await telemetry.points('handshake.approval.decisions')).map(
      (point) => `${point.attributes['handshake.decision']} ${point.value}`,
    );
    expect(decisions.sort()).toEqual(['_OTHER 1', 'revoked 1']);
    const waits = (await telemetry.points('handshake.approval.wait.duration')).map(
      (point) => point.attributes['handshake.outcome'],
    );
    expect(waits.sort()).toEqual(['_OTHER', 'revoked']);
  });
});
