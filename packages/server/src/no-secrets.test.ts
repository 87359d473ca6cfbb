// Nothing secret in what the reference service reports: with metrics on, every span kept
// in memory and logging at debug, it runs a full RESTRICTED handshake with an SSE wait,
// a denial, refusals, a card creation and the hostile-input corpus at every endpoint
// that reads a body. Then no metric label, span name or attribute, or log line holds a
// token, a session or approver credential, a card number or CVC, a user id or a
// parameter value.

import { Writable } from 'node:stream';
import { type RunningServer, serve } from '@handshake/core/node';
import { generateSigningKey, hashParams, signExecute } from '@handshake/protocol';
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVALID_UTF8, MALFORMED } from '../../core/test/hostile/corpus.js';
import { loadConfig } from './config.js';
import { createLogger } from './logging.js';
import { createService, type Service } from './service.js';
import { startTelemetry, type Telemetry } from './telemetry.js';

const ALICE = 'user-alice-q7x2';
const BOB = 'user-bob-k4m9';
const ALICE_SESSION = 'session-alice-nosecrets-5521';
const BOB_SESSION = 'session-bob-nosecrets-8830';
const APPROVER = 'approver-nosecrets-token-6617';
const FORGED = 'session-forged-nosecrets-9904';
const CAPTURE = '3C679366HH908993F';
const MERCHANT = 'Merchant Sentinel Books';
const key = generateSigningKey();

// biome-ignore lint/suspicious/noExplicitAny: the test reads arbitrary JSON answers field by field
type Body = Record<string, any>;

const lines: string[] = [];
const spans = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
});
let metrics: Telemetry;
let service: Service;
let running: RunningServer;
let base: string;
/** Secrets seen during the run: every one must be absent from what was recorded. */
const secrets = new Set<string>([
  ALICE,
  BOB,
  ALICE_SESSION,
  BOB_SESSION,
  APPROVER,
  FORGED,
  CAPTURE,
  MERCHANT,
  key.privateKey,
]);
/** Short secrets (a CVC): absent as a whole value, since their digits can occur in any number. */
const shortSecrets = new Set<string>();
/** Tool names the service registered: the only ones a metric may name. */
let registeredTools: Set<string>;

async function call(
  method: string,
  path: string,
  body?: string | Uint8Array | Body,
  credential?: string,
) {
  const raw = body === undefined || typeof body === 'string' || body instanceof Uint8Array;
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
    ...(body === undefined ? {} : { body: raw ? (body as BodyInit) : JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: Body = {};
  try {
    json = JSON.parse(text) as Body;
  } catch {
    // Not JSON: the status says enough.
  }
  return { status: response.status, body: json };
}

const sign = (tool: string, parameters: unknown, transactionId: string) => ({
  keyId: 'laptop',
  value: signExecute(key.privateKey, { tool, paramsHash: hashParams(parameters), transactionId }),
});

/** Reads an approval's event stream until the service ends it; answers the last event. */
async function waitByStream(approvalId: string, credential: string, decide: () => Promise<void>) {
  const response = await fetch(`${base}/approvals/${approvalId}`, {
    headers: { authorization: `Bearer ${credential}`, accept: 'text/event-stream' },
  });
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  // The first event (pending) arrives before anyone decides.
  while (!text.includes('\n\n')) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await decide();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  const data = text
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => JSON.parse(line.slice(5)) as Body);
  return data.at(-1)!;
}

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const config = loadConfig({
    HANDSHAKE_METRICS_PORT: '0',
    HANDSHAKE_SESSIONS: `${ALICE}:${ALICE_SESSION},${BOB}:${BOB_SESSION}`,
    HANDSHAKE_KEYS: `${ALICE}:laptop:${key.publicKey}`,
    HANDSHAKE_APPROVER_TOKEN: APPROVER,
    HANDSHAKE_LIMITS: '{"currency":"USD","daily":"1000.00"}',
    HANDSHAKE_LOG_LEVEL: 'debug',
  });
  expect(config.logLevel).toBe('debug');
  metrics = (await startTelemetry(config.telemetry))!;
  /** How many of the next writes fail. */
  let failing = 0;
  service = await createService(config, {
    telemetry: { meterProvider: metrics.meterProvider!, tracerProvider },
    logger: createLogger(
      config.logLevel,
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(...String(chunk).split('\n').filter(Boolean));
          done();
        },
      }),
    ),
    // Fails twice as the corpus starts (a PUBLIC call and refusals, which never wait for
    // the trail), so the service logs failed audit writes too.
    audit: [
      {
        specificationVersion: 'v1',
        write: () => {
          if (failing > 0) {
            failing -= 1;
            throw new Error('audit store unreachable');
          }
        },
      },
    ],
  });
  running = await serve(service.handler, { port: 0, hostname: '127.0.0.1' });
  base = `http://127.0.0.1:${running.port}`;
  registeredTools = new Set(
    ((await call('GET', '/tools')).body.tools as Array<{ name: string }>).map((t) => t.name),
  );

  // A full RESTRICTED handshake: requested, waited for over SSE, approved, executed.
  const refund = { capture_id: CAPTURE, amount: { currency_code: 'USD', value: '5.00' } };
  const pending = await call(
    'POST',
    '/authorize',
    { tool: 'create_refund', parameters: refund },
    ALICE_SESSION,
  );
  expect(pending.status).toBe(202);
  const { approvalId, transactionId } = pending.body;
  const approved = await waitByStream(approvalId, ALICE_SESSION, async () => {
    const decided = await call(
      'POST',
      `/approvals/${approvalId}/decision`,
      { decision: 'approve' },
      APPROVER,
    );
    expect(decided, JSON.stringify(decided.body)).toMatchObject({ status: 200 });
  });
  expect(approved.status).toBe('approved');
  const token = String(approved.ephemeralToken);
  secrets.add(token);
  const executed = await call(
    'POST',
    '/execute',
    {
      ephemeralToken: token,
      tool: 'create_refund',
      parameters: refund,
      transactionId,
      signature: sign('create_refund', refund, transactionId),
    },
    ALICE_SESSION,
  );
  expect(executed.status).toBe(200);

  // Refusals: the token replayed, unsigned, a forged session, a tool named like a secret,
  // the token in a path and in a tool name.
  const replay = { ephemeralToken: token, tool: 'create_refund', parameters: refund };
  expect((await call('POST', '/execute', replay, ALICE_SESSION)).status).toBeGreaterThanOrEqual(
    400,
  );
  expect(
    (await call('POST', '/authorize', { tool: 'create_refund', parameters: refund }, FORGED))
      .status,
  ).toBe(401);
  await call('POST', '/authorize', { tool: `tool_${CAPTURE}`, parameters: {} }, ALICE_SESSION);
  await call('POST', '/authorize', { tool: token, parameters: refund }, ALICE_SESSION);
  await call('GET', `/approvals/${token}`, undefined, ALICE_SESSION);
  await call('GET', `/${ALICE_SESSION}/${CAPTURE}`, undefined, ALICE_SESSION);
  const product = { name: MERCHANT, type: 'PHYSICAL' };
  const unsigned = await call(
    'POST',
    '/authorize',
    { tool: 'create_product', parameters: product },
    ALICE_SESSION,
  );
  secrets.add(String(unsigned.body.ephemeralToken));
  // Unsigned, from a user whose key is registered: SIGNATURE_INVALID.
  const forged = await call(
    'POST',
    '/execute',
    { ephemeralToken: unsigned.body.ephemeralToken, tool: 'create_product', parameters: product },
    ALICE_SESSION,
  );
  expect(forged.body.error?.code).toBe('SIGNATURE_INVALID');

  // A denial: bob's refund.
  const bobs = await call(
    'POST',
    '/authorize',
    { tool: 'create_refund', parameters: refund },
    BOB_SESSION,
  );
  expect(bobs.status).toBe(202);
  await call('POST', `/approvals/${bobs.body.approvalId}/decision`, { decision: 'deny' }, APPROVER);
  expect(
    (await call('GET', `/approvals/${bobs.body.approvalId}`, undefined, BOB_SESSION)).body,
  ).toMatchObject({ status: 'denied' });

  // A card creation through the spend API, its number and CVC kept by the test.
  const validation = await call(
    'POST',
    '/api/mcp/validate-transaction',
    { merchant: { name: MERCHANT }, amount: 42.5, currency: 'USD' },
    ALICE_SESSION,
  );
  expect(validation.body.status).toBe('auto_approved');
  secrets.add(String(validation.body.validation_token));
  const purchase = { merchant_name: MERCHANT, amount: { value: '42.50', currency: 'USD' } };
  const card = await call(
    'POST',
    '/api/mcp/create-virtual-card',
    {
      validation_token: validation.body.validation_token,
      merchant_name: MERCHANT,
      transaction_amount: '42.50',
      transaction_currency: 'USD',
      card_amount: '42.50',
      card_currency: 'USD',
      transaction_id: validation.body.transaction_id,
      signature: sign('create_virtual_card', purchase, validation.body.transaction_id),
    },
    ALICE_SESSION,
  );
  expect(card.status).toBe(200);
  secrets.add(String(card.body.cardNumber));
  shortSecrets.add(String(card.body.cvc));
  await call(
    'POST',
    '/api/mcp/mock-checkout',
    {
      card_details: {
        card_number: card.body.cardNumber,
        cvc: card.body.cvc,
        exp_month: card.body.expMonth,
        exp_year: card.body.expYear,
      },
      customer_details: card.body.customer,
      amount: '42.50',
      currency: 'USD',
    },
    ALICE_SESSION,
  );

  // The hostile-input corpus at every endpoint that reads a body.
  const endpoints: Array<[string, string]> = [
    ['/authorize', ALICE_SESSION],
    ['/execute', ALICE_SESSION],
    [`/approvals/${bobs.body.approvalId}/decision`, APPROVER],
    ['/api/mcp/validate-transaction', ALICE_SESSION],
    ['/api/mcp/create-virtual-card', ALICE_SESSION],
    ['/api/mcp/mock-checkout', ALICE_SESSION],
  ];
  failing = 2;
  await call(
    'POST',
    '/authorize',
    { tool: 'get_exchange_rate', parameters: { from: 'EUR' } },
    BOB_SESSION,
  );
  for (const bad of [...MALFORMED, ...INVALID_UTF8]) {
    for (const [path, credential] of endpoints) {
      const answer = await call('POST', path, bad.body, credential);
      expect(answer.status, `${bad.name} at ${path}`).toBeGreaterThanOrEqual(400);
      expect(answer.status, `${bad.name} at ${path}`).toBeLessThan(500);
    }
  }
  // The corpus once more, with the secrets inside the bodies.
  for (const [path, credential] of endpoints) {
    await call('POST', path, `{"ephemeralToken":"${token}","tool":"${CAPTURE}"`, credential);
    await call(
      'POST',
      path,
      { ephemeralToken: token, card_number: card.body.cardNumber },
      credential,
    );
  }
  await service.engine.flushAudit();
}, 60_000);

afterAll(async () => {
  await running?.close();
  await service?.close();
  await metrics?.close();
  await tracerProvider.shutdown();
  context.disable();
  propagation.disable();
});

/** Every string and number inside `value`, as text. */
function leaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
    out.push(String(value));
  } else if (Array.isArray(value)) {
    for (const item of value) leaves(item, out);
  } else if (value && typeof value === 'object') {
    for (const [name, item] of Object.entries(value)) {
      out.push(name);
      leaves(item, out);
    }
  }
  return out;
}

/** Asserts that no recorded value holds a secret (or is a short one). */
function expectNoSecret(where: string, recorded: string[]) {
  expect(recorded.length, where).toBeGreaterThan(0);
  for (const value of recorded) {
    for (const secret of secrets) expect(value, where).not.toContain(secret);
    for (const secret of shortSecrets) expect(value, where).not.toBe(secret);
  }
}

describe('with everything on and logging at debug, under hostile input', () => {
  it('the log lines are JSON with the level asked for, and hold no secret', () => {
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    // Every request logged at debug (20), inside its trace; failed audit writes at error (50).
    const requests = parsed.filter((line) => line.msg === 'request');
    expect(requests.length).toBeGreaterThan(200);
    expect(requests.every((line) => line.level === 20)).toBe(true);
    expect(requests.every((line) => typeof line.trace_id === 'string')).toBe(true);
    expect(requests.map((line) => line.code)).toEqual(
      expect.arrayContaining(['UNAUTHORIZED', 'VALIDATION_ERROR', 'SIGNATURE_INVALID']),
    );
    expect(parsed.some((line) => String(line.msg).startsWith('audit event not written'))).toBe(
      true,
    );
    expectNoSecret('log lines', lines);
    expectNoSecret(
      'log values',
      parsed.flatMap((line) => leaves(line)),
    );
  });

  it('no metric label holds a secret, and every label comes from a fixed set', async () => {
    const text = await (await fetch(metrics.metricsUrl!)).text();
    const labels: Array<[string, string]> = [];
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
      expect(sample, line).not.toBeNull();
      for (const pair of (sample![2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
        labels.push([pair[1]!, pair[2]!]);
      }
    }
    const values = (name: string) => new Set(labels.filter(([n]) => n === name).map(([, v]) => v));
    // Each metric the run should have produced, so an empty scrape cannot pass.
    for (const family of [
      'handshake_authorizations_total',
      'handshake_executions_total',
      'handshake_approval_decisions_total',
      'handshake_refusals_total',
      'handshake_card_creations_total',
      'handshake_spend_reserved_total',
      'handshake_approval_wait_duration_count',
      'handshake_store_operation_duration_count',
      'handshake_audit_write_failures_total',
    ]) {
      expect(text, family).toMatch(new RegExp(`^${family}\\{`, 'm'));
    }
    expect(values('handshake_decision')).toEqual(new Set(['approved', 'denied']));
    expect(values('handshake_wait_channel')).toEqual(new Set(['sse', 'poll']));
    for (const tool of values('handshake_tool')) expect(registeredTools).toContain(tool);
    for (const code of values('error_type')) expect(code).toMatch(/^[A-Za-z_0-9]{1,40}$/);
    for (const route of values('http_route')) {
      expect(route).toMatch(/^(_OTHER|\/[a-z\-/:]*)$/);
    }
    expectNoSecret('metric labels', labels.flat());
  });

  it('no span name, attribute, event or status holds a secret', () => {
    const finished = spans.getFinishedSpans();
    const names = new Set(finished.map((span) => span.name));
    for (const name of [
      'POST /authorize',
      'handshake.authorize',
      'handshake.execute',
      'handshake.decide',
      'handshake.policy signature',
      'handshake.store authorize',
      'handshake.tool create_refund',
      'handshake.card.create',
    ]) {
      expect(names, name).toContain(name);
    }
    expectNoSecret(
      'spans',
      finished.flatMap((span) =>
        leaves([span.name, span.attributes, span.events, span.status, span.links]),
      ),
    );
  });
});
