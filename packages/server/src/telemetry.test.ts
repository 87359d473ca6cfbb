import { Writable } from 'node:stream';
import { type RunningServer, serve } from '@handshake/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { exchangeRateTool } from './demo-tools.js';
import { createLogger } from './logging.js';
import { createService, type Service } from './service.js';
import { startTelemetry, type Telemetry } from './telemetry.js';

const SESSION = 'session-alice-telemetry-0123';
const FORGED = 'session-forged-telemetry-0123';

/** Log lines, as the service wrote them. */
const lines: string[] = [];
const capture = new Writable({
  write(chunk, _encoding, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});

let telemetry: Telemetry;
let service: Service;
let running: RunningServer;
let base: string;
let ephemeralToken = '';

const post = async (path: string, body: unknown, credential?: string) => {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  const config = loadConfig({
    HANDSHAKE_METRICS_PORT: '0',
    HANDSHAKE_SESSIONS: `alice:${SESSION}`,
    HANDSHAKE_LOG_LEVEL: 'debug',
  });
  telemetry = (await startTelemetry(config.telemetry))!;
  let failures = 0;
  service = await createService(config, {
    telemetry,
    logger: createLogger(config.logLevel, capture),
    tools: [exchangeRateTool()],
    // An audit sink that fails its first writes, so the service has something to log.
    audit: [
      {
        specificationVersion: 'v1',
        write: () => {
          failures += 1;
          if (failures <= 2) throw new Error('audit store unreachable');
        },
      },
    ],
  });
  running = await serve(service.handler, { port: 0, hostname: '127.0.0.1' });
  base = `http://127.0.0.1:${running.port}`;

  const parameters = { from: 'EUR', to: 'USD' };
  const auth = await post('/authorize', { tool: 'get_exchange_rate', parameters }, SESSION);
  ephemeralToken = String(auth.body.ephemeralToken);
  await post('/execute', { ephemeralToken, tool: 'get_exchange_rate', parameters }, SESSION);
  await post('/authorize', { tool: 'get_exchange_rate', parameters }, FORGED);
  await fetch(`${base}/approvals/ap_not_a_route_value`);
  await service.engine.flushAudit();
});

afterAll(async () => {
  await running?.close();
  await service?.close();
  await telemetry?.close();
});

describe('Prometheus metrics', () => {
  it('are served on their own loopback listener, and parse as the Prometheus text format', async () => {
    expect(telemetry.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const response = await fetch(telemetry.metricsUrl!);
    expect(response.status).toBe(200);
    const families = parsePrometheusText(await response.text());
    const family = (name: string) => families.get(name);

    const authorizations = family('handshake_authorizations_total');
    expect(authorizations?.type).toBe('counter');
    expect(authorizations?.samples).toEqual([
      {
        name: 'handshake_authorizations_total',
        labels: expect.objectContaining({
          handshake_tool: 'get_exchange_rate',
          handshake_tier: 'PUBLIC',
          handshake_outcome: 'authorized',
        }),
        value: 1,
      },
    ]);
    const refusals = family('handshake_refusals_total');
    expect(refusals?.samples.map((m) => m.labels.error_type)).toContain('UNAUTHORIZED');
    const http = family('http_server_request_duration');
    expect(http?.type).toBe('histogram');
    const routes = http?.samples
      .filter((m) => m.name === 'http_server_request_duration_count')
      .map((m) => m.labels.http_route);
    expect(routes).toEqual(expect.arrayContaining(['/authorize', '/execute', '/approvals/:id']));
    const store = family('handshake_store_operation_duration');
    expect(store?.samples.map((m) => m.labels.handshake_store)).toContain('memory');
    expect(family('handshake_approvals_pending')?.samples[0]?.value).toBe(0);
    const failures = family('handshake_audit_write_failures_total')?.samples;
    expect(failures?.reduce((sum, m) => sum + m.value, 0)).toBe(2);
    const executed = family('handshake_execute_duration')?.samples.find((m) =>
      m.name.endsWith('_count'),
    );
    expect(executed).toMatchObject({ labels: { handshake_outcome: 'completed' }, value: 1 });
  });

  it('are not on the public listener', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
  });

  it('hold no credential, token, user id or parameter value, and neither do the logs', async () => {
    const text = await (await fetch(telemetry.metricsUrl!)).text();
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.some((line) => JSON.parse(line).msg.startsWith('audit event not written'))).toBe(
      true,
    );
    for (const recorded of [text, lines.join('\n')]) {
      for (const secret of [SESSION, FORGED, ephemeralToken, 'alice', 'EUR', 'ap_not_a_route']) {
        expect(recorded).not.toContain(secret);
      }
    }
  });
});

describe('telemetry configuration', () => {
  it('is off unless asked for, and refuses a bad port or log level', async () => {
    expect(await startTelemetry(loadConfig({}).telemetry)).toBeUndefined();
    expect(loadConfig({}).telemetry.metricsHost).toBe('127.0.0.1');
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).telemetry.otlpTraces,
    ).toBe(true);
    for (const [env, variable] of [
      [{ HANDSHAKE_METRICS_PORT: 'nine' }, 'HANDSHAKE_METRICS_PORT'],
      [{ HANDSHAKE_METRICS_PORT: '70000' }, 'HANDSHAKE_METRICS_PORT'],
      [{ HANDSHAKE_LOG_LEVEL: 'loud' }, 'HANDSHAKE_LOG_LEVEL'],
    ] as const) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}:`));
    }
  });
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses the Prometheus text exposition format (version 0.0.4): `# TYPE` lines open a
 * family, and each sample line is `name{label="value",…} number`. Throws on a line it
 * cannot read, so a malformed answer fails the test.
 */
function parsePrometheusText(text: string): Map<string, { type: string; samples: Sample[] }> {
  const families = new Map<string, { type: string; samples: Sample[] }>();
  let current: { type: string; samples: Sample[] } | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type =
      /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      current = { type: type[2]!, samples: [] };
      families.set(type[1]!, current);
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!sample || !current) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    const pairs = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/g;
    for (const pair of (sample[2] ?? '').matchAll(pairs)) labels[pair[1]!] = pair[2]!;
    const value = Number(sample[3]);
    if (Number.isNaN(value) && sample[3] !== 'NaN') throw new Error(`not a number: ${line}`);
    current.samples.push({ name: sample[1]!, labels, value });
  }
  return families;
}
