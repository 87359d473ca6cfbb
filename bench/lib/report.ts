// Tables as the benchmarks print them: GitHub-flavoured Markdown, so what `pnpm bench`
// prints can be pasted into docs/performance.md as it is.

/** One printed table. */
export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  /** Lines printed under the table (what was measured, what bounds it). */
  notes?: string[];
}

const written: string[] = [];

/** Prints a table and keeps its text for `--out`. */
export function printTable(table: Table): void {
  const widths = table.columns.map((column, i) =>
    Math.max(column.length, ...table.rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const text = [
    `### ${table.title}`,
    '',
    line(table.columns),
    `| ${widths.map((w) => '-'.repeat(Math.max(w, 3))).join(' | ')} |`,
    ...table.rows.map(line),
    ...(table.notes && table.notes.length > 0 ? ['', ...table.notes] : []),
    '',
  ].join('\n');
  written.push(text);
  console.log(text);
}

/** Prints a line outside any table (kept for `--out` too). */
export function printLine(text: string): void {
  written.push(text);
  console.log(text);
}

/** Everything printed so far. */
export function report(): string {
  return `${written.join('\n')}\n`;
}

/** A duration in nanoseconds, with a unit that keeps three significant digits. */
export function duration(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns < 1_000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toPrecision(3)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toPrecision(3)} ms`;
  return `${(ns / 1_000_000_000).toPrecision(3)} s`;
}

/** Milliseconds with two decimals. */
export function ms(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)} ms` : 'n/a';
}

/** A ratio such as `3.21×`. */
export function times(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)}×`;
}

/** A count per second with thousands separators. */
export function perSecond(value: number): string {
  return `${Math.round(value).toLocaleString('en-US')}/s`;
}

/** Bytes in B, KiB or MiB. */
export function bytes(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  if (abs < 1024) return `${value.toFixed(0)} B`;
  if (abs < 1024 * 1024) return `${(value / 1024).toFixed(2)} KiB`;
  return `${(value / 1024 / 1024).toFixed(1)} MiB`;
}

/** `met` or `not met`, for the targets table. */
export function verdict(met: boolean): string {
  return met ? 'met' : 'not met';
}
