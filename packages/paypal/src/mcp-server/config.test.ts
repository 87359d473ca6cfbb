import { generateSigningKey } from '@handshake/protocol';
import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from './config.js';

const key = generateSigningKey();
const base = {
  HANDSHAKE_URL: 'http://127.0.0.1:8787',
  HANDSHAKE_KEY_ID: 'mcp',
  HANDSHAKE_PRIVATE_KEY: key.privateKey,
};

function problems(env: Record<string, string>, flags?: { http?: boolean }): readonly string[] {
  try {
    readConfig(env, flags);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('the command configuration', () => {
  it('serves stdio by default, with one session', () => {
    const config = readConfig({ ...base, HANDSHAKE_SESSION_TOKEN: 'handshake-session' });
    expect(config.transport).toBe('stdio');
    expect(config.sessionToken).toBe('handshake-session');
    expect(config.http).toBeUndefined();
    expect(problems(base)).toEqual([
      'HANDSHAKE_SESSION_TOKEN is not set: stdio: your session token for the Handshake service',
    ]);
  });

  it('serves HTTP on loopback, by the flag or the variable', () => {
    const env = {
      ...base,
      HANDSHAKE_USER_SESSIONS: 'alice:handshake-session-alice,bob:handshake-session-bob',
      HANDSHAKE_MCP_SESSIONS: 'alice:bearer-alice',
    };
    const byFlag = readConfig(env, { http: true });
    expect(byFlag.transport).toBe('http');
    expect(byFlag.http).toMatchObject({
      host: '127.0.0.1',
      port: 8788,
      url: undefined,
      bearers: { 'bearer-alice': 'alice' },
      userSessions: { alice: 'handshake-session-alice', bob: 'handshake-session-bob' },
    });
    expect(readConfig({ ...env, HANDSHAKE_MCP_TRANSPORT: 'http' }).transport).toBe('http');
  });

  it('names each variable at fault over HTTP, and never repeats a secret', () => {
    const found = problems(
      {
        ...base,
        HANDSHAKE_MCP_TRANSPORT: 'http',
        HANDSHAKE_SESSION_TOKEN: 'secret-session',
        HANDSHAKE_MCP_HOST: '0.0.0.0',
        HANDSHAKE_MCP_PORT: '99999',
        HANDSHAKE_MCP_JWT_SECRET: 'too-short-secret',
        HANDSHAKE_MCP_ALLOWED_ORIGINS: 'https://app.example.com/path',
      },
      {},
    );
    expect(found).toEqual([
      "HANDSHAKE_SESSION_TOKEN is for stdio: over HTTP, give each served user's session in HANDSHAKE_USER_SESSIONS",
      'HANDSHAKE_MCP_PORT is not a port number (0 to 65535)',
      'HANDSHAKE_MCP_URL is not set: it is required when HANDSHAKE_MCP_HOST is not a loopback address',
      "HANDSHAKE_USER_SESSIONS is not set: user:sessionToken pairs: each served user's own session at the Handshake service",
      'HANDSHAKE_MCP_JWT_SECRET is shorter than 32 characters',
      'HANDSHAKE_MCP_ALLOWED_ORIGINS holds a value that is not an origin such as https://app.example.com',
    ]);
    expect(found.join('\n')).not.toMatch(/secret-session|too-short-secret/);
    expect(problems({ ...base, HANDSHAKE_USER_SESSIONS: 'alice:s' }, { http: true })).toEqual([
      'HANDSHAKE_MCP_SESSIONS, HANDSHAKE_MCP_JWT_SECRET or HANDSHAKE_MCP_JWKS_URL must be set: every request needs a bearer credential to check',
    ]);
    expect(problems({ ...base, HANDSHAKE_MCP_TRANSPORT: 'websocket' })).toContain(
      'HANDSHAKE_MCP_TRANSPORT must be stdio or http',
    );
  });
});
