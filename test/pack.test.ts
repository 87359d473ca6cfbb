// What a user installs is what this test checks: every published package is built,
// packed with `pnpm pack` (which rewrites `workspace:` ranges and, through
// `.pnpmfile.cjs`, drops the `@handshake/source` condition), linted with
// `publint --strict` and `attw`, installed with npm — not pnpm, no workspace links — into
// a fresh project, then loaded as ESM and as CommonJS by the repository's Node and used
// for one real handshake over HTTP.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Loading the toolkit and running tsc on a consumer take seconds each, more on a busy CI.
vi.setConfig({ testTimeout: 120_000 });

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(repo, 'node_modules', '.bin', name);

interface Published {
  dir: string;
  name: string;
  /** Names that must be among the exports of each entry. */
  exports: Record<string, readonly string[]>;
  /**
   * Whether `require()` must work without Node's require(esm) — true for every package
   * whose `engines` admit Node 22.0–22.11, where require(esm) is behind a flag.
   */
  requireWithoutEsm: boolean;
}

const PUBLISHED: readonly Published[] = [
  {
    dir: 'packages/core',
    name: '@handshake/core',
    exports: {
      '.': ['createHandshake', 'createHandshakeHandler', 'hashParams', 'HandshakeError'],
      './node': ['serve', 'jsonLinesAuditSink'],
      './aws-lambda': ['awsLambdaHandler', 'awsLambdaStreamingHandler'],
      './testing': ['storeConformance'],
    },
    requireWithoutEsm: true,
  },
  {
    dir: 'packages/client',
    name: '@handshake/client',
    exports: { '.': ['createHandshakeClient', 'HandshakeError', 'waitForApprovalDecision'] },
    requireWithoutEsm: true,
  },
  {
    dir: 'packages/redis',
    name: '@handshake/redis',
    exports: { '.': ['RedisStore', 'RedisKeys'] },
    requireWithoutEsm: true,
  },
  {
    dir: 'packages/dynamodb',
    name: '@handshake/dynamodb',
    exports: { '.': ['DynamoDBStore', 'createDynamoDBTable', 'dynamoDBTableDefinition'] },
    requireWithoutEsm: true,
  },
  {
    dir: 'packages/paypal',
    name: '@handshake/paypal',
    exports: {
      '.': ['paypalToolTiers', 'createPayPalToolProvider', 'registerSecuredPayPalTools'],
      './testing': [],
    },
    // Its engines start at Node 22.12, and msw (a peer, for `./testing`) is ESM-only.
    requireWithoutEsm: false,
  },
  {
    dir: 'packages/stripe',
    name: '@handshake/stripe',
    exports: {
      '.': ['stripeCardIssuer', 'stripeIssuingWebhook', 'sameMerchant'],
      './testing': ['createStripeIssuingSimulator', 'startStripeIssuingSimulator'],
    },
    // msw (a peer, for `./testing`) is ESM-only.
    requireWithoutEsm: false,
  },
  {
    dir: 'packages/agents',
    name: '@handshake/agents',
    exports: {
      '.': ['toModelRefusal', 'createChatApprover', 'memoryPendingCalls'],
      './ai-sdk': ['createHandshakeTools'],
      './openai-agents': ['createHandshakeTools'],
      './langchain': ['createHandshakeTools'],
      './testing': ['startSimulatedService'],
    },
    // `ai` 7, a peer, is ESM-only.
    requireWithoutEsm: false,
  },
];

/** Peer dependencies a user brings, at the versions the workspace tests against. */
async function peers(): Promise<string[]> {
  const wanted = [
    'ioredis',
    '@aws-sdk/client-dynamodb',
    '@paypal/agent-toolkit',
    '@modelcontextprotocol/sdk',
    'msw',
    'stripe',
    'ai',
    '@openai/agents',
    '@langchain/core',
    '@langchain/langgraph',
    'zod',
  ];
  const found = new Map<string, string>();
  for (const pkg of PUBLISHED) {
    const manifest = JSON.parse(await readFile(join(repo, pkg.dir, 'package.json'), 'utf8'));
    for (const name of wanted) {
      const version = manifest.devDependencies?.[name];
      if (typeof version === 'string' && manifest.peerDependencies?.[name]) {
        found.set(name, version);
      }
    }
  }
  return [...found].map(([name, version]) => `${name}@${version}`);
}

interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; allowFailure?: boolean },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && options.allowFailure) {
          resolve({ ok: false, stdout, stderr });
        } else if (error) {
          const shown = `${command} ${args.join(' ')} (in ${relative(repo, options.cwd) || '.'})`;
          reject(new Error(`${shown} failed:\n${stdout}\n${stderr}`, { cause: error }));
        } else {
          resolve({ ok: true, stdout, stderr });
        }
      },
    );
  });
}

/** npm, without the variables pnpm sets for its own scripts. */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(lifecycle|package|config_user_agent|execpath|node_execpath)/i.test(key)) continue;
    env[key] = value;
  }
  return env;
}

async function filesUnder(dir: string, base = dir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
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

const specifier = (pkg: Published, entry: string) =>
  entry === '.' ? pkg.name : `${pkg.name}/${entry.slice(2)}`;

let work = '';
let project = '';
const tarballs = new Map<string, string>();
const lint = new Map<string, { publint: RunResult; attw: RunResult }>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'handshake-pack-'));
  project = join(work, 'project');
  await mkdir(project);

  // The builds are independent (each resolves its workspace siblings' sources), so
  // they run side by side.
  await run(
    'pnpm',
    ['-r', '--no-sort', '--workspace-concurrency=4', '--filter=./packages/*', 'build'],
    {
      cwd: repo,
    },
  );
  await Promise.all(
    PUBLISHED.map(async (pkg) => {
      const destination = join(work, 'tarballs', pkg.dir.replace('/', '-'));
      await mkdir(destination, { recursive: true });
      await run('pnpm', ['pack', '--pack-destination', destination], { cwd: join(repo, pkg.dir) });
      const [file, ...more] = await readdir(destination);
      if (!file || more.length > 0) throw new Error(`expected one tarball for ${pkg.name}`);
      tarballs.set(pkg.name, join(destination, file));
    }),
  );

  const linted = Promise.all(
    PUBLISHED.map(async (pkg) => {
      const tarball = tarballs.get(pkg.name) ?? '';
      // Failures are reported by the package's own test below, with the tools' output.
      const [publint, attw] = await Promise.all([
        run(bin('publint'), ['run', '--strict', tarball], { cwd: work, allowFailure: true }),
        run(bin('attw'), [tarball, '--format', 'ascii', '--no-color'], {
          cwd: work,
          allowFailure: true,
        }),
      ]);
      lint.set(pkg.name, { publint, attw });
    }),
  );

  await writeFile(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'handshake-consumer', private: true, version: '0.0.0' }, null, 2)}\n`,
  );
  const installed = run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      ...[...tarballs.values()],
      ...(await peers()),
      '@types/node@24',
    ],
    { cwd: project, env: npmEnv() },
  );
  await Promise.all([linted, installed]);
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe.concurrent.each(PUBLISHED.map((pkg) => [pkg.name, pkg] as const))('%s', (name, pkg) => {
  const installedDir = () => join(project, 'node_modules', ...name.split('/'));

  it('passes publint --strict on its tarball', () => {
    const publint = lint.get(name)?.publint;
    expect(publint?.ok, `${publint?.stdout}\n${publint?.stderr}`).toBe(true);
    expect(publint?.stdout).toMatch(/All good!/);
  });

  it('passes attw (strict profile: node10, node16 CJS and ESM, bundler) on its tarball', () => {
    const attw = lint.get(name)?.attw;
    expect(attw?.ok, `${attw?.stdout}\n${attw?.stderr}`).toBe(true);
    expect(attw?.stdout).toMatch(/No problems found/);
  });

  it('ships dist and the README only, with a manifest a user can install', async () => {
    const files = await filesUnder(installedDir());
    const unexpected = files.filter(
      (file) => !/^(dist\/|package\.json$|README\.md$|LICENSE$|CHANGELOG\.md$)/.test(file),
    );
    expect(unexpected).toEqual([]);
    expect(files).toContain('README.md');
    expect(files.some((file) => /\.test\./.test(file))).toBe(false);

    const text = await readFile(join(installedDir(), 'package.json'), 'utf8');
    expect(text).not.toContain('@handshake/source');
    expect(text).not.toContain('workspace:');
    const manifest = JSON.parse(text);
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.publishConfig?.access).toBe('public');
    for (const target of exportTargets(manifest.exports)) {
      expect(files, `${name} exports ${target}`).toContain(target.replace(/^\.\//, ''));
    }
    expect(Object.keys(manifest.exports).sort()).toEqual(
      [...Object.keys(pkg.exports), './package.json'].sort(),
    );
    for (const entry of Object.keys(pkg.exports)) {
      const conditions = manifest.exports[entry];
      expect(conditions.import.types).toMatch(/\.d\.ts$/);
      expect(conditions.require.types).toMatch(/\.d\.cts$/);
    }
  });

  it('loads every entry as ESM and as CommonJS, with the same exports', async () => {
    const specs = Object.keys(pkg.exports).map((entry) => specifier(pkg, entry));
    const esm = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const out = {};
         for (const spec of ${JSON.stringify(specs)}) out[spec] = Object.keys(await import(spec)).sort();
         console.log(JSON.stringify(out));`,
      ],
      { cwd: project },
    );
    const cjs = await run(
      process.execPath,
      [
        ...(pkg.requireWithoutEsm ? ['--no-experimental-require-module'] : []),
        '-e',
        `const out = {};
         for (const spec of ${JSON.stringify(specs)})
           out[spec] = Object.keys(require(spec)).filter((k) => k !== '__esModule').sort();
         console.log(JSON.stringify(out));`,
      ],
      { cwd: project },
    );
    const fromEsm = JSON.parse(esm.stdout) as Record<string, string[]>;
    const fromCjs = JSON.parse(cjs.stdout) as Record<string, string[]>;
    expect(fromCjs).toEqual(fromEsm);
    for (const [entry, names] of Object.entries(pkg.exports)) {
      const exported = fromEsm[specifier(pkg, entry)] ?? [];
      expect(exported.length, `${specifier(pkg, entry)} exports something`).toBeGreaterThan(0);
      expect(exported).toEqual(expect.arrayContaining([...names]));
    }
  });
});

// One real handshake with the installed packages: an INTERNAL tool behind a JWT session
// (jose), a signed execute (Ed25519), the client over HTTP (ky), in both module systems.
// `require` runs with require(esm) switched off, as on Node 22.0–22.11.
const SMOKE = `
const secret = 'a-shared-secret-of-at-least-32-bytes!';
const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const unsigned = b64({ alg: 'HS256', typ: 'JWT' }) + '.' + b64({ sub: 'alice', sid: 'one', exp: Math.floor(Date.now() / 1000) + 300 });
const jwt = unsigned + '.' + createHmac('sha256', secret).update(unsigned).digest('base64url');

const key = core.generateSigningKey();
const engine = core.createHandshake({
  tools: {
    specificationVersion: 'v1',
    listTools: () => [{ name: 'echo', description: 'Echo the parameters', tier: 'INTERNAL' }],
    execute: (_name, parameters) => ({ echoed: parameters }),
  },
  sessions: core.jwtSessionVerifier({ secret }),
  keys: core.staticKeyResolver([{ userId: 'alice', keyId: 'k1', publicKey: key.publicKey }]),
});
const server = await node.serve(core.createHandshakeHandler(engine), { port: 0 });
try {
  const agent = client.createHandshakeClient({
    baseUrl: server.url,
    session: jwt,
    signer: { keyId: 'k1', privateKey: key.privateKey },
  });
  const result = await agent.call('echo', { amount: '12.50', currency: 'EUR' });
  console.log(JSON.stringify({
    result,
    hash: core.hashParams({ b: 2, a: 1 }),
    redisKey: new redis.RedisKeys('hs').token('p', 'd'),
    tiers: Object.keys(paypal.paypalToolTiers).length,
  }));
} finally {
  await server.close();
}
`;

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
      import * as node from '@handshake/core/node';
      import * as client from '@handshake/client';
      import * as redis from '@handshake/redis';
      import * as paypal from '@handshake/paypal';
      ${SMOKE}`;
    await writeFile(join(project, 'smoke.mjs'), script);
    const { stdout } = await run(process.execPath, ['smoke.mjs'], { cwd: project });
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it('run a signed handshake over HTTP as CommonJS, without require(esm)', async () => {
    const script = `const { createHmac } = require('node:crypto');
      const core = require('@handshake/core');
      const node = require('@handshake/core/node');
      const client = require('@handshake/client');
      const redis = require('@handshake/redis');
      (async () => {
        // @handshake/paypal needs require(esm) for its peers, so it is loaded apart.
        const paypal = await import('@handshake/paypal');
        ${SMOKE}
      })().catch((error) => { console.error(error); process.exitCode = 1; });`;
    await writeFile(join(project, 'smoke.cjs'), script);
    const { stdout } = await run(
      process.execPath,
      ['--no-experimental-require-module', 'smoke.cjs'],
      {
        cwd: project,
      },
    );
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it('type-check for a TypeScript user, from ESM and from CommonJS', async () => {
    // Our declarations are checked in full (skipLibCheck off); @handshake/paypal's pull in
    // the toolkit's and the MCP SDK's, which are not ours to check, so that program skips
    // library checks and verifies only that its types resolve and fit.
    const programs = {
      own: {
        imports: `
          import { createHandshake, createHandshakeHandler, type ErrorCode, MemoryStore, type Tier } from '@handshake/core';
          import { serve } from '@handshake/core/node';
          import { storeConformance } from '@handshake/core/testing';
          import { createHandshakeClient, HandshakeError } from '@handshake/client';
          import { RedisStore } from '@handshake/redis';`,
        uses: `
          const engine = createHandshake({ tools: [], store: new MemoryStore() });
          const handler: (request: Request) => Promise<Response> = createHandshakeHandler(engine);
          const tier: Tier = 'RESTRICTED';
          const client = createHandshakeClient({ baseUrl: 'http://127.0.0.1:1' });
          const error: unknown = undefined;
          if (HandshakeError.isInstance(error)) error.code satisfies ErrorCode;
          export const used = [handler, tier, client, serve, storeConformance, RedisStore];`,
        skipLibCheck: false,
      },
      paypal: {
        imports: `
          import { paypalToolTiers } from '@handshake/paypal';
          import type { Tier } from '@handshake/core';`,
        uses: `
          export const tiers: Readonly<Record<string, Tier>> = paypalToolTiers;`,
        skipLibCheck: true,
      },
    };
    await Promise.all(
      Object.entries(programs).map(async ([label, program]) => {
        const dir = join(project, `types-${label}`);
        await mkdir(dir, { recursive: true });
        const source = `${program.imports}\n${program.uses}\n`;
        await writeFile(join(dir, 'uses-esm.mts'), source);
        await writeFile(join(dir, 'uses-cjs.cts'), source);
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
            files: ['uses-esm.mts', 'uses-cjs.cts'],
          }),
        );
        const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
        await run(process.execPath, [tsc, '-p', '.'], { cwd: dir });
      }),
    );
  });
});
