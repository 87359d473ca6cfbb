import {
  base64urlDecode,
  base64urlEncode,
  HandshakeError,
  sha256Hex,
  TOKEN_KINDS,
  TOKEN_PREFIXES,
  type TokenKind,
} from '@handshake/protocol';

/**
 * How many random bytes each kind carries: 32 (256 bits) for the secret bearer tokens,
 * 16 (128 bits) for approval and transaction identifiers, which name a record and grant
 * nothing on their own.
 *
 * @example
 * ```ts
 * import { TOKEN_BYTE_LENGTHS } from '@handshake/core';
 *
 * TOKEN_BYTE_LENGTHS.session * 8; // 256 bits of entropy
 * ```
 */
export const TOKEN_BYTE_LENGTHS = Object.freeze({
  ephemeral: 32,
  validation: 32,
  session: 32,
  approval: 16,
  transaction: 16,
} as const satisfies Record<TokenKind, number>);

/**
 * Fills `bytes` with cryptographically secure random bytes and returns them. Injected
 * wherever randomness is used, so tests can be deterministic.
 *
 * @example
 * ```ts
 * import { generateToken, type RandomSource } from '@handshake/core';
 *
 * // deterministic bytes for a test; never in production
 * const fixed: RandomSource = (bytes) => bytes.fill(7);
 * generateToken('ephemeral', fixed);
 * ```
 */
export type RandomSource = (bytes: Uint8Array) => Uint8Array;

// Web Crypto refuses requests over 65536 bytes (QuotaExceededError).
const MAX_RANDOM_REQUEST = 65_536;

/**
 * The default {@link RandomSource}: Web Crypto's `crypto.getRandomValues`, available in
 * browsers, workers, Deno, Bun and Node.js 19+. Requests of any size are served in chunks.
 *
 * @example
 * ```ts
 * import { cryptoRandomSource } from '@handshake/core';
 *
 * const salt = cryptoRandomSource(new Uint8Array(16));
 * ```
 */
export const cryptoRandomSource: RandomSource = (bytes) => {
  for (let offset = 0; offset < bytes.length; offset += MAX_RANDOM_REQUEST) {
    crypto.getRandomValues(bytes.subarray(offset, offset + MAX_RANDOM_REQUEST));
  }
  return bytes;
};

/**
 * A new token of `kind`: its prefix followed by the base64url form (RFC 4648 §5, no
 * padding) of {@link TOKEN_BYTE_LENGTHS}`[kind]` random bytes: 48 characters for a secret
 * token, 26 for an approval id and 25 for a transaction id.
 *
 * Store the {@link tokenDigest} of a secret token, never the token itself.
 *
 * @throws {HandshakeError} `VALIDATION_ERROR` for an unknown kind; `INTERNAL_ERROR` when
 * `random` does not return a `Uint8Array` of the requested length.
 *
 * @example
 * ```ts
 * import { generateToken } from '@handshake/core';
 *
 * const token = generateToken('ephemeral'); // 'hset_' + 43 characters
 * const approvalId = generateToken('approval'); // 'apr_' + 22 characters
 * ```
 */
export function generateToken(kind: TokenKind, random: RandomSource = cryptoRandomSource): string {
  return generateTokens([kind], random)[0]!;
}

/**
 * New tokens of the given kinds, in order, each exactly as {@link generateToken} makes it,
 * from one draw of the random source: a handshake needs several identifiers at once, and
 * one request for all their bytes costs less than one per identifier.
 *
 * @throws {HandshakeError} as {@link generateToken}.
 *
 * @example
 * ```ts
 * import { generateTokens } from './token.js'; // internal: not exported by the package
 *
 * const [transactionId, token] = generateTokens(['transaction', 'ephemeral']);
 * ```
 */
export function generateTokens(
  kinds: readonly TokenKind[],
  random: RandomSource = cryptoRandomSource,
): string[] {
  let length = 0;
  for (const kind of kinds) {
    if (!isTokenKind(kind)) {
      throw new HandshakeError('VALIDATION_ERROR', 'Unknown token kind', { path: 'kind' });
    }
    length += TOKEN_BYTE_LENGTHS[kind];
  }
  const bytes = random(new Uint8Array(length));
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new HandshakeError(
      'INTERNAL_ERROR',
      `The random source did not return the ${length} bytes requested`,
    );
  }
  let offset = 0;
  return kinds.map((kind) => {
    const end = offset + TOKEN_BYTE_LENGTHS[kind];
    const token = TOKEN_PREFIXES[kind] + base64urlEncode(bytes.subarray(offset, end));
    offset = end;
    return token;
  });
}

/**
 * The kind of a well-formed token: a known prefix followed by the canonical base64url form
 * of exactly as many bytes as that kind carries. `undefined` otherwise.
 *
 * This checks the shape only; it says nothing about whether the token was ever issued.
 *
 * @example
 * ```ts
 * import { generateToken, tokenKind } from '@handshake/core';
 *
 * tokenKind(generateToken('validation')); // 'validation'
 * tokenKind('hset_not-a-token'); // undefined
 * ```
 */
export function tokenKind(token: string): TokenKind | undefined {
  if (typeof token !== 'string') return undefined;
  for (const kind of TOKEN_KINDS) {
    const prefix = TOKEN_PREFIXES[kind];
    if (!token.startsWith(prefix)) continue;
    try {
      return base64urlDecode(token.slice(prefix.length)).length === TOKEN_BYTE_LENGTHS[kind]
        ? kind
        : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The form under which a token is stored and looked up: the lowercase hex SHA-256 digest of
 * its UTF-8 bytes. A leaked store then holds no usable token, and lookups compare digests,
 * never secrets.
 *
 * @throws {HandshakeError} `VALIDATION_ERROR` when `token` is not a string, or holds a lone
 * surrogate (see {@link sha256Hex}).
 *
 * @example
 * ```ts
 * import { generateToken, tokenDigest } from '@handshake/core';
 *
 * const token = generateToken('ephemeral');
 * const stored = tokenDigest(token); // 64 hex characters; keep this, hand out `token`
 * ```
 */
export function tokenDigest(token: string): string {
  if (typeof token !== 'string') {
    throw new HandshakeError('VALIDATION_ERROR', 'A token must be a string');
  }
  return sha256Hex(token);
}

/**
 * Compares two strings, typically two {@link tokenDigest}s, visiting every character
 * whatever the first difference, so the time taken does not reveal how long a matching
 * prefix was. Strings of different lengths compare unequal at once: a digest's length is
 * no secret.
 *
 * JavaScript cannot promise constant time: the engine may optimize the loop, and strings
 * have representations of their own. Compare digests, not secrets, so that what an
 * attacker could learn from timing is a digest they cannot invert.
 *
 * @example
 * ```ts
 * import { timingSafeEqualString, tokenDigest } from '@handshake/core';
 *
 * declare const presented: string;
 * declare const storedDigest: string;
 * const valid = timingSafeEqualString(tokenDigest(presented), storedDigest);
 * ```
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) {
    difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  }
  return difference === 0;
}

function isTokenKind(kind: unknown): kind is TokenKind {
  return (TOKEN_KINDS as readonly unknown[]).includes(kind);
}
