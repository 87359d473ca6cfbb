// What the registry test runs in a fresh project that installed the packages with npm.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from './virtual-program.js';

/** The getting-started guide's first program, exactly as the guide shows it. */
export function gettingStartedCode(): string {
  const guide = readFileSync(join(repo, 'docs', 'getting-started.md'), 'utf8');
  const block =
    /<!-- file: examples\/quickstart\/src\/first-tool\.ts -->\n```ts\n([\s\S]*?)```/.exec(guide);
  if (!block?.[1]) throw new Error('docs/getting-started.md lost its first program');
  return block[1];
}

/** The same program as CommonJS: `require` for the imports, the rest in an async function. */
export function asCommonJs(code: string): string {
  const imports: string[] = [];
  const body = code.replace(
    /import \{([^}]*)\} from '([^']+)';\n/g,
    (_, names: string, from: string) => {
      imports.push(`const {${names.replace(/\btype \w+,?/g, '')}} = require('${from}');`);
      return '';
    },
  );
  return `${imports.join('\n')}\n(async () => {\n${body}\n})().catch((error) => {\n  console.error(error);\n  process.exitCode = 1;\n});\n`;
}

// One real handshake with every installed package: an INTERNAL tool behind a JWT session
// (jose), a signed execute (Ed25519), the client over HTTP (ky), in both module systems.
export const SMOKE = `
const secret = 'a-shared-secret-of-at-least-32-bytes!';
const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const unsigned = b64({ alg: 'HS256', typ: 'JWT' }) + '.' + b64({ sub: 'alice', sid: 'one', exp: Math.floor(Date.now() / 1000) + 300 });
const jwt = unsigned + '.' + createHmac('sha256', secret).update(unsigned).digest('base64url');

const key = protocol.generateSigningKey();
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
    hash: protocol.hashParams({ b: 2, a: 1 }),
    redisKey: new redis.RedisKeys('hs').token('p', 'd'),
    tiers: Object.keys(paypal.paypalToolTiers).length,
  }));
} finally {
  await server.close();
}
`;

/** TypeScript a user writes against the packages' declarations. */
export const TYPED_PROGRAMS = {
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
    // Our declarations are checked in full.
    skipLibCheck: false,
    esmOnly: false,
  },
  paypal: {
    imports: `
      import { paypalToolTiers } from '@handshake/paypal';
      import type { Tier } from '@handshake/core';`,
    uses: `
      export const tiers: Readonly<Record<string, Tier>> = paypalToolTiers;`,
    // These pull in the toolkit's and the MCP SDK's declarations, which are not ours to
    // check: the program only verifies that our types resolve and fit.
    skipLibCheck: true,
    esmOnly: false,
  },
  server: {
    imports: `
      import { createService, loadConfig, type Service } from '@handshake/server';`,
    uses: `
      export const service: Promise<Service> = createService(loadConfig({ HANDSHAKE_SESSIONS: 'alice:dev-token' }));`,
    skipLibCheck: true,
    esmOnly: true,
  },
} as const;
