// The repository carries everything its tests, scripts and benchmarks read: nothing under
// packages/, examples/, test/, bench/ or .ci/ may point at a folder beside the clone.
// Third-party vectors live in the packages' `test-vectors/` folders, each with a README
// naming source, version and license.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo } from './support/virtual-program.js';

const ROOTS = ['packages', 'examples', 'test', 'bench', '.ci'];
const SKIPPED = new Set(['node_modules', 'dist', 'test-artifacts', '.turbo', 'coverage']);
const TEXT = /\.(?:[cm]?[jt]sx?|json|md|ya?ml|sh|html|css)$|^[^.]+$/;

// The folder beside the clone holds vectors, seeds and reproductions; a package's own
// `src/shared/` is fine. Spelled in pieces so this file does not match itself.
const OUTSIDE = new RegExp(
  [
    String.raw`\b${'shared'}[\\/]+(?:vectors|seeds|repro|DESIGN|CONVENTIONS)\b`,
    String.raw`['"]${'shared'}['"]\s*,\s*['"](?:vectors|seeds|repro)['"]`,
    String.raw`['"\x60](?:\.\.[\\/])+${'shared'}[\\/]?['"\x60]`,
  ].join('|'),
);

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile() && TEXT.test(entry.name)) out.push(path);
  }
  return out;
}

const files = ROOTS.flatMap((root) => {
  try {
    return statSync(join(repo, root)).isDirectory() ? filesUnder(join(repo, root)) : [];
  } catch {
    return [];
  }
});

describe('the repository is self-contained', () => {
  it('scans the folders that tests and scripts read', () => {
    expect(files.some((file) => file.endsWith('jcs.test.ts'))).toBe(true);
    expect(files.some((file) => relative(repo, file).startsWith('.ci'))).toBe(true);
  });

  it('has no file referring to a shared folder beside the clone', () => {
    const offenders = files
      .filter((file) => OUTSIDE.test(readFileSync(file, 'utf8')))
      .map((file) => relative(repo, file));
    expect(offenders).toEqual([]);
  });

  it('names source, version and license in every test-vectors folder', () => {
    const folders = [
      ...new Set(
        files
          .map((file) => relative(repo, file).split('/'))
          .filter((parts) => parts.includes('test-vectors'))
          .map((parts) => parts.slice(0, parts.indexOf('test-vectors') + 1).join('/')),
      ),
    ];
    expect(folders.length).toBeGreaterThan(0);
    for (const folder of folders) {
      const readme = readFileSync(join(repo, folder, 'README.md'), 'utf8');
      expect(readme, folder).toMatch(/source/i);
      expect(readme, folder).toMatch(/version|commit/i);
      expect(readme, folder).toMatch(/licen[cs]e/i);
    }
  });
});
