import { base64urlDecode } from '@handshake/protocol';
import type { Awaitable } from '../types/common.js';

/**
 * Finds the Ed25519 public key (32 bytes) a user registered under `keyId`, for the
 * INTERNAL tier's signature check. Answer `undefined` for an unknown pair.
 *
 * @example
 * ```ts
 * import { staticKeyResolver } from '@handshake/core';
 *
 * const keys = staticKeyResolver([
 *   { userId: 'alice', keyId: 'laptop', publicKey: 'kYb1n5Fr2LU5lG0wZ6xF2p7uHzcN0bM6l6O4o1kQ2Zs' },
 * ]);
 * ```
 */
export interface KeyResolverV1 {
  readonly specificationVersion: 'v1';
  resolve(userId: string, keyId: string): Awaitable<Uint8Array | undefined>;
}

/**
 * One registered key: base64url or raw 32 bytes.
 *
 * @example
 * ```ts
 * import { type RegisteredKey, staticKeyResolver } from '@handshake/core';
 * import { generateSigningKey } from '@handshake/protocol';
 *
 * const { publicKey } = generateSigningKey();
 * const key: RegisteredKey = { userId: 'alice', keyId: 'laptop', publicKey };
 * const keys = staticKeyResolver([key]);
 * ```
 */
export interface RegisteredKey {
  userId: string;
  keyId: string;
  publicKey: string | Uint8Array;
}

/**
 * A fixed list of registered keys. Malformed keys are refused at construction.
 *
 * @example
 * ```ts
 * import { staticKeyResolver } from '@handshake/core';
 *
 * const keys = staticKeyResolver([]);
 * ```
 */
export function staticKeyResolver(keys: readonly RegisteredKey[]): KeyResolverV1 {
  const map = new Map<string, Uint8Array>();
  for (const key of keys) {
    const bytes =
      typeof key.publicKey === 'string' ? base64urlDecode(key.publicKey) : key.publicKey;
    if (bytes.length !== 32) {
      throw new TypeError(
        `public key ${key.keyId} of ${key.userId} must be 32 bytes, got ${bytes.length}`,
      );
    }
    map.set(`${key.userId}\u0000${key.keyId}`, bytes);
  }
  return {
    specificationVersion: 'v1',
    resolve: (userId, keyId) => map.get(`${userId}\u0000${keyId}`),
  };
}

/**
 * Parses `HANDSHAKE_KEYS`-style text: `user:keyId:base64urlPublicKey,...`.
 *
 * @example
 * ```ts
 * import { parseKeyList } from '@handshake/core';
 *
 * parseKeyList('alice:laptop:kYb1n5Fr2LU5lG0wZ6xF2p7uHzcN0bM6l6O4o1kQ2Zs');
 * ```
 */
export function parseKeyList(text: string): RegisteredKey[] {
  const out: RegisteredKey[] = [];
  for (const item of text.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const parts = trimmed.split(':');
    if (parts.length !== 3 || parts.some((part) => part === '')) {
      throw new Error('expected "user:keyId:base64urlPublicKey" entries separated by commas');
    }
    const [userId, keyId, publicKey] = parts as [string, string, string];
    out.push({ userId, keyId, publicKey });
  }
  return out;
}
