import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { startGenerator, startService } from '../http/harness.js';
import { ms, perSecond, printTable } from '../lib/report.js';
import { minMedian, ratioText, recordTarget } from '../lib/targets.js';
import { CONCURRENCY } from './http.js';

const ROUNDS = Number(process.env.BENCH_SERVE_ROUNDS ?? 5);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1_000);
const DURATION_MS = Number(process.env.BENCH_SERVE_DURATION_MS ?? 2_000);

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A bare `node:http` server answering every request with exactly `answer`. */
async function bareServer(answer: Answer): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/**
 * (7) `serve()` with the reference service answering `GET /health`, against a bare
 * `node:http` server answering the same status, headers and body: the cost of the
 * adapter and the handler's routing on the cheapest request there is. Runs alternate
 * (bare, serve, bare, serve, …) so both see the same load; each figure is per pair of
 * requests, as the floor of table 4.
 */
export async function serveSuite(): Promise<void> {
  const running = await startService();
  const probe = await fetch(`${running.url}/health`);
  const headers: Record<string, string> = {};
  probe.headers.forEach((value, name) => {
    if (name !== 'date' && name !== 'connection' && name !== 'keep-alive') headers[name] = value;
  });
  const answer: Answer = { status: probe.status, headers, body: await probe.text() };
  const bare = await bareServer(answer);
  const generator = startGenerator();
  const runs: Record<'bare' | 'serve', Array<{ rate: number; cpu: number; p50: number }>> = {
    bare: [],
    serve: [],
  };
  const loads: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, url] of [
        ['bare', bare.url],
        ['serve', running.url],
      ] as const) {
        const before = process.cpuUsage();
        const result = await generator.run({
          url,
          scenario: 'floor',
          concurrency: CONCURRENCY,
          warmupMs: WARMUP_MS,
          durationMs: DURATION_MS,
          sessions: running.sessions,
          client: 'http',
        });
        const cpu = process.cpuUsage(before);
        if (result.errors > 0) throw new Error(`${name}: ${result.firstError}`);
        const sorted = [...result.latencies].sort((a, b) => a - b);
        runs[name].push({
          rate: (result.pairs / result.elapsedMs) * 1000,
          cpu: (cpu.user + cpu.system) / result.totalPairs,
          p50: sorted[sorted.length >> 1] ?? Number.NaN,
        });
      }
      loads.push(loadavg()[0]!);
    }
  } finally {
    generator.close();
    await new Promise<void>((resolve) => bare.server.close(() => resolve()));
    await running.close();
  }
  // Ratios per round (each serve run against the bare run just before it), then min and
  // median over rounds.
  const cpuRatios = runs.serve.map((run, i) => run.cpu / runs.bare[i]!.cpu);
  const rateRatios = runs.serve.map((run, i) => run.rate / runs.bare[i]!.rate);
  const bareCpu = minMedian(runs.bare.map((run) => run.cpu));
  const serveCpu = minMedian(runs.serve.map((run) => run.cpu));
  recordTarget({
    measure: '`serve()` floor (GET /health twice), server CPU per pair',
    baseline: `bare node:http, same bytes: ${bareCpu.min.toFixed(0)} µs / ${bareCpu.median.toFixed(0)} µs`,
    ours: `${serveCpu.min.toFixed(0)} µs / ${serveCpu.median.toFixed(0)} µs`,
    ratio: ratioText(cpuRatios),
    target: '≤ 1.30×',
    met: minMedian(cpuRatios).median <= 1.3,
  });
  const row = (label: string, list: typeof runs.bare) => [
    label,
    `${perSecond(Math.max(...list.map((r) => r.rate)))} / ${perSecond(median(list.map((r) => r.rate)))}`,
    `${Math.min(...list.map((r) => r.cpu)).toFixed(0)} µs / ${median(list.map((r) => r.cpu)).toFixed(0)} µs`,
    ms(median(list.map((r) => r.p50))),
  ];
  printTable({
    title: '7. serve() floor vs bare node:http answering the same bytes (GET /health twice)',
    columns: ['server', 'pairs/s, best / median', 'server CPU per pair, min / median', 'p50'],
    rows: [
      row('bare node:http', runs.bare),
      row('serve() + reference service', runs.serve),
      ['ratio (serve ÷ bare, per round)', ratioText(rateRatios), ratioText(cpuRatios), ''],
    ],
    notes: [
      `${ROUNDS} rounds of ${DURATION_MS / 1000} s each (after ${WARMUP_MS / 1000} s of warmup), bare and serve() alternating; ${CONCURRENCY} clients in a child process. Load average (1 min) over the rounds: ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)}.`,
      `Both answer ${answer.status} with the same headers and the same ${answer.body.length}-byte body. Target: server CPU per pair ≤ 1.3× bare.`,
    ],
  });
}
