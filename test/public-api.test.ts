// Each entry point of each published package exports exactly the names listed in
// `test/public-api/`, one file per entry point. A new export, a removed one, or a type
// that became a value fails here, so every change to the public API is a deliberate edit
// of its list, reviewed with the code. To accept a change on purpose:
//
//   UPDATE_PUBLIC_API=1 npx pnpm@10 exec vitest run --config vitest.workspace.ts test/public-api.test.ts

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repo, virtualProgram } from './support/virtual-program.js';

interface Entry {
  /** What a user imports, e.g. `@handshake/core/testing`. */
  specifier: string;
  source: string;
}

const entries: Entry[] = readdirSync(join(repo, 'packages'))
  .map((dir) => join(repo, 'packages', dir))
  .filter((root) => existsSync(join(root, 'package.json')))
  .flatMap((root) => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    if (manifest.private) return [];
    return Object.entries(manifest.exports ?? {}).flatMap(([subpath, conditions]) => {
      if (conditions === null || typeof conditions !== 'object') return [];
      const source = (conditions as Record<string, unknown>)['@handshake/source'];
      if (typeof source !== 'string') return [];
      return [{ specifier: join(manifest.name, subpath), source: join(root, source) }];
    });
  });

const listDir = join(repo, 'test', 'public-api');
const listFile = (entry: Entry) =>
  join(listDir, `${entry.specifier.replace('@handshake/', '').replaceAll('/', '__')}.txt`);

const program = virtualProgram(
  entries.map((entry) => entry.source),
  new Map(),
);

/** `value name` or `type name` for each export of an entry point, sorted. */
function exportsOf(entry: Entry): string[] {
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(entry.source);
  const moduleSymbol = file && checker.getSymbolAtLocation(file);
  if (!moduleSymbol) throw new Error(`cannot read the exports of ${entry.source}`);
  return checker
    .getExportsOfModule(moduleSymbol)
    .map((exported) => {
      const symbol =
        exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const typeOnly =
        (symbol.flags & ts.SymbolFlags.Value) === 0 ||
        (exported.declarations ?? []).some(
          (declaration) => ts.isExportSpecifier(declaration) && declaration.isTypeOnly,
        );
      return `${typeOnly ? 'type' : 'value'} ${exported.name}`;
    })
    .sort();
}

function listed(entry: Entry): string[] | undefined {
  const path = listFile(entry);
  if (!existsSync(path)) return undefined;
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
}

describe('public API', () => {
  it('finds every entry point of the published packages', () => {
    expect(entries.length).toBeGreaterThan(8);
    const files = new Set(entries.map((entry) => relative(listDir, listFile(entry))));
    if (process.env.UPDATE_PUBLIC_API !== '1') {
      // A list whose entry point is gone would otherwise go stale unnoticed.
      const stale = existsSync(listDir)
        ? readdirSync(listDir).filter((name) => !files.has(name))
        : [];
      expect(stale, 'lists without an entry point').toEqual([]);
    }
  });

  it.each(entries.map((entry) => [entry.specifier, entry] as const))(
    '%s exports exactly its list',
    (_, entry) => {
      const actual = exportsOf(entry);
      if (process.env.UPDATE_PUBLIC_API === '1') {
        mkdirSync(dirname(listFile(entry)), { recursive: true });
        writeFileSync(
          listFile(entry),
          `# The public API of ${entry.specifier}: one export per line, \`value\` or \`type\`.\n${actual.join('\n')}\n`,
        );
      }
      const expected = listed(entry);
      expect(expected, `${relative(repo, listFile(entry))} is missing`).toBeDefined();
      const added = actual.filter((name) => !expected?.includes(name));
      const removed = (expected ?? []).filter((name) => !actual.includes(name));
      expect({ added, removed }, `${entry.specifier} changed its public API`).toEqual({
        added: [],
        removed: [],
      });
    },
  );
});
