import { base64urlDecode } from '@handshake/core';

/** What the server needs to reach the Handshake service as one user. */
export interface ServerConfig {
  /** The Handshake service's base URL. */
  url: URL;
  /** The user's session credential (sent as `Authorization: Bearer`). */
  sessionToken: string;
  /** The id under which the service knows the user's public key. */
  keyId: string;
  /** The Ed25519 seed (32 bytes) that signs executes. */
  privateKey: Uint8Array;
}

/** The environment variables the server reads, and what each holds. */
export const VARIABLES = {
  HANDSHAKE_URL: "the Handshake service's base URL, e.g. http://127.0.0.1:8787",
  HANDSHAKE_SESSION_TOKEN: 'your session token for the Handshake service',
  HANDSHAKE_KEY_ID: 'the id of your signing key, as registered with the service',
  HANDSHAKE_PRIVATE_KEY: 'your Ed25519 private key: the 32-byte seed in base64url',
} as const;

/** Raised when the environment is incomplete; the message names every variable at fault. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`handshake-paypal-mcp is not configured:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the configuration from environment variables. Values are never repeated in
 * errors: the private key and the session token are secrets.
 */
export function readConfig(env: Readonly<Record<string, string | undefined>>): ServerConfig {
  const problems: string[] = [];
  const value = (name: keyof typeof VARIABLES) => {
    const text = env[name]?.trim();
    if (!text) problems.push(`${name} is not set: ${VARIABLES[name]}`);
    return text ?? '';
  };
  const urlText = value('HANDSHAKE_URL');
  const sessionToken = value('HANDSHAKE_SESSION_TOKEN');
  const keyId = value('HANDSHAKE_KEY_ID');
  const keyText = value('HANDSHAKE_PRIVATE_KEY');

  let url: URL | undefined;
  if (urlText) {
    try {
      url = new URL(urlText);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('scheme');
    } catch {
      problems.push('HANDSHAKE_URL is not an http(s) URL');
    }
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
  if (problems.length > 0 || !url || !privateKey) throw new ConfigError(problems);
  return { url, sessionToken, keyId, privateKey };
}
