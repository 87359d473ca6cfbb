import { printTable, times } from './report.js';

/** One row of the targets table: a baseline and ours, measured in the same run. */
export interface TargetRow {
  measure: string;
  baseline: string;
  ours: string;
  /** Ours against the baseline, as printed (e.g. `1.42× / 1.55× (min / median)`). */
  ratio: string;
  target: string;
  /** `undefined` when the run could not tell (a row skipped, or measured without a target). */
  met: boolean | undefined;
}

const rows: TargetRow[] = [];

/** Adds a row to the targets table printed at the end of `pnpm bench`. */
export function recordTarget(row: TargetRow): void {
  rows.push(row);
}

/** The smallest value and the median. */
export function minMedian(values: number[]): { min: number; median: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? Number.NaN, median: sorted[sorted.length >> 1] ?? Number.NaN };
}

/** `a× / b× (min / median)` of per-round ratios. */
export function ratioText(ratios: number[]): string {
  const { min, median } = minMedian(ratios);
  return `${times(min)} / ${times(median)} (min / median)`;
}

/** Prints the targets table, if any suite recorded a row. */
export function printTargets(load: string): void {
  if (rows.length === 0) return;
  printTable({
    title: 'Targets: baseline and ours in the same run',
    columns: ['measure', 'baseline', 'ours', 'ratio', 'target', 'verdict'],
    rows: rows.map((row) => [
      row.measure,
      row.baseline,
      row.ours,
      row.ratio,
      row.target,
      row.met === undefined ? '—' : row.met ? 'met' : 'not met',
    ]),
    notes: [
      'Ratios are taken per round (ours against the baseline measured just before it), then',
      `the smallest and the median over rounds. Load average (1, 5, 15 min) at the end: ${load}.`,
    ],
  });
}
