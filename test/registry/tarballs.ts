// The published packages themselves: linted tarballs, what they ship, their manifests,
// and `npm pack` in a package folder, which must refuse and say what to run instead.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PublishedPackage, specifier } from '../support/published.js';
import { npmEnv, run } from '../support/run.js';
import { repo } from '../support/virtual-program.js';

const bin = (name: string) => join(repo, 'node_modules', '.bin', name);

/** Packages whose CommonJS build must load without Node's require(esm). */
const STRICT_COMMONJS = new Set([
  '@handshake/protocol',
  '@handshake/core',
  '@handshake/client',
  '@handshake/redis',
]);

async function filesUnder(dir: string, base = dir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      if (entry.name === 'node_modules') return [];
      return entry.isDirectory() ? filesUnder(path, base) : [relative(base, path)];
    }),
  );
  return nested.flat().sort();
}

function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(exportTargets);
}

export function tarballChecks(
  packages: readonly PublishedPackage[],
  state: { project: string; work: string; tarballs: Map<string, string> },
): void {
  describe.concurrent.each(packages.map((pkg) => [pkg.name, pkg] as const))('%s', (name, pkg) => {
    const installedDir = () => join(state.project, 'node_modules', ...name.split('/'));

    it('passes publint --strict and attw on the published tarball', async () => {
      const tarball = state.tarballs.get(name) ?? '';
      const publint = await run(bin('publint'), ['run', '--strict', tarball], {
        cwd: state.work,
        allowFailure: true,
      });
      expect(publint.ok, `${publint.stdout}\n${publint.stderr}`).toBe(true);
      expect(publint.stdout).toMatch(/All good!/);
      // The strict profile (node10, node16 CJS and ESM, bundler) where there is a CommonJS
      // build; ES-module-only packages are checked as such.
      const profile = pkg.commonJs ? [] : ['--profile', 'esm-only'];
      const attw = await run(
        bin('attw'),
        [tarball, ...profile, '--format', 'ascii', '--no-color'],
        {
          cwd: state.work,
          allowFailure: true,
        },
      );
      expect(attw.ok, `${attw.stdout}\n${attw.stderr}`).toBe(true);
      if (pkg.commonJs) expect(attw.stdout).toMatch(/No problems found/);
      else expect(attw.stdout).toMatch(/node16 \(from ESM\): 🟢/);
      // Only the CommonJS resolutions an ES-module-only package leaves out may warn.
      const problems = attw.stdout.split('\n').filter((line) => /⚠️|❌|💀|🐛/.test(line));
      expect(problems.filter((line) => !/\(ignored/.test(line))).toEqual([]);
    });

    it('ships built files and its README only, with a manifest npm can install', async () => {
      const files = await filesUnder(installedDir());
      const shipped = (pkg.manifest.files as string[]).map((pattern) => pattern.split('/')[0]);
      const unexpected = files.filter(
        (file) =>
          !/^(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/.test(file) &&
          !shipped.includes(file.split('/')[0] ?? ''),
      );
      expect(unexpected).toEqual([]);
      expect(files).toContain('README.md');
      expect(files.some((file) => /\.test\.|(^|\/)src\//.test(file))).toBe(false);

      const text = await readFile(join(installedDir(), 'package.json'), 'utf8');
      expect(text).not.toContain('@handshake/source');
      expect(text).not.toContain('workspace:');
      const manifest = JSON.parse(text);
      expect(manifest.publishConfig?.access).toBe('public');
      expect(manifest.repository).toMatchObject({ type: 'git', directory: pkg.dir });
      expect(manifest.homepage).toMatch(/^https:\/\//);
      expect(manifest.bugs?.url ?? manifest.bugs).toMatch(/^https:\/\//);
      for (const target of exportTargets(manifest.exports)) {
        expect(files, `${name} exports ${target}`).toContain(target.replace(/^\.\//, ''));
      }
      for (const [command, target] of Object.entries(manifest.bin ?? {})) {
        const path = String(target).replace(/^\.\//, '');
        expect(files, `${name} runs ${command} from ${target}`).toContain(path);
        expect(await readFile(join(installedDir(), path), 'utf8')).toMatch(
          /^#!\/usr\/bin\/env node\n/,
        );
      }
      expect(Object.keys(manifest.exports).sort()).toEqual(
        [...pkg.entries, './package.json'].sort(),
      );
    });

    it('loads every entry as ESM and as CommonJS, with the same exports', async () => {
      const specs = pkg.entries.map((entry) => specifier(pkg, entry));
      const esm = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const out = {};
           for (const spec of ${JSON.stringify(specs)}) out[spec] = Object.keys(await import(spec)).sort();
           console.log(JSON.stringify(out));`,
        ],
        { cwd: state.project },
      );
      const cjs = await run(
        process.execPath,
        [
          ...(STRICT_COMMONJS.has(name) ? ['--no-experimental-require-module'] : []),
          '-e',
          `const out = {};
           for (const spec of ${JSON.stringify(specs)})
             out[spec] = Object.keys(require(spec)).filter((k) => k !== '__esModule' && k !== 'module.exports').sort();
           console.log(JSON.stringify(out));`,
        ],
        { cwd: state.project },
      );
      const fromEsm = JSON.parse(esm.stdout) as Record<string, string[]>;
      expect(JSON.parse(cjs.stdout)).toEqual(fromEsm);
      for (const spec of specs) {
        expect(fromEsm[spec]?.length, `${spec} exports something`).toBeGreaterThan(0);
      }
    });

    it('refuses `npm pack` in its folder, saying what to run instead', async () => {
      const destination = await mkdtemp(join(tmpdir(), 'handshake-npm-pack-'));
      try {
        const packed = await run('npm', ['pack', '--pack-destination', destination], {
          cwd: join(repo, pkg.dir),
          env: npmEnv(),
          allowFailure: true,
        });
        expect(packed.ok).toBe(false);
        expect(`${packed.stdout}${packed.stderr}`).toContain('npx -y pnpm@10 pack');
        expect(await readdir(destination)).toEqual([]);
      } finally {
        await rm(destination, { recursive: true, force: true });
      }
    });
  });
}
