// `pnpm bench`: every benchmark, every table. `pnpm bench <suite> …` runs some
// (canonical, engine, ed25519, http, approvals, scale, telemetry); `--out <file>` also writes the
// printed report to a file.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { machine } from './lib/machine.js';
import { bytes, ms, printLine, printTable, report, times, verdict } from './lib/report.js';
import { printTargets as printTargetRows } from './lib/targets.js';
import { approvalResults, approvalsSuite } from './suites/approvals.js';
import { canonicalSuite } from './suites/canonical.js';
import { ed25519Suite } from './suites/ed25519.js';
import { engineSuite } from './suites/engine.js';
import { httpResults, httpSuite } from './suites/http.js';
import { ratiosSuite } from './suites/ratios.js';
import { scaleResults, scaleSuite } from './suites/scale.js';
import { serveSuite } from './suites/serve.js';
import { telemetrySuite } from './suites/telemetry.js';

const suites: Record<string, () => Promise<void>> = {
  canonical: canonicalSuite,
  engine: engineSuite,
  ed25519: ed25519Suite,
  http: httpSuite,
  serve: serveSuite,
  ratios: ratiosSuite,
  approvals: approvalsSuite,
  scale: scaleSuite,
  telemetry: telemetrySuite,
};

const names: string[] = [];
let out: string | undefined;
for (let i = 2; i < process.argv.length; i += 1) {
  const arg = process.argv[i]!;
  if (arg === '--out') out = process.argv[++i];
  else names.push(arg);
}
const unknown = names.filter((name) => !(name in suites));
if (unknown.length > 0) {
  console.error(`unknown suite ${unknown.join(', ')}; suites: ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}

const started = performance.now();
const m = machine();
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
printLine(
  `Measured ${m.date} on ${m.nproc} × ${m.cpu}, ${m.memory} RAM, Node ${m.node} (${process.platform}); load average ${load()} at the start.\n`,
);
for (const [name, suite] of Object.entries(suites)) {
  if (names.length > 0 && !names.includes(name)) continue;
  await suite();
}
printTargets();
printTargetRows(load());
printLine(
  `All benchmarks ran in ${((performance.now() - started) / 1000).toFixed(0)} s; load average ${load()} at the end.`,
);
if (out) writeFileSync(out, report());

/** The issue's targets, against what this run measured. */
function printTargets(): void {
  const rows: string[][] = [];
  if (httpResults.length > 0) {
    const ratios = httpResults.map((r) => r.ratio);
    const worst = Math.min(...ratios);
    const best = Math.max(...ratios);
    rows.push([
      "full handshake over HTTP ≥ 0.8 of the floor's pairs/s",
      `${times(worst)} to ${times(best)} (${httpResults.map((r) => `${r.store} ${r.scenario} ${times(r.ratio)}`).join(', ')})`,
      verdict(worst >= 0.8),
    ]);
  }
  if (approvalResults.sseP50 !== undefined) {
    rows.push([
      'approval delivery under 10 ms on loopback (SSE, p50)',
      `${ms(approvalResults.sseP50)} (p99 ${ms(approvalResults.sseP99 ?? Number.NaN)})`,
      verdict(approvalResults.sseP50 < 10),
    ]);
  }
  if (scaleResults.flatRatio !== undefined) {
    rows.push([
      'flat cost with 1,000,000 live tokens (mean within 1.25× of an empty store alongside)',
      `${times(scaleResults.flatRatio)} (median ${times(scaleResults.flatMedianRatio ?? Number.NaN)})`,
      verdict(scaleResults.flatRatio <= 1.25),
    ]);
  }
  if (scaleResults.bytesPerWaiter !== undefined) {
    rows.push([
      'under 10 KB per pending waiter',
      `${bytes(scaleResults.bytesPerWaiter)} (${Math.round(scaleResults.bytesPerWaiter).toLocaleString('en-US')} B, ${scaleResults.waiters?.toLocaleString('en-US')} open)`,
      verdict(scaleResults.bytesPerWaiter < 10_000),
    ]);
  }
  if (rows.length === 0) return;
  printTable({ title: 'Targets', columns: ['target', 'measured', 'verdict'], rows });
}
