import { parseSessionList } from '@handshake/core';
import { base64urlDecode } from '@handshake/protocol';

/** What the server needs over HTTP, besides the service and the signing key. */
export interface HttpConfig {
  /** The address to listen on (loopback unless configured otherwise). */
  host: string;
  /** The port; 0 picks a free one. */
  port: number;
  /** The MCP endpoint's URL as hosts reach it; derived from host and port when unset. */
  url: URL | undefined;
  /** Hosts' bearer credentials for this server: `token → user`. */
  bearers: Record<string, string>;
  /** Or JWT bearers: their key, issuer and audience. */
  jwt: { secret?: string; jwksUrl?: URL; issuer?: string; audience?: string } | undefined;
  /** Each served user's session credential at the Handshake service: `user → token`. */
  userSessions: Record<string, string>;
  authorizationServers: string[];
  scopes: string[];
  allowedOrigins: string[] | undefined;
  maxSessions: number | undefined;
}

/** What the server needs to reach the Handshake service. */
export interface ServerConfig {
  transport: 'stdio' | 'http';
  /** The Handshake service's base URL. */
  url: URL;
  /** Over stdio, the user's session credential (sent as `Authorization: Bearer`). */
  sessionToken: string;
  /** The id under which the service knows the signing key. */
  keyId: string;
  /** The Ed25519 seed (32 bytes) that signs executes. */
  privateKey: Uint8Array;
  /** Over HTTP: the listener and who may use it. */
  http: HttpConfig | undefined;
}

/** The environment variables every transport reads, and what each holds. */
export const VARIABLES = {
  HANDSHAKE_URL: "the Handshake service's base URL, e.g. http://127.0.0.1:8787",
  HANDSHAKE_SESSION_TOKEN: 'stdio: your session token for the Handshake service',
  HANDSHAKE_KEY_ID: 'the id of the signing key, as registered with the service',
  HANDSHAKE_PRIVATE_KEY: 'the Ed25519 private key: the 32-byte seed in base64url',
  HANDSHAKE_MCP_TRANSPORT: 'stdio (default) or http; the flag --http sets http',
} as const;

/** The variables of the HTTP transport, and what each holds. */
export const HTTP_VARIABLES = {
  HANDSHAKE_USER_SESSIONS:
    "user:sessionToken pairs: each served user's own session at the Handshake service",
  HANDSHAKE_MCP_SESSIONS: "user:bearer pairs: the hosts' bearer credentials for this server",
  HANDSHAKE_MCP_JWT_SECRET: 'or accept HS256 JWT bearers signed with this secret (32+ chars)',
  HANDSHAKE_MCP_JWKS_URL: "or accept RS256/EdDSA JWT bearers verified with this key set's keys",
  HANDSHAKE_MCP_JWT_ISSUER: "the JWT bearers' required issuer (optional)",
  HANDSHAKE_MCP_JWT_AUDIENCE: "the JWT bearers' required audience (default HANDSHAKE_MCP_URL)",
  HANDSHAKE_MCP_HOST: 'the address to listen on (default 127.0.0.1)',
  HANDSHAKE_MCP_PORT: 'the port to listen on (default 8788; 0 picks a free one)',
  HANDSHAKE_MCP_URL: 'the MCP endpoint as hosts reach it (default http://HOST:PORT/mcp)',
  HANDSHAKE_MCP_AUTHORIZATION_SERVERS: 'comma-separated issuers of the bearers, for the metadata',
  HANDSHAKE_MCP_SCOPES: 'comma-separated scopes every bearer must carry (optional)',
  HANDSHAKE_MCP_ALLOWED_ORIGINS: "comma-separated browser origins (default HANDSHAKE_MCP_URL's)",
  HANDSHAKE_MCP_MAX_SESSIONS: 'open MCP sessions at most (default 100)',
} as const;

/** Raised when the environment is incomplete; the message names every variable at fault. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`handshake-paypal-mcp is not configured:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function httpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function readHttp(env: Env, problems: string[]): HttpConfig {
  const text = (name: keyof typeof HTTP_VARIABLES) => env[name]?.trim() || undefined;
  const host = text('HANDSHAKE_MCP_HOST') ?? '127.0.0.1';
  const portText = text('HANDSHAKE_MCP_PORT') ?? '8788';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) {
    problems.push('HANDSHAKE_MCP_PORT is not a port number (0 to 65535)');
  }
  let url: URL | undefined;
  const urlText = text('HANDSHAKE_MCP_URL');
  if (urlText !== undefined) {
    url = httpUrl(urlText);
    if (!url) problems.push('HANDSHAKE_MCP_URL is not an http(s) URL');
  } else if (!isLoopbackHost(host)) {
    problems.push(
      'HANDSHAKE_MCP_URL is not set: it is required when HANDSHAKE_MCP_HOST is not a loopback address',
    );
  }

  const pairs = (name: 'HANDSHAKE_MCP_SESSIONS' | 'HANDSHAKE_USER_SESSIONS') => {
    const value = text(name);
    if (value === undefined) return {};
    try {
      return parseSessionList(value);
    } catch {
      problems.push(`${name} is not a list of user:token pairs separated by commas`);
      return {};
    }
  };
  const bearers = pairs('HANDSHAKE_MCP_SESSIONS');
  // parseSessionList answers token → user; the service side is wanted by user.
  const userSessions: Record<string, string> = {};
  for (const [token, user] of Object.entries(pairs('HANDSHAKE_USER_SESSIONS'))) {
    userSessions[user] = token;
  }
  if (text('HANDSHAKE_USER_SESSIONS') === undefined) {
    problems.push(`HANDSHAKE_USER_SESSIONS is not set: ${HTTP_VARIABLES.HANDSHAKE_USER_SESSIONS}`);
  }

  const secret = text('HANDSHAKE_MCP_JWT_SECRET');
  const jwksText = text('HANDSHAKE_MCP_JWKS_URL');
  if (secret !== undefined && secret.length < 32) {
    problems.push('HANDSHAKE_MCP_JWT_SECRET is shorter than 32 characters');
  }
  if (secret !== undefined && jwksText !== undefined) {
    problems.push('HANDSHAKE_MCP_JWT_SECRET and HANDSHAKE_MCP_JWKS_URL are both set: give one');
  }
  const jwksUrl = jwksText === undefined ? undefined : httpUrl(jwksText);
  if (jwksText !== undefined && !jwksUrl) {
    problems.push('HANDSHAKE_MCP_JWKS_URL is not an http(s) URL');
  }
  const issuer = text('HANDSHAKE_MCP_JWT_ISSUER');
  const audience = text('HANDSHAKE_MCP_JWT_AUDIENCE');
  const jwt =
    secret !== undefined || jwksUrl !== undefined
      ? {
          ...(secret !== undefined ? { secret } : {}),
          ...(jwksUrl !== undefined ? { jwksUrl } : {}),
          ...(issuer !== undefined ? { issuer } : {}),
          ...(audience !== undefined ? { audience } : {}),
        }
      : undefined;
  if (
    text('HANDSHAKE_MCP_SESSIONS') === undefined &&
    secret === undefined &&
    jwksText === undefined
  ) {
    problems.push(
      'HANDSHAKE_MCP_SESSIONS, HANDSHAKE_MCP_JWT_SECRET or HANDSHAKE_MCP_JWKS_URL must be set: every request needs a bearer credential to check',
    );
  }

  const authorizationServers = list(text('HANDSHAKE_MCP_AUTHORIZATION_SERVERS'));
  if (authorizationServers.some((server) => !httpUrl(server))) {
    problems.push('HANDSHAKE_MCP_AUTHORIZATION_SERVERS holds a value that is not an http(s) URL');
  }
  const originsText = text('HANDSHAKE_MCP_ALLOWED_ORIGINS');
  const allowedOrigins = originsText === undefined ? undefined : list(originsText);
  if (allowedOrigins?.some((origin) => httpUrl(origin)?.origin !== origin)) {
    problems.push(
      'HANDSHAKE_MCP_ALLOWED_ORIGINS holds a value that is not an origin such as https://app.example.com',
    );
  }
  const maxText = text('HANDSHAKE_MCP_MAX_SESSIONS');
  const maxSessions = maxText === undefined ? undefined : Number(maxText);
  if (maxSessions !== undefined && !(Number.isSafeInteger(maxSessions) && maxSessions > 0)) {
    problems.push('HANDSHAKE_MCP_MAX_SESSIONS is not a positive integer');
  }
  return {
    host,
    port,
    url,
    bearers,
    jwt,
    userSessions,
    authorizationServers,
    scopes: list(text('HANDSHAKE_MCP_SCOPES')),
    allowedOrigins,
    maxSessions,
  };
}

/**
 * Reads the configuration from environment variables (and the `--http` flag). Values
 * are never repeated in errors: private keys, session tokens and bearers are secrets.
 */
export function readConfig(env: Env, flags: { http?: boolean } = {}): ServerConfig {
  const problems: string[] = [];
  const value = (name: keyof typeof VARIABLES) => {
    const text = env[name]?.trim();
    if (!text) problems.push(`${name} is not set: ${VARIABLES[name]}`);
    return text ?? '';
  };
  const transportText = env.HANDSHAKE_MCP_TRANSPORT?.trim() || 'stdio';
  if (transportText !== 'stdio' && transportText !== 'http') {
    problems.push('HANDSHAKE_MCP_TRANSPORT must be stdio or http');
  }
  const transport = flags.http || transportText === 'http' ? 'http' : 'stdio';
  const urlText = value('HANDSHAKE_URL');
  let sessionToken = '';
  if (transport === 'stdio') {
    sessionToken = value('HANDSHAKE_SESSION_TOKEN');
  } else if (env.HANDSHAKE_SESSION_TOKEN?.trim()) {
    problems.push(
      "HANDSHAKE_SESSION_TOKEN is for stdio: over HTTP, give each served user's session in HANDSHAKE_USER_SESSIONS",
    );
  }
  const keyId = value('HANDSHAKE_KEY_ID');
  const keyText = value('HANDSHAKE_PRIVATE_KEY');

  let url: URL | undefined;
  if (urlText) {
    url = httpUrl(urlText);
    if (!url) problems.push('HANDSHAKE_URL is not an http(s) URL');
  }
  let privateKey: Uint8Array | undefined;
  if (keyText) {
    try {
      privateKey = base64urlDecode(keyText);
    } catch {
      privateKey = undefined;
    }
    if (privateKey?.length !== 32) {
      problems.push('HANDSHAKE_PRIVATE_KEY is not a 32-byte Ed25519 seed in base64url');
    }
  }
  const http = transport === 'http' ? readHttp(env, problems) : undefined;
  if (problems.length > 0 || !url || !privateKey) throw new ConfigError(problems);
  return { transport, url, sessionToken, keyId, privateKey, http };
}
