// One Node requirement: every package's `engines.node` (published, private and the
// repository's own) and every sentence of the README and the docs that states it say the
// same version. New packages and documents are picked up from disk. That this version is
// the lowest every runtime dependency supports is checked on the installed packages by
// registry.test.ts.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo } from './support/virtual-program.js';

const read = (path: string) => readFileSync(join(repo, path), 'utf8');
const under = (dir: string, file: string) =>
  readdirSync(join(repo, dir))
    .map((name) => join(dir, name, file))
    .filter((path) => existsSync(join(repo, path)));

const manifests = [
  'package.json',
  ...under('packages', 'package.json'),
  ...under('examples', 'package.json'),
];
const documents = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(repo, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name)),
  ...readdirSync(join(repo, '.changeset'))
    .filter((name) => name.endsWith('.md') && name !== 'README.md')
    .map((name) => join('.changeset', name)),
  ...under('packages', 'README.md'),
  ...under('examples', 'README.md'),
];

const required = JSON.parse(read('packages/core/package.json')).engines.node as string;
const version = required.replace(/^>=/, '');
// "Node 22.12 or later", "Node.js 22+", "Node 20 and later", "Node >= 22": a requirement.
const STATEMENT =
  /\bNode(?:\.js)?\s+(?:>=\s*)?v?(\d+(?:\.\d+)*)(?:\+|\s+or\s+(?:later|newer|above)|\s+and\s+(?:later|newer|above))/gi;

describe('the Node requirement', () => {
  it('is a lower bound', () => {
    expect(required).toMatch(/^>=\d+\.\d+$/);
  });

  it.each(manifests)('is the engines.node of %s', (path) => {
    expect(JSON.parse(read(path)).engines?.node).toBe(required);
  });

  it.each(documents)('is the only one %s states', (path) => {
    const stated = [...read(path).matchAll(STATEMENT)].map((match) => match[1]);
    expect(stated.filter((found) => found !== version)).toEqual([]);
  });

  it('is stated in the README and the getting-started guide', () => {
    for (const path of ['README.md', 'docs/getting-started.md']) {
      expect([...read(path).matchAll(STATEMENT)].map((match) => match[1])).toContain(version);
    }
  });
});
