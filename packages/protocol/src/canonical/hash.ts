import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { HandshakeError } from '../errors/handshake-error.js';
import { canonicalUtf8, isWellFormedUnicode } from './canonicalize.js';
import type { Utf8Output } from './utf8-output.js';

interface NativeCrypto {
  createHash(algorithm: 'sha256'): {
    update(data: string | Uint8Array, encoding?: 'utf8'): { digest(encoding: 'hex'): string };
  };
  /** The one-shot digest (Node ≥ 20.12 and 21.7): no hash object is made. */
  hash?(algorithm: 'sha256', data: string | Uint8Array, encoding: 'hex'): string;
}

/**
 * The runtime's own SHA-256 where it offers one synchronously: Node (≥ 22.3), Bun and
 * Deno expose `node:crypto` through `process.getBuiltinModule`, without an import that
 * would tie this entry to Node. Three to ten times faster than JavaScript; @noble/hashes
 * everywhere else. Both compute FIPS 180-4 SHA-256, so digests are the same.
 */
const native: NativeCrypto | undefined = (() => {
  try {
    const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    const crypto = runtime?.getBuiltinModule?.('node:crypto') as NativeCrypto | undefined;
    return typeof crypto?.createHash === 'function' ? crypto : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * SHA-256 in hex through the runtime's `node:crypto`: its one-shot `hash` where it has
 * one (a string is hashed as its UTF-8 bytes by both), a hash object elsewhere.
 */
const nativeSha256Hex: ((input: string | Uint8Array) => string) | undefined = !native
  ? undefined
  : typeof native.hash === 'function'
    ? (input) => native.hash!('sha256', input, 'hex')
    : (input) => native.createHash('sha256').update(input).digest('hex');

/** Which implementation computes SHA-256 here (tests compare both). */
export type Sha256Path = 'native' | 'portable';

/** The path {@link sha256Hex} takes in this runtime. */
export const SHA256_PATH: Sha256Path = native ? 'native' : 'portable';

/** {@link sha256Hex} on a chosen path; `native` falls back where the runtime lacks it. */
export function sha256HexOn(path: Sha256Path, input: string | Uint8Array): string {
  if (typeof input === 'string') {
    if (!isWellFormedUnicode(input)) {
      throw new HandshakeError(
        'VALIDATION_ERROR',
        'Cannot hash a string that contains a lone surrogate',
      );
    }
    if (path === 'native' && nativeSha256Hex) return nativeSha256Hex(input);
    return bytesToHex(sha256(utf8ToBytes(input)));
  }
  if (!(input instanceof Uint8Array)) {
    throw new HandshakeError('VALIDATION_ERROR', 'sha256Hex takes a string or a Uint8Array');
  }
  if (path === 'native' && nativeSha256Hex) return nativeSha256Hex(input);
  return bytesToHex(sha256(input));
}

/**
 * The SHA-256 digest (FIPS 180-4) of `input`, as 64 lowercase hex characters. A string is
 * hashed as its UTF-8 bytes.
 *
 * A string with a lone surrogate is refused: UTF-8 cannot encode one, and `TextEncoder`
 * would quietly replace it with U+FFFD, giving two different strings the same digest.
 *
 * @throws {HandshakeError} `VALIDATION_ERROR` for a string with a lone surrogate, or an
 * input that is neither a string nor a `Uint8Array`.
 *
 * @example
 * ```ts
 * import { sha256Hex } from '@handshake/protocol';
 *
 * sha256Hex('abc');
 * // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 * sha256Hex(new Uint8Array([0x61, 0x62, 0x63])); // the same digest
 * ```
 */
export function sha256Hex(input: string | Uint8Array): string {
  return sha256HexOn(SHA256_PATH, input);
}

/**
 * The hash that binds an authorization to one exact set of parameters: the SHA-256 digest,
 * in lowercase hex, of the UTF-8 bytes of the RFC 8785 canonical form of `value` (see
 * {@link canonicalize}). Member order and insignificant number formatting do not change
 * it; any change of value does.
 *
 * @throws {HandshakeError} `VALIDATION_ERROR` when `value` is not JSON, as
 * {@link canonicalize} refuses it.
 *
 * @example
 * ```ts
 * import { hashParams } from '@handshake/protocol';
 *
 * const a = hashParams({ amount: { value: '12.34', currency: 'USD' }, payee: 'shop-42' });
 * const b = hashParams({ payee: 'shop-42', amount: { currency: 'USD', value: '12.34' } });
 * a === b; // true
 * ```
 */
export function hashParams(value: unknown): string {
  // The canonical bytes are valid UTF-8 (every string was checked for lone surrogates as
  // it was written), hashed as they are: no string is made.
  return canonicalUtf8(value, DEFAULT_OPTIONS, hashOutput);
}

const DEFAULT_OPTIONS = {};

/** The digest of the canonical bytes, which are valid UTF-8 and need no check. */
function hashOutput(output: Utf8Output): string {
  const bytes = output.view();
  return nativeSha256Hex ? nativeSha256Hex(bytes) : bytesToHex(sha256(bytes));
}
