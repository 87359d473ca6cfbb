import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from './virtual-program.js';

/** A package that is published: every package under packages/ not marked private. */
export interface PublishedPackage {
  dir: string;
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: a package manifest, read field by field
  manifest: Record<string, any>;
  /** The subpaths of `exports`, without `./package.json`. */
  entries: string[];
  /** Whether an entry has a `require` condition (a CommonJS build). */
  commonJs: boolean;
}

/** Every package a release publishes, found on disk so new packages are covered too. */
export function publishedPackages(): PublishedPackage[] {
  return readdirSync(join(repo, 'packages'))
    .map((name) => join('packages', name))
    .filter((dir) => existsSync(join(repo, dir, 'package.json')))
    .flatMap((dir) => {
      const manifest = JSON.parse(readFileSync(join(repo, dir, 'package.json'), 'utf8'));
      if (manifest.private) return [];
      const exports = (manifest.exports ?? {}) as Record<string, unknown>;
      const entries = Object.keys(exports).filter((entry) => entry !== './package.json');
      const commonJs = Object.values(exports).some(
        (conditions) =>
          conditions !== null && typeof conditions === 'object' && 'require' in conditions,
      );
      return [{ dir, name: manifest.name as string, manifest, entries, commonJs }];
    });
}

/** The import specifier of an entry (`.` is the package itself). */
export const specifier = (pkg: PublishedPackage, entry: string) =>
  entry === '.' ? pkg.name : `${pkg.name}/${entry.slice(2)}`;
