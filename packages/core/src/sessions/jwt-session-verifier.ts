import {
  type CryptoKey,
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  type KeyObject,
} from 'jose';
import { tokenDigest } from '../tokens/token.js';
import {
  isReservedUserId,
  type SessionIdentity,
  type SessionVerifierV1,
} from './session-verifier.js';

/**
 * Options of {@link jwtSessionVerifier}. Give exactly one of `secret`, `publicKey`, `jwks`, `jwksUrl`.
 *
 * @example
 * ```ts
 * import { type JwtSessionVerifierOptions, jwtSessionVerifier } from '@handshake/core';
 *
 * const options: JwtSessionVerifierOptions = {
 *   jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
 *   issuer: 'https://auth.example.com/',
 *   audience: 'handshake',
 * };
 * const sessions = jwtSessionVerifier(options);
 * ```
 */
export interface JwtSessionVerifierOptions {
  /** HS256 shared secret (Supabase's JWT secret, for instance). */
  secret?: string | Uint8Array;
  /** RS256 or EdDSA public key. */
  publicKey?: CryptoKey | KeyObject;
  /** A local JSON Web Key Set. */
  jwks?: JSONWebKeySet;
  /** A remote JSON Web Key Set, fetched and cached by `jose`. */
  jwksUrl?: string | URL;
  /** Accepted algorithms; defaults to `HS256` with a secret, `RS256` and `EdDSA` otherwise. */
  algorithms?: string[];
  issuer?: string;
  audience?: string;
  /** Claim holding the user id (default `sub`). */
  userClaim?: string;
  /** Allowed clock skew in seconds (default 5). */
  clockToleranceSeconds?: number;
  /**
   * The longest lifetime a token may have, in seconds (default 86 400, one day). Every
   * token must carry `exp`; one whose `exp` lies further ahead than this (from now, or
   * from its `iat`) is refused, so a leaked token never works for longer.
   */
  maxLifetimeSeconds?: number;
  /** Current time, for tests. */
  now?: () => number;
}

/**
 * Verifies JWT bearer credentials with `jose` (HS256, RS256, EdDSA). The user is the
 * `sub` claim; scopes come from `scope` (space separated) or `scopes`; the session id
 * from `sid` (Supabase's `session_id` too), else from the token's digest.
 *
 * A token without `exp`, or living longer than `maxLifetimeSeconds`, is refused, and so
 * is a reserved user id such as `anonymous` (see {@link isReservedUserId}).
 *
 * @example
 * ```ts
 * import { jwtSessionVerifier } from '@handshake/core';
 *
 * const sessions = jwtSessionVerifier({ secret: 'a-32-byte-or-longer-shared-secret!!' });
 * ```
 */
export function jwtSessionVerifier(options: JwtSessionVerifierOptions): SessionVerifierV1 {
  const given = [options.secret, options.publicKey, options.jwks, options.jwksUrl].filter(
    (value) => value !== undefined,
  );
  if (given.length !== 1) {
    throw new TypeError('jwtSessionVerifier needs exactly one of secret, publicKey, jwks, jwksUrl');
  }
  let key: Uint8Array | CryptoKey | KeyObject | JWTVerifyGetKey;
  if (options.secret !== undefined) {
    key =
      typeof options.secret === 'string'
        ? new TextEncoder().encode(options.secret)
        : options.secret;
  } else if (options.publicKey !== undefined) {
    key = options.publicKey;
  } else if (options.jwks !== undefined) {
    key = createLocalJWKSet(options.jwks);
  } else {
    key = createRemoteJWKSet(new URL(String(options.jwksUrl)));
  }
  const algorithms =
    options.algorithms ?? (options.secret !== undefined ? ['HS256'] : ['RS256', 'EdDSA']);
  const userClaim = options.userClaim ?? 'sub';
  const maxLifetimeSeconds = options.maxLifetimeSeconds ?? 86_400;
  if (!Number.isFinite(maxLifetimeSeconds) || maxLifetimeSeconds <= 0) {
    throw new TypeError('maxLifetimeSeconds must be a positive number of seconds');
  }
  const clockTolerance = options.clockToleranceSeconds ?? 5;
  return {
    specificationVersion: 'v1',
    async verify(credential) {
      let payload: JWTPayload;
      try {
        const verifyOptions = {
          algorithms,
          clockTolerance,
          requiredClaims: ['exp'],
          ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
          ...(options.audience !== undefined ? { audience: options.audience } : {}),
          ...(options.now !== undefined ? { currentDate: new Date(options.now()) } : {}),
        };
        const result =
          typeof key === 'function'
            ? await jwtVerify(credential, key, verifyOptions)
            : await jwtVerify(credential, key, verifyOptions);
        payload = result.payload;
      } catch {
        return undefined;
      }
      const nowSeconds = (options.now?.() ?? Date.now()) / 1000;
      const exp = payload.exp as number;
      const from = typeof payload.iat === 'number' ? Math.min(payload.iat, nowSeconds) : nowSeconds;
      if (exp - from > maxLifetimeSeconds + clockTolerance) return undefined;
      const userId = payload[userClaim];
      if (typeof userId !== 'string' || userId === '' || isReservedUserId(userId)) {
        return undefined;
      }
      const scopeClaim = payload.scope ?? payload.scopes;
      const scopes =
        typeof scopeClaim === 'string'
          ? scopeClaim.split(' ').filter(Boolean)
          : Array.isArray(scopeClaim)
            ? scopeClaim.filter((s): s is string => typeof s === 'string')
            : [];
      const sid = payload.sid ?? payload.session_id;
      const identity: SessionIdentity = {
        userId,
        scopes,
        sessionId:
          typeof sid === 'string' && sid !== ''
            ? `j:${sid}`
            : `s:${tokenDigest(credential).slice(0, 32)}`,
      };
      return identity;
    },
  };
}
