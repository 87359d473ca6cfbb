// The Grafana dashboard in docs/ asks only for series the service really exposes: every
// metric its queries read, and every label they group or filter by, is found in a
// scrape of /metrics after a full handshake, a denial, a refusal, a card creation and a
// charge on the card.

import { readFileSync } from 'node:fs';
import { createHandshakeClient } from '@handshake/client';
import { type RunningServer, serve } from '@handshake/core/node';
import { generateSigningKey } from '@handshake/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createLogger } from './logging.js';
import { createService, type Service } from './service.js';
import { startTelemetry, type Telemetry } from './telemetry.js';

const SESSION = 'session-alice-dashboard-0123';
const APPROVER = 'approver-dashboard-token-0123';
const key = generateSigningKey();
const dashboard = JSON.parse(
  readFileSync(new URL('../../../docs/grafana-dashboard.json', import.meta.url), 'utf8'),
) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };

let telemetry: Telemetry;
let service: Service;
let running: RunningServer;
/** Series name → the label names seen on its samples. */
let exposed: Map<string, Set<string>>;

beforeAll(async () => {
  const config = loadConfig({
    HANDSHAKE_METRICS_PORT: '0',
    HANDSHAKE_SESSIONS: `alice:${SESSION}`,
    HANDSHAKE_KEYS: `alice:laptop:${key.publicKey}`,
    HANDSHAKE_APPROVER_TOKEN: APPROVER,
    HANDSHAKE_LIMITS: '{"currency":"USD","daily":"1000.00"}',
    HANDSHAKE_LOG_LEVEL: 'silent',
    // Stripe Issuing, its API simulated in process: card authorizations come from its events.
    HANDSHAKE_CARD_ISSUER: 'stripe',
    STRIPE_SECRET_KEY: 'sk_test_51ExampleExampleExample0000',
    STRIPE_WEBHOOK_SECRET: 'whsec_ExampleExampleExample0000',
    STRIPE_API: 'simulated',
  });
  telemetry = (await startTelemetry(config.telemetry))!;
  let failNext = false;
  service = await createService(config, {
    telemetry,
    logger: createLogger('silent'),
    // Fails one write once the flows below are done, so the audit failure counter has
    // a series without refusing any of them.
    audit: [
      {
        specificationVersion: 'v1',
        write: () => {
          if (!failNext) return;
          failNext = false;
          throw new Error('audit store unreachable');
        },
      },
    ],
  });
  running = await serve(service.handler, { port: 0, hostname: '127.0.0.1' });
  const base = `http://127.0.0.1:${running.port}`;
  const client = createHandshakeClient({
    baseUrl: base,
    session: SESSION,
    signer: { keyId: 'laptop', privateKey: key.privateKey },
  });

  // A full handshake against the simulated PayPal.
  await client.call('create_product', { name: 'Dashboard mug', type: 'PHYSICAL' });
  // A denial.
  const { ids } = service.paypalSimulator!.state;
  const pending = await client.authorize('create_refund', {
    capture_id: ids.captureId,
    amount: { currency_code: 'USD', value: '5.00' },
  });
  if (pending.status !== 'pending') throw new Error('expected a pending approval');
  // The requester listens for the decision on a live stream, and reads it once more.
  const listening = await fetch(`${base}/approvals/${pending.approvalId}`, {
    headers: { authorization: `Bearer ${SESSION}`, accept: 'text/event-stream' },
  });
  expect(listening.status).toBe(200);
  const denied = await fetch(`${base}/approvals/${pending.approvalId}/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${APPROVER}` },
    body: JSON.stringify({ decision: 'deny', channel: 'console' }),
  });
  expect(denied.status).toBe(200);
  expect(await listening.text()).toContain('"status":"denied"');
  const read = await fetch(`${base}/approvals/${pending.approvalId}`, {
    headers: { authorization: `Bearer ${SESSION}` },
  });
  expect(((await read.json()) as { status: string }).status).toBe('denied');
  // A refusal.
  const refused = await fetch(`${base}/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer session-forged-01' },
    body: JSON.stringify({ tool: 'get_exchange_rate', parameters: {} }),
  });
  expect(refused.status).toBe(401);
  // A card creation through the spend API.
  const validation = await client.spend.validateTransaction({
    merchant: 'Dashboard Books',
    amount: '30.00',
    currency: 'USD',
  });
  const card = await client.spend.createVirtualCard(validation);
  // A merchant's charge on it, which the card issuer decides.
  await client.spend.mockCheckout({ card, amount: '24.00' });
  await service.cardEventsDelivered();
  await service.engine.flushAudit();
  // A refusal of alice's (a tool that does not exist) whose audit event cannot be written.
  failNext = true;
  const unwritten = await fetch(`${base}/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SESSION}` },
    body: JSON.stringify({ tool: 'no_such_tool', parameters: {} }),
  });
  expect(unwritten.status).toBe(403);
  await service.engine.flushAudit();
  expect(failNext).toBe(false);

  const text = await (await fetch(telemetry.metricsUrl!)).text();
  exposed = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (!sample) throw new Error(`not a Prometheus sample: ${line}`);
    const labels = exposed.get(sample[1]!) ?? new Set<string>();
    for (const pair of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) {
      labels.add(pair[1]!);
    }
    exposed.set(sample[1]!, labels);
  }
}, 60_000);

afterAll(async () => {
  await running?.close();
  await service?.close();
  await telemetry?.close();
});

/** PromQL words of the dashboard's queries that are not series names. */
const PROMQL = new Set([
  'sum',
  'max',
  'by',
  'rate',
  'increase',
  'histogram_quantile',
  '__rate_interval',
  '__range',
]);

/** The series one query reads and the labels it groups or filters by. */
function readsOf(expr: string) {
  const grouped = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) =>
    m[1]!.split(',').map((label) => label.trim()),
  );
  const filtered = [...expr.matchAll(/\{([^}]*)\}/g)].flatMap((m) =>
    [...m[1]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=|!=|=~|!~)/g)].map((l) => l[1]!),
  );
  const bare = expr
    .replace(/\bby \([^)]*\)/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const series = [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((word) => !PROMQL.has(word));
  // `le` is the bucket label of a histogram, grouped by to compute a quantile.
  return { series, labels: [...grouped, ...filtered].filter((label) => label !== 'le') };
}

const queries = dashboard.panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({ title: panel.title, expr: target.expr })),
);

describe('the Grafana dashboard', () => {
  it('has queries to check', () => {
    expect(queries.length).toBeGreaterThan(10);
  });

  it.each(queries)('$title: $expr reads series the service exposes', ({ expr }) => {
    const { series, labels } = readsOf(expr);
    expect(series.length).toBeGreaterThan(0);
    for (const name of series) {
      expect(exposed.has(name), `${name} is not exposed`).toBe(true);
      const seen = exposed.get(name)!;
      for (const label of labels) {
        // A store that never failed has no failure series; the label is the documented
        // `error.type` of a failed operation, which the store tests record.
        if (name.startsWith('handshake_store_operation_') && label === 'error_type') continue;
        expect(seen.has(label), `${name} has no label ${label}`).toBe(true);
      }
    }
  });
});
