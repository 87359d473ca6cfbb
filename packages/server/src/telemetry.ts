import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TelemetryOptions } from '@handshake/core/opentelemetry';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/** Where the service's metrics and traces go; see docs/observability.md. */
export interface TelemetryConfig {
  /** Serve Prometheus metrics on this port (0: any free port); none: no metrics. */
  metricsPort: number | undefined;
  /** Address of the metrics listener (default loopback). */
  metricsHost: string;
  /** Export traces over OTLP/HTTP (the standard `OTEL_EXPORTER_OTLP_*` variables). */
  otlpTraces: boolean;
  /** `service.name` of the traces and metrics. */
  serviceName: string;
}

/** The running telemetry: providers for the instrumentation, and where metrics are served. */
export interface Telemetry extends TelemetryOptions {
  /** `http://host:port/metrics`, when metrics are on. */
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK the configuration asks for: a Prometheus exporter on its
 * own listener, never on the public one, and OTLP traces. Returns undefined when
 * neither is on, so the service is not instrumented at all.
 */
export async function startTelemetry(config: TelemetryConfig): Promise<Telemetry | undefined> {
  if (config.metricsPort === undefined && !config.otlpTraces) return undefined;
  const resource = resourceFromAttributes({ 'service.name': config.serviceName });
  const closers: Array<() => Promise<void>> = [];
  let meterProvider: MeterProvider | undefined;
  let metricsUrl: string | undefined;
  if (config.metricsPort !== undefined) {
    // The exporter's own server cannot tell its port; ours can, and answers only /metrics.
    const exporter = new PrometheusExporter({ preventServerStart: true });
    meterProvider = new MeterProvider({ resource, readers: [exporter] });
    const server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://metrics').pathname;
      if (path === '/metrics' && (request.method === 'GET' || request.method === 'HEAD')) {
        exporter.getMetricsRequestHandler(request, response);
        return;
      }
      response.statusCode = 404;
      response.end();
    });
    const port = await listen(server, config.metricsPort, config.metricsHost);
    const host = config.metricsHost.includes(':') ? `[${config.metricsHost}]` : config.metricsHost;
    metricsUrl = `http://${host}:${port}/metrics`;
    const provider = meterProvider;
    closers.push(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await provider.shutdown();
    });
  }
  let tracerProvider: TracerProvider | undefined;
  if (config.otlpTraces) {
    tracerProvider = new TracerProvider({
      resource,
      spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
    });
    // Parent and child spans need the async context; the agent's traceparent needs W3C.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(tracerProvider);
    const provider = tracerProvider;
    closers.push(() => provider.shutdown());
  }
  return {
    ...(meterProvider ? { meterProvider } : {}),
    ...(tracerProvider ? { tracerProvider } : {}),
    metricsUrl,
    close: async () => {
      await Promise.all(closers.map((close) => close()));
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
