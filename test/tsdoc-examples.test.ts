// Every export of every published package carries TSDoc with an `@example`, and every
// ```ts block in the TSDoc of the packages' sources compiles: each block is type-checked
// as a module of its own, placed beside its package's sources so that it imports
// `@handshake/…` exactly as a user would. No example can rot unnoticed.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repo, virtualDiagnostics, virtualProgram } from './support/virtual-program.js';

interface PublishedPackage {
  name: string;
  root: string;
  /** The source file of each entry point, from the `@handshake/source` export condition. */
  entries: string[];
}

function sourceEntries(exports: Record<string, unknown>, root: string): string[] {
  return Object.values(exports).flatMap((conditions) => {
    if (conditions === null || typeof conditions !== 'object') return [];
    const source = (conditions as Record<string, unknown>)['@handshake/source'];
    return typeof source === 'string' ? [join(root, source)] : [];
  });
}

const packages: PublishedPackage[] = readdirSync(join(repo, 'packages'))
  .map((dir) => join(repo, 'packages', dir))
  .filter((root) => existsSync(join(root, 'package.json')))
  .flatMap((root) => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    if (manifest.private) return [];
    return [{ name: manifest.name, root, entries: sourceEntries(manifest.exports ?? {}, root) }];
  });

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /(?<!\.test|\.test-d)\.ts$/.test(entry.name) ? [path] : [];
  });
}

interface Example {
  name: string;
  path: string;
  code: string;
}

const examples: Example[] = packages.flatMap((pkg) => {
  const sourceRoot = join(pkg.root, 'src');
  return sources(sourceRoot).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    const found: Example[] = [];
    for (const comment of text.match(/\/\*\*[\s\S]*?\*\//g) ?? []) {
      const body = comment
        .split('\n')
        .map((line) => line.replace(/^\s*\/?\*+\/?\s?/, ''))
        .join('\n');
      for (const match of body.matchAll(/```(?:ts|typescript)\n([\s\S]*?)```/g)) {
        const index = found.length;
        // A virtual file beside the documented one: package imports resolve as they would
        // for a user, and the examples of internal helpers may import them relatively.
        const path = join(dirname(file), `__tsdoc__${basename(file, '.ts')}_${index}.ts`);
        found.push({
          name: `${relative(repo, file)} #${index + 1}`,
          path,
          code: `${match[1] ?? ''}\nexport {};\n`,
        });
      }
    }
    return found;
  });
});

const virtual = new Map(examples.map((example) => [example.path, example.code]));
const program = virtualProgram(
  packages.flatMap((pkg) => pkg.entries),
  virtual,
);

interface ExportReport {
  entry: string;
  name: string;
  problem: 'no TSDoc' | 'no @example';
}

/** Exports of every entry point that lack TSDoc or an `@example` with a ```ts block. */
function undocumentedExports(): ExportReport[] {
  const checker = program.getTypeChecker();
  const reports: ExportReport[] = [];
  for (const pkg of packages) {
    for (const entry of pkg.entries) {
      const file = program.getSourceFile(entry);
      const moduleSymbol = file && checker.getSymbolAtLocation(file);
      if (!moduleSymbol) throw new Error(`cannot read the exports of ${entry}`);
      const entryName = `${pkg.name}${relative(join(pkg.root, 'src'), entry) === 'index.ts' ? '' : `/${relative(join(pkg.root, 'src'), dirname(entry))}`}`;
      for (const exported of checker.getExportsOfModule(moduleSymbol)) {
        const symbol =
          exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
        const docs = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
        const example = symbol
          .getJsDocTags(checker)
          .some(
            (tag) =>
              tag.name === 'example' &&
              /```(ts|typescript)\n/.test(ts.displayPartsToString(tag.text ?? [])),
          );
        if (docs === '')
          reports.push({ entry: entryName, name: exported.name, problem: 'no TSDoc' });
        else if (!example)
          reports.push({ entry: entryName, name: exported.name, problem: 'no @example' });
      }
    }
  }
  return reports;
}

describe('TSDoc', () => {
  it('finds the published packages and their examples', () => {
    expect(packages.map((pkg) => pkg.name).sort()).toEqual([
      '@handshake/agents',
      '@handshake/cards',
      '@handshake/client',
      '@handshake/core',
      '@handshake/dynamodb',
      '@handshake/paypal',
      '@handshake/protocol',
      '@handshake/redis',
      '@handshake/server',
      '@handshake/stripe',
    ]);
    for (const pkg of packages) {
      expect(pkg.entries.length, pkg.name).toBeGreaterThan(0);
      expect(
        examples.filter((example) => example.path.startsWith(join(pkg.root, 'src'))).length,
        `${pkg.name} has examples`,
      ).toBeGreaterThan(0);
    }
  });

  it('documents every export with an @example', () => {
    const missing = undocumentedExports().map(
      ({ entry, name, problem }) => `${entry}: ${name} (${problem})`,
    );
    expect(missing).toEqual([]);
  });

  describe('examples', () => {
    const diagnostics = virtualDiagnostics(program, virtual);
    it.each(examples.map((example) => [example.name, example] as const))(
      '%s compiles',
      (_, example) => {
        expect(diagnostics.get(example.path) ?? []).toEqual([]);
      },
    );
  });
});
