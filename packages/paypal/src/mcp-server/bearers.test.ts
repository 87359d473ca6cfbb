import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bearerVerifier } from './bearers.js';
import { readConfig } from './config.js';

const SECRET = 'a-shared-secret-of-at-least-32-chars';
const RESOURCE = new URL('https://mcp.example.com/mcp');

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', SECRET).update(unsigned).digest('base64url')}`;
}

function http(env: Record<string, string>) {
  const config = readConfig(
    {
      HANDSHAKE_URL: 'http://127.0.0.1:8787',
      HANDSHAKE_KEY_ID: 'mcp',
      HANDSHAKE_PRIVATE_KEY: Buffer.alloc(32, 7).toString('base64url'),
      HANDSHAKE_USER_SESSIONS: 'alice:handshake-session-alice',
      ...env,
    },
    { http: true },
  );
  if (!config.http) throw new Error('expected the HTTP configuration');
  return config.http;
}

describe("the command's bearer checks", () => {
  const exp = Math.floor(Date.now() / 1000) + 600;

  it('accepts a JWT issued for this server only: its audience is the server URL by default', async () => {
    const verifier = bearerVerifier(http({ HANDSHAKE_MCP_JWT_SECRET: SECRET }), RESOURCE);
    const mine = await verifier.verify(jwt({ sub: 'alice', aud: RESOURCE.href, exp }));
    expect(mine?.userId).toBe('alice');
    // A token of the same issuer for another service (the Handshake service itself).
    expect(await verifier.verify(jwt({ sub: 'alice', aud: 'handshake', exp }))).toBeUndefined();
    expect(await verifier.verify(jwt({ sub: 'alice', exp }))).toBeUndefined();
  });

  it('takes the configured audience and issuer, and the static list beside them', async () => {
    const verifier = bearerVerifier(
      http({
        HANDSHAKE_MCP_SESSIONS: 'bob:mcp-bearer-bob',
        HANDSHAKE_MCP_JWT_SECRET: SECRET,
        HANDSHAKE_MCP_JWT_AUDIENCE: 'paypal-mcp',
        HANDSHAKE_MCP_JWT_ISSUER: 'https://auth.example.com',
      }),
      RESOURCE,
    );
    const claims = { sub: 'alice', aud: 'paypal-mcp', iss: 'https://auth.example.com', exp };
    expect((await verifier.verify(jwt(claims)))?.userId).toBe('alice');
    expect(await verifier.verify(jwt({ ...claims, iss: 'https://other.example' }))).toBeUndefined();
    expect((await verifier.verify('mcp-bearer-bob'))?.userId).toBe('bob');
    expect(await verifier.verify('mcp-bearer-alice')).toBeUndefined();
  });
});
