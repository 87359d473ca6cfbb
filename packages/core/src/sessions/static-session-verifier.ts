import { tokenDigest } from '../tokens/token.js';
import type { SessionIdentity, SessionVerifierV1 } from './session-verifier.js';

/**
 * A user entry of the static verifier: a user id, or the id with scopes.
 *
 * @example
 * ```ts
 * import { type StaticSessionEntry, staticSessionVerifier } from '@handshake/core';
 *
 * const alice: StaticSessionEntry = 'alice';
 * const ops: StaticSessionEntry = { userId: 'ops', scopes: ['handshake:approve'] };
 * const sessions = staticSessionVerifier({ 'token-alice': alice, 'token-ops': ops });
 * ```
 */
export type StaticSessionEntry = string | { userId: string; scopes?: readonly string[] };

/**
 * A fixed map of bearer credentials to users, for development and tests. Credentials
 * are held only as digests, so the map in memory never holds a usable secret after
 * construction and lookups compare digests.
 *
 * @example
 * ```ts
 * import { staticSessionVerifier } from '@handshake/core';
 *
 * const sessions = staticSessionVerifier({
 *   'dev-token-alice': 'alice',
 *   'dev-token-ops': { userId: 'ops', scopes: ['handshake:approve'] },
 * });
 * ```
 */
export function staticSessionVerifier(
  credentials: Readonly<Record<string, StaticSessionEntry>>,
): SessionVerifierV1 {
  const byDigest = new Map<string, SessionIdentity>();
  for (const [credential, entry] of Object.entries(credentials)) {
    const digest = tokenDigest(credential);
    const { userId, scopes = [] } = typeof entry === 'string' ? { userId: entry } : entry;
    byDigest.set(digest, { userId, scopes, sessionId: `s:${digest.slice(0, 32)}` });
  }
  return {
    specificationVersion: 'v1',
    verify: (credential) => byDigest.get(tokenDigest(credential)),
  };
}

/**
 * Parses `HANDSHAKE_SESSIONS`-style text: `user:token,user:token`.
 *
 * @example
 * ```ts
 * import { parseSessionList } from '@handshake/core';
 *
 * parseSessionList('alice:dev-token-alice,bob:dev-token-bob');
 * // { 'dev-token-alice': 'alice', 'dev-token-bob': 'bob' }
 * ```
 */
export function parseSessionList(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of text.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const colon = trimmed.indexOf(':');
    if (colon <= 0 || colon === trimmed.length - 1) {
      throw new Error('expected "user:token" pairs separated by commas');
    }
    out[trimmed.slice(colon + 1)] = trimmed.slice(0, colon);
  }
  return out;
}
