// What a user installs is what this test checks. It starts a local npm registry
// (verdaccio, storage in a temporary folder), publishes every public package under
// packages/ with the project's release command (`pnpm run release`: build, then
// `changeset publish`, which packs with pnpm), then in a fresh folder runs plain
// `npm install` of the packages against that registry — npm, not pnpm, no workspace
// links — and checks the published tarballs (publint --strict, attw), loads every entry
// as ESM and as CommonJS, runs the getting-started program both ways, type-checks a user's
// TypeScript with `moduleResolution: nodenext`, and starts both commands,
// `handshake-server` and `handshake-paypal-mcp`, for one full handshake through each.

import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commandChecks } from './registry/commands.js';
import { consumerChecks } from './registry/consumer.js';
import { tarballChecks } from './registry/tarballs.js';
import { asCommonJs, gettingStartedCode } from './support/consumer-code.js';
import { documentedInstalls } from './support/documented.js';
import { publishedPackages } from './support/published.js';
import { type LocalRegistry, startRegistry } from './support/registry.js';
import { npmEnv, run } from './support/run.js';
import { repo } from './support/virtual-program.js';

// Building, publishing and installing take a minute or more on a busy two-core machine.
vi.setConfig({ testTimeout: 180_000 });

const packages = publishedPackages();
/** What the README and the getting-started guide tell a user to install. */
const DOCUMENTED = [
  '@handshake/core',
  '@handshake/client',
  '@handshake/protocol',
  '@handshake/paypal',
  '@handshake/redis',
];

const state = { work: '', project: '', tarballs: new Map<string, string>() };
let registry: LocalRegistry | undefined;

beforeAll(async () => {
  state.work = await mkdtemp(join(tmpdir(), 'handshake-registry-'));
  state.project = join(state.work, 'project');
  await mkdir(state.project);
  await mkdir(join(state.work, 'storage'));
  registry = await startRegistry(join(state.work, 'storage'));
  const host = registry.url.replace(/^http:/, '');

  // The release command, pointed at the local registry. `--no-git-tag`: a test leaves
  // the repository's tags alone.
  const userconfig = join(state.work, 'publisher.npmrc');
  await writeFile(userconfig, `registry=${registry.url}\n${host}:_authToken=${registry.token}\n`);
  await run('pnpm', ['run', 'release', '--no-git-tag'], {
    cwd: repo,
    env: npmEnv({ npm_config_registry: registry.url, NPM_CONFIG_USERCONFIG: userconfig }),
  });

  // A user's fresh folder: our scope from the local registry, everything else from npm.
  await writeFile(
    join(state.project, 'package.json'),
    `${JSON.stringify({ name: 'handshake-consumer', private: true, version: '0.0.0' }, null, 2)}\n`,
  );
  await writeFile(join(state.project, '.npmrc'), `@handshake:registry=${registry.url}\n`);
  // Each `npm install` the documents give, as written, then every other public package.
  const quiet = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
  for (const names of [...documentedInstalls(), packages.map((pkg) => pkg.name)]) {
    await run('npm', ['install', ...quiet, ...names], { cwd: state.project, env: npmEnv() });
  }
  // Node's types for the TypeScript check, and the peers at the versions the workspace
  // tests against (a newer ioredis may ship declarations that do not type-check).
  const peers = packages.flatMap((pkg) =>
    Object.keys(pkg.manifest.peerDependencies ?? {}).flatMap((name) => {
      const version = pkg.manifest.devDependencies?.[name];
      return typeof version === 'string' ? [`${name}@${version}`] : [];
    }),
  );
  const extras = ['@types/node@22', ...new Set(peers)];
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      '--save-dev',
      ...extras,
    ],
    {
      cwd: state.project,
      env: npmEnv(),
    },
  );

  // The published tarballs, fetched back from the registry, for the linters.
  const tarballs = join(state.work, 'tarballs');
  await mkdir(tarballs);
  await Promise.all(
    packages.map(async (pkg) => {
      const { stdout } = await run(
        'npm',
        ['pack', `${pkg.name}@latest`, '--pack-destination', tarballs, '--json'],
        { cwd: state.project, env: npmEnv() },
      );
      const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
      state.tarballs.set(pkg.name, join(tarballs, packed?.filename ?? ''));
    }),
  );
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  if (state.work) await rm(state.work, { recursive: true, force: true });
});

describe('the registry', () => {
  it('publishes every public package under packages/', () => {
    expect(packages.map((pkg) => pkg.name)).toEqual(
      expect.arrayContaining([...DOCUMENTED, '@handshake/server']),
    );
    expect([...state.tarballs.keys()].sort()).toEqual(packages.map((pkg) => pkg.name).sort());
  });
});

describe('the documents', () => {
  it('tell users to install the packages they need, from the registry', () => {
    const installed = documentedInstalls().flat();
    expect(installed).toEqual(expect.arrayContaining(DOCUMENTED));
    const known = new Set([
      ...packages.map((pkg) => pkg.name),
      ...packages.flatMap((pkg) => Object.keys(pkg.manifest.peerDependencies ?? {})),
    ]);
    expect(installed.filter((name) => !known.has(name))).toEqual([]);
  });
});

describe('the tarballs `pnpm run tarballs` writes, before the packages are published', () => {
  it('install with npm into a fresh project and run the getting-started program', async () => {
    // `pnpm run tarballs` is `pnpm run build` (done by the release above), then this.
    const packed = join(state.work, 'packed');
    await run('pnpm', ['run', 'pack-all'], {
      cwd: repo,
      env: { ...process.env, TARBALLS: packed },
    });
    const files = (await readdir(packed)).filter((name) => name.endsWith('.tgz'));
    expect(files).toHaveLength(packages.length);
    const project = join(state.work, 'from-tarballs');
    await mkdir(project);
    await writeFile(
      join(project, 'package.json'),
      '{ "name": "from-tarballs", "private": true }\n',
    );
    await run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        ...files.map((file) => join(packed, file)),
      ],
      { cwd: project, env: npmEnv() },
    );
    await writeFile(join(project, 'first-tool.mjs'), gettingStartedCode());
    const { stdout } = await run(process.execPath, ['first-tool.mjs'], { cwd: project });
    expect(stdout.trim()).toBe("{ balance: { value: '250.00', currency: 'USD' } }");
  });
});

describe.concurrent('the getting-started program, installed with npm', () => {
  const expected = "{ balance: { value: '250.00', currency: 'USD' } }";

  it('runs as an ES module', async () => {
    await writeFile(join(state.project, 'first-tool.mjs'), gettingStartedCode());
    const { stdout } = await run(process.execPath, ['first-tool.mjs'], { cwd: state.project });
    expect(stdout.trim()).toBe(expected);
  });

  it('runs as CommonJS', async () => {
    await writeFile(join(state.project, 'first-tool.cjs'), asCommonJs(gettingStartedCode()));
    const { stdout } = await run(process.execPath, ['first-tool.cjs'], { cwd: state.project });
    expect(stdout.trim()).toBe(expected);
  });
});

tarballChecks(packages, state);
consumerChecks(packages, state);
commandChecks(state);
