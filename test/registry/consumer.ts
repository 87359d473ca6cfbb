// The installed packages used together, as a user's JavaScript and TypeScript, and the
// Node requirement they declare against what their installed dependencies need.

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { SMOKE, TYPED_PROGRAMS } from '../support/consumer-code.js';
import type { PublishedPackage } from '../support/published.js';
import { run } from '../support/run.js';
import { repo } from '../support/virtual-program.js';

/** Every package.json under a node_modules folder, nested ones included. */
async function installedManifests(modules: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(modules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dirs = entry.name.startsWith('@')
      ? (await readdir(join(modules, entry.name))).map((name) => join(modules, entry.name, name))
      : [join(modules, entry.name)];
    for (const dir of dirs) {
      found.push(join(dir, 'package.json'));
      const nested = join(dir, 'node_modules');
      const inner = await readdir(nested).then(
        () => installedManifests(nested),
        () => [],
      );
      found.push(...inner);
    }
  }
  return found;
}

export function consumerChecks(
  packages: readonly PublishedPackage[],
  state: { project: string },
): void {
  describe.concurrent('the installed packages together', () => {
    const expected = {
      result: { echoed: { amount: '12.50', currency: 'EUR' } },
      hash: createHash('sha256').update('{"a":1,"b":2}').digest('hex'),
      redisKey: expect.stringMatching(/^hs:\{p\}:/),
      tiers: expect.any(Number),
    };

    it('run a signed handshake over HTTP as ES modules', async () => {
      const script = `import { createHmac } from 'node:crypto';
        import * as core from '@handshake/core';
        import * as protocol from '@handshake/protocol';
        import * as node from '@handshake/core/node';
        import * as client from '@handshake/client';
        import * as redis from '@handshake/redis';
        import * as paypal from '@handshake/paypal';
        ${SMOKE}`;
      await writeFile(join(state.project, 'smoke.mjs'), script);
      const { stdout } = await run(process.execPath, ['smoke.mjs'], { cwd: state.project });
      expect(JSON.parse(stdout)).toEqual(expected);
    });

    it('run a signed handshake over HTTP as CommonJS, core without require(esm)', async () => {
      const script = `const { createHmac } = require('node:crypto');
        const core = require('@handshake/core');
        const protocol = require('@handshake/protocol');
        const node = require('@handshake/core/node');
        const client = require('@handshake/client');
        const redis = require('@handshake/redis');
        (async () => {
          // @handshake/paypal needs require(esm) for its peers, so it is loaded apart.
          const paypal = await import('@handshake/paypal');
          ${SMOKE}
        })().catch((error) => { console.error(error); process.exitCode = 1; });`;
      await writeFile(join(state.project, 'smoke.cjs'), script);
      const { stdout } = await run(
        process.execPath,
        ['--no-experimental-require-module', 'smoke.cjs'],
        { cwd: state.project },
      );
      expect(JSON.parse(stdout)).toEqual(expected);
    });

    it('type-check for a TypeScript user (nodenext), from ESM and from CommonJS', async () => {
      await Promise.all(
        Object.entries(TYPED_PROGRAMS).map(async ([label, program]) => {
          const dir = join(state.project, `types-${label}`);
          await mkdir(dir, { recursive: true });
          const source = `${program.imports}\n${program.uses}\n`;
          const files = ['uses-esm.mts', ...(program.esmOnly ? [] : ['uses-cjs.cts'])];
          for (const file of files) await writeFile(join(dir, file), source);
          await writeFile(
            join(dir, 'tsconfig.json'),
            JSON.stringify({
              compilerOptions: {
                module: 'nodenext',
                moduleResolution: 'nodenext',
                target: 'es2023',
                strict: true,
                noEmit: true,
                skipLibCheck: program.skipLibCheck,
                types: ['node'],
              },
              files,
            }),
          );
          const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
          await run(process.execPath, [tsc, '-p', '.'], { cwd: dir });
        }),
      );
    });

    it('declare the Node version every installed runtime dependency supports, no lower', async () => {
      const declared = new Set(packages.map((pkg) => pkg.manifest.engines?.node));
      expect(declared.size).toBe(1);
      const ours = semver.minVersion(String([...declared][0]));
      const needs: Array<[string, string]> = [];
      for (const path of await installedManifests(join(state.project, 'node_modules'))) {
        const manifest = await readFile(path, 'utf8').then(JSON.parse, () => undefined);
        const range = manifest?.engines?.node;
        if (!manifest?.name || typeof range !== 'string' || manifest.name === '@types/node')
          continue;
        if (manifest.name.startsWith('@handshake/')) continue;
        const lowest = semver.validRange(range) ? semver.minVersion(range) : null;
        if (lowest) needs.push([`${manifest.name}@${manifest.version} (${range})`, lowest.version]);
      }
      const highest = needs.reduce((a, b) => (semver.gt(b[1], a[1]) ? b : a));
      expect(ours?.version, `the strictest dependency is ${highest[0]}`).toBe(highest[1]);
    });
  });
}
