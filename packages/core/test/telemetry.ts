import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AggregationTemporality,
  type DataPoint,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { createHandshakeHandler } from '../src/http/handler.js';
import { metricsAuditSink } from '../src/opentelemetry/audit-metrics.js';
import { instrumentEngine } from '../src/opentelemetry/engine.js';
import { instrumentHandler } from '../src/opentelemetry/handler.js';
import { engineObserver } from '../src/opentelemetry/observer.js';
import { instrumentStore } from '../src/opentelemetry/store.js';
import { instrumentToolProvider } from '../src/opentelemetry/tool-provider.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { testEngine, testTools } from './fixtures.js';

/**
 * An OpenTelemetry SDK in memory: metrics are read on demand, spans kept as they end.
 * Registers the async-hooks context manager and the W3C propagator globally.
 */
export function inMemoryTelemetry() {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spans = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
  });

  /** Every data point of every metric, as last collected. */
  async function collect() {
    metricExporter.reset();
    await reader.forceFlush();
    const out: { name: string; unit: string; point: DataPoint<unknown> }[] = [];
    for (const resource of metricExporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          for (const point of metric.dataPoints as DataPoint<unknown>[]) {
            out.push({ name: metric.descriptor.name, unit: metric.descriptor.unit, point });
          }
        }
      }
    }
    return out;
  }

  return {
    meterProvider,
    tracerProvider,
    spans,
    collect,
    /** The points of one metric, with their attributes and values. */
    async points(name: string) {
      return (await collect())
        .filter((entry) => entry.name === name)
        .map((entry) => ({ attributes: entry.point.attributes, value: entry.point.value }));
    },
    async close() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
      context.disable();
      propagation.disable();
    },
  };
}

/** The test engine with every instrument recording into `telemetry`, and its HTTP handler. */
export function instrumentedEngine(
  telemetry: ReturnType<typeof inMemoryTelemetry>,
  overrides: Parameters<typeof testEngine>[0] = {},
) {
  const providers = {
    meterProvider: telemetry.meterProvider,
    tracerProvider: telemetry.tracerProvider,
  };
  const setup = testEngine({
    tools: instrumentToolProvider(testTools().provider, providers),
    store: instrumentStore(new MemoryStore(), { name: 'memory', ...providers }),
    audit: [metricsAuditSink(providers)],
    observer: engineObserver(providers),
    ...overrides,
  });
  const engine = instrumentEngine(setup.engine, providers);
  const handler = instrumentHandler(createHandshakeHandler(engine), providers);
  return { ...setup, engine, handler };
}
