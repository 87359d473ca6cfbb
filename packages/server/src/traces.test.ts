import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { type RunningServer, serve } from '@handshake/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { exchangeRateTool } from './demo-tools.js';
import { createLogger } from './logging.js';
import { createService, type Service } from './service.js';
import { startTelemetry, type Telemetry } from './telemetry.js';

const SESSION = 'session-alice-traces-0123456';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

/** What an OTLP collector on loopback received: the path and body of each export. */
const exports: Array<{ path: string; type: string; body: Buffer }> = [];

/** The part of an OTLP/JSON trace export the test reads. */
interface OtlpTraces {
  resourceSpans: Array<{
    scopeSpans: Array<{
      spans: Array<{ name: string; traceId: string; spanId: string; parentSpanId?: string }>;
    }>;
  }>;
}
const lines: string[] = [];
let collector: Server;
let telemetry: Telemetry;
let service: Service;
let running: RunningServer;
let ephemeralToken = '';
const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;

beforeAll(async () => {
  collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      exports.push({
        path: request.url ?? '',
        type: request.headers['content-type'] ?? '',
        body: Buffer.concat(chunks),
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  // The exporter reads the standard variable itself, as it does in production.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
  const config = loadConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    HANDSHAKE_SESSIONS: `alice:${SESSION}`,
    HANDSHAKE_LOG_LEVEL: 'debug',
  });
  telemetry = (await startTelemetry(config.telemetry))!;
  let writes = 0;
  service = await createService(config, {
    telemetry,
    logger: createLogger(
      config.logLevel,
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(...String(chunk).split('\n').filter(Boolean));
          done();
        },
      }),
    ),
    tools: [exchangeRateTool()],
    // Fails its first write, so a log line is written inside the traced request.
    audit: [
      {
        specificationVersion: 'v1',
        write: () => {
          writes += 1;
          if (writes === 1) throw new Error('audit store unreachable');
        },
      },
    ],
  });
  running = await serve(service.handler, { port: 0, hostname: '127.0.0.1' });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${running.port}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${SESSION}`,
        ...headers,
      },
      body: JSON.stringify(body),
    }).then((response) => response.json() as Promise<Record<string, unknown>>);
  const parameters = { from: 'EUR', to: 'USD' };
  const auth = await post(
    '/authorize',
    { tool: 'get_exchange_rate', parameters },
    { traceparent: TRACEPARENT },
  );
  ephemeralToken = String(auth.ephemeralToken);
  await post('/execute', { ephemeralToken, tool: 'get_exchange_rate', parameters });
  await service.engine.flushAudit();
  await running.close();
  await service.close();
  // Shutting down flushes the batch of spans to the collector.
  await telemetry.close();
});

afterAll(async () => {
  if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
  await new Promise<void>((resolve) => collector?.close(() => resolve()));
});

describe('OTLP traces', () => {
  it('reach the collector, continuing the caller’s traceparent, with the engine and store spans', () => {
    const traces = exports.filter((sent) => sent.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces[0]?.type).toBe('application/json');
    const sent = traces.map((trace) => trace.body.toString('utf8')).join('\n');
    const spans = traces.flatMap((trace) =>
      (JSON.parse(trace.body.toString('utf8')) as OtlpTraces).resourceSpans.flatMap((resource) =>
        resource.scopeSpans.flatMap((scope) => scope.spans),
      ),
    );
    const named = (name: string) => spans.find((span) => span.name === name);
    expect(named('POST /authorize')?.traceId).toBe(TRACE_ID);
    expect(named('handshake.authorize')?.parentSpanId).toBe(named('POST /authorize')?.spanId);
    expect(named('handshake.store authorize')?.parentSpanId).toBe(
      named('handshake.authorize')?.spanId,
    );
    expect(named('handshake.tool get_exchange_rate')?.parentSpanId).toBe(
      named('handshake.execute')?.spanId,
    );
    for (const secret of [SESSION, ephemeralToken, 'alice', 'EUR']) {
      expect(sent).not.toContain(secret);
    }
  });

  it('put the trace id on log lines written inside a traced request', () => {
    const failed = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => String(line.msg).startsWith('audit event not written'));
    expect(failed?.trace_id).toBe(TRACE_ID);
    expect(failed?.span_id).toMatch(/^[0-9a-f]{16}$/);
  });
});
