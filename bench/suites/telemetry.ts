import { MemoryStore } from '@handshake/core';
import {
  auditFailureMetrics,
  engineObserver,
  instrumentEngine,
  instrumentStore,
  instrumentToolProvider,
  metricsAuditSink,
  type TelemetryOptions,
} from '@handshake/core/opentelemetry';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  benchEngine,
  benchTools,
  discardingSink,
  handshake,
  steppingClock,
  tierCalls,
} from '../lib/fixtures.js';
import { collectGarbage } from '../lib/measure.js';
import { duration, printLine, printTable, times } from '../lib/report.js';
import { minMedian, ratioText, recordTarget } from '../lib/targets.js';

const ROUNDS = Number(process.env.BENCH_TELEMETRY_ROUNDS ?? 5);
const CALLS = Number(process.env.BENCH_TELEMETRY_CALLS ?? 3_000);
const PAIRS = Number(process.env.BENCH_TELEMETRY_PAIRS ?? 20_000);

/** A metric reader that only aggregates: what a Prometheus exporter holds between scrapes. */
class HoldingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** A span exporter that drops what it is given, after the SDK built and batched it. */
const droppingExporter: SpanExporter = {
  export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: async () => {},
};

type Variant = 'plain' | 'api' | 'sdk';

/** The bench engine, plain or with every instrument on (recording into `telemetry`). */
function engineOf(variant: Variant, telemetry: TelemetryOptions, clock: { now(): number }) {
  if (variant === 'plain') return benchEngine(new MemoryStore(), clock);
  return instrumentEngine(
    benchEngine(instrumentStore(new MemoryStore(), { name: 'memory', ...telemetry }), clock, {
      tools: instrumentToolProvider(benchTools(), telemetry),
      audit: [discardingSink, metricsAuditSink(telemetry)],
      onAuditError: auditFailureMetrics(telemetry),
      observer: engineObserver(telemetry),
    }),
    telemetry,
  );
}

/** CPU µs per full handshake of `call` on a fresh engine, over `CALLS` handshakes. */
async function cpuPerHandshake(
  variant: Variant,
  telemetry: TelemetryOptions,
  call: ReturnType<typeof tierCalls>[number],
): Promise<number> {
  const clock = steppingClock();
  const engine = engineOf(variant, telemetry, clock);
  await engine.ready();
  const run = handshake(engine, call);
  for (let i = 0; i < CALLS / 5; i++) {
    clock.tick();
    await run();
  }
  collectGarbage();
  const before = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) {
    clock.tick();
    await run();
  }
  const used = process.cpuUsage(before);
  await engine.close();
  return (used.user + used.system) / CALLS;
}

/**
 * The median wall time of one handshake of `call`, plain and with every instrument on
 * and only the API, the two alternating handshake by handshake (in either order) on two
 * engines. On a busy machine the rounds above swing by a quarter between runs of the
 * same code: load comes and goes over seconds. A single handshake takes about a tenth of
 * a millisecond, so most of them run undisturbed, and alternating them one by one
 * exposes both variants to the same load; the median drops the disturbed ones.
 */
async function interleavedMedians(
  call: ReturnType<typeof tierCalls>[number],
): Promise<{ plain: number; api: number }> {
  const clocks = { plain: steppingClock(), api: steppingClock() };
  const engines = {
    plain: engineOf('plain', {}, clocks.plain),
    api: engineOf('api', {}, clocks.api),
  };
  await engines.plain.ready();
  await engines.api.ready();
  const runs = { plain: handshake(engines.plain, call), api: handshake(engines.api, call) };
  const samples: Record<'plain' | 'api', number[]> = { plain: [], api: [] };
  const order: Array<Array<'plain' | 'api'>> = [
    ['plain', 'api'],
    ['api', 'plain'],
  ];
  for (let i = -PAIRS / 10; i < PAIRS; i++) {
    for (const variant of order[i & 1]!) {
      clocks[variant].tick();
      const start = performance.now();
      await runs[variant]();
      if (i >= 0) samples[variant].push(performance.now() - start);
    }
  }
  await engines.plain.close();
  await engines.api.close();
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]!;
  return { plain: median(samples.plain) * 1000, api: median(samples.api) * 1000 };
}

/**
 * (8) What OpenTelemetry costs a handshake: the in-process handshake plain, with every
 * instrument on and only `@opentelemetry/api` (no SDK registered: no-op meters and
 * tracers), and with the SDK recording (a meter provider aggregating every metric, a
 * tracer provider batching every span to an exporter that drops them, and the async
 * context manager that parents them). The three alternate, round after round; each
 * ratio is against the plain run of its round. CPU time per handshake.
 */
export async function telemetrySuite(): Promise<void> {
  const meterProvider = new MeterProvider({ readers: [new HoldingReader()] });
  const tracerProvider = new TracerProvider({
    spanProcessors: [new BatchSpanProcessor({ exporter: droppingExporter })],
  });
  const sdk: TelemetryOptions = { meterProvider, tracerProvider };
  const contextManager = new AsyncLocalStorageContextManager();
  const rows: string[][] = [];
  const interleaved: string[][] = [];
  const calls = tierCalls().filter((call) => call.tier === 'PUBLIC' || call.tier === 'INTERNAL');
  try {
    for (const call of calls) {
      const runs: Record<Variant, number[]> = { plain: [], api: [], sdk: [] };
      for (let round = 0; round < ROUNDS; round++) {
        runs.plain.push(await cpuPerHandshake('plain', {}, call));
        runs.api.push(await cpuPerHandshake('api', {}, call));
        context.setGlobalContextManager(contextManager.enable());
        try {
          runs.sdk.push(await cpuPerHandshake('sdk', sdk, call));
        } finally {
          context.disable();
        }
      }
      const ratio = (variant: 'api' | 'sdk') => runs[variant].map((v, i) => v / runs.plain[i]!);
      const median = (variant: Variant) => minMedian(runs[variant]).median;
      rows.push([
        `${call.tier} ${call.tool}`,
        duration(median('plain') * 1000),
        duration(median('api') * 1000),
        times(minMedian(ratio('api')).median),
        duration(median('sdk') * 1000),
        times(minMedian(ratio('sdk')).median),
      ]);
      recordTarget({
        measure: `in-process ${call.tier} handshake, CPU, every instrument on with only @opentelemetry/api`,
        baseline: `not instrumented: ${duration(median('plain') * 1000)}`,
        ours: duration(median('api') * 1000),
        ratio: ratioText(ratio('api')),
        target: `< ${times(1.05)}`,
        met: minMedian(ratio('api')).median < 1.05,
      });
      const pair = await interleavedMedians(call);
      interleaved.push([
        `${call.tier} ${call.tool}`,
        duration(pair.plain * 1000),
        duration(pair.api * 1000),
        times(pair.api / pair.plain),
      ]);
      recordTarget({
        measure: `in-process ${call.tier} handshake, median wall time, alternating one by one, only @opentelemetry/api`,
        baseline: `not instrumented: ${duration(pair.plain * 1000)}`,
        ours: duration(pair.api * 1000),
        ratio: times(pair.api / pair.plain),
        target: `< ${times(1.05)}`,
        met: pair.api / pair.plain < 1.05,
      });
      recordTarget({
        measure: `in-process ${call.tier} handshake, CPU, with the OpenTelemetry SDK recording`,
        baseline: `not instrumented: ${duration(median('plain') * 1000)}`,
        ours: duration(median('sdk') * 1000),
        ratio: ratioText(ratio('sdk')),
        target: 'reported',
        met: undefined,
      });
    }
  } finally {
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
  }
  printTable({
    title: '8. What OpenTelemetry costs an in-process handshake (CPU per handshake)',
    columns: ['call', 'plain', 'API only', 'ratio', 'SDK recording', 'ratio'],
    rows,
    notes: [
      `Median over ${ROUNDS} alternating rounds of ${CALLS} handshakes each (MemoryStore);`,
      'ratio = the median of per-round ratios against the plain run of the same round.',
      'Instrumented: instrumentEngine, instrumentStore, instrumentToolProvider,',
      'metricsAuditSink, auditFailureMetrics and engineObserver. API only: no SDK',
      'registered, every instrument a no-op. SDK: metrics aggregated, spans batched to an',
      'exporter that drops them, async context manager on.',
    ],
  });
  printTable({
    title: '8b. Only the API, alternating handshake by handshake (median wall time)',
    columns: ['call', 'plain', 'API only', 'ratio'],
    rows: interleaved,
    notes: [
      `${PAIRS} handshakes of each, plain and instrumented alternating one by one on two`,
      'engines (in either order), after a tenth as many to warm up; the median of each.',
    ],
  });
  printLine('');
}
