import type { Awaitable } from '../types/common.js';
import { UnsupportedSpecificationVersionError } from '../types/specification-version.js';

/**
 * Who a session belongs to.
 *
 * @example
 * ```ts
 * import type { SessionIdentity, SessionVerifierV1 } from '@handshake/core';
 *
 * const verifier: SessionVerifierV1 = {
 *   specificationVersion: 'v1',
 *   verify: (credential): SessionIdentity | undefined =>
 *     credential === 'dev-token' ? { userId: 'alice', scopes: [], sessionId: 'dev' } : undefined,
 * };
 * ```
 */
export interface SessionIdentity {
  userId: string;
  /** Scopes granted to the session; `handshake:approve` lets it decide others' approvals. */
  scopes: readonly string[];
  /**
   * Identifies this session for replay answers. Defaults to a digest of the bearer
   * credential; JWT verifiers use the `sid` claim when present, so a refreshed token of
   * the same session still receives its replays.
   */
  sessionId: string;
}

/**
 * Turns a bearer credential into an identity, or `undefined` when it is not valid.
 *
 * @example
 * ```ts
 * import { staticSessionVerifier } from '@handshake/core';
 *
 * const sessions = staticSessionVerifier({ 'dev-token-alice': 'alice' });
 * ```
 */
export interface SessionVerifierV1 {
  readonly specificationVersion: 'v1';
  verify(credential: string): Awaitable<SessionIdentity | undefined>;
}

/**
 * User ids no session may claim: `anonymous` is who calls PUBLIC tools without a
 * session, and a session of that name would share its tokens and rate-limit bucket.
 *
 * @example
 * ```ts
 * import { RESERVED_USER_IDS } from '@handshake/core';
 *
 * RESERVED_USER_IDS.includes('anonymous'); // true
 * ```
 */
export const RESERVED_USER_IDS: readonly string[] = Object.freeze(['anonymous']);

/**
 * True for a user id no session may claim (see {@link RESERVED_USER_IDS}); the engine
 * refuses such an identity from any verifier.
 *
 * @example
 * ```ts
 * import { isReservedUserId } from '@handshake/core';
 *
 * isReservedUserId('anonymous'); // true
 * isReservedUserId('alice'); // false
 * ```
 */
export function isReservedUserId(userId: string): boolean {
  return RESERVED_USER_IDS.includes(userId);
}

/**
 * A session verifier that asks each of `verifiers` in turn and answers the first
 * identity one of them gives; `undefined` when none accepts the credential. A verifier
 * that throws stops the search (a JWKS that cannot be fetched is not a refusal).
 *
 * @example
 * ```ts
 * import { anySessionVerifier, jwtSessionVerifier, staticSessionVerifier } from '@handshake/core';
 *
 * const sessions = anySessionVerifier(
 *   staticSessionVerifier({ 'dev-token-alice': 'alice' }),
 *   jwtSessionVerifier({ secret: 'a-32-byte-or-longer-shared-secret!!' }),
 * );
 * ```
 */
export function anySessionVerifier(...verifiers: readonly SessionVerifierV1[]): SessionVerifierV1 {
  for (const verifier of verifiers) {
    UnsupportedSpecificationVersionError.check('session verifier', verifier);
  }
  if (verifiers.length === 1) return verifiers[0]!;
  return {
    specificationVersion: 'v1',
    async verify(credential) {
      for (const verifier of verifiers) {
        const identity = await verifier.verify(credential);
        if (identity) return identity;
      }
      return undefined;
    },
  };
}
