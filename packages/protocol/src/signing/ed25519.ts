import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, concatBytes } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { base64urlEncode } from '../encoding/base64url.js';

// Ed25519 verification (RFC 8032 §5.1.7) on two paths with one verdict:
//
// - `node:crypto`'s synchronous `verify` where the runtime has it (Node, Bun, Deno), and
//   otherwise Web Crypto (`crypto.subtle.verify('Ed25519', …)`): native code, about ten
//   times faster than JavaScript;
// - @noble/curves everywhere else.
//
// Implementations differ on edge cases that honest signers never produce (low-order
// points, non-canonical encodings, the cofactored or cofactorless equation; see
// C2SP/CCTV ed25519). Both paths therefore apply the same strict rule: S < L, A and R
// canonical and not of low order (checked here, on the bytes, before either path), and
// the cofactorless equation [S]B = R + [k]A, which is what OpenSSL, BoringSSL and Go
// check. The portable path checks that equation itself on noble's points, because
// noble's own `verify` uses the cofactored one.

const Point = ed25519.Point;
const L = Point.Fn.ORDER;

// RFC 8032 §7.1, TEST 1: the self-test a runtime's Web Crypto must pass before it is used.
const SELF_TEST = {
  publicKey: hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
  signature: hex(
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  ),
  message: new Uint8Array(0),
};

// The encodings of the eight points of small order, canonical or not, and the two
// encodings with x = 0 and the sign bit set (C2SP/CCTV ed25519/README.md).
const LOW_ORDER = new Set(
  [
    '0000000000000000000000000000000000000000000000000000000000000000',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    '0000000000000000000000000000000000000000000000000000000000000080',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    '0100000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000080',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  ].map((encoding) => base64urlEncode(hex(encoding))),
);

function hex(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i += 1)
    out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** True when the 32 bytes encode y < p = 2^255 − 19 (RFC 8032 §5.1.3 rejects the rest). */
function canonicalY(point: Uint8Array): boolean {
  if ((point[31]! & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i -= 1) if (point[i] !== 0xff) return true;
  return point[0]! < 0xed;
}

/** The checks both paths share: lengths, S < L, A and R canonical and not of low order. */
function admissible(publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  if (bytesToNumberLE(signature.subarray(32)) >= L) return false;
  for (const point of [publicKey, signature.subarray(0, 32)]) {
    if (!canonicalY(point) || LOW_ORDER.has(base64urlEncode(point))) return false;
  }
  return true;
}

/** The portable path: the cofactorless equation on @noble/curves points. */
function verifyPortable(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array) {
  try {
    const r = signature.subarray(0, 32);
    const s = bytesToNumberLE(signature.subarray(32));
    // `false`: RFC 8032 decoding, which refuses non-canonical encodings.
    const A = Point.fromBytes(publicKey, false);
    const R = Point.fromBytes(r, false);
    if (A.isSmallOrder() || R.isSmallOrder()) return false;
    const k = Point.Fn.create(bytesToNumberLE(sha512(concatBytes(r, publicKey, message))));
    return Point.BASE.multiplyUnsafe(s).equals(R.add(A.multiplyUnsafe(k)));
  } catch {
    return false;
  }
}

interface NativeKey {
  readonly type: string;
}

interface NativeCrypto {
  createPublicKey(options: { key: Uint8Array; format: 'der'; type: 'spki' }): NativeKey;
  verify(algorithm: null, data: Uint8Array, key: NativeKey, signature: Uint8Array): boolean;
}

/** The SPKI DER prefix of an Ed25519 public key (RFC 8410): the key's 32 bytes follow. */
const SPKI_PREFIX = hex('302a300506032b6570032100');

/**
 * The runtime's own synchronous Ed25519 (`node:crypto`'s `verify`), where it has one and
 * it passes the self-test: Node, Bun and Deno expose it through
 * `process.getBuiltinModule`, without an import that would tie this module to Node. The
 * same OpenSSL verification as Web Crypto's on Node, without its promise, argument
 * conversions and job: about a third less CPU per verification.
 */
const native: NativeCrypto | undefined = (() => {
  try {
    const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    const crypto = runtime?.getBuiltinModule?.('node:crypto') as NativeCrypto | undefined;
    if (typeof crypto?.verify !== 'function' || typeof crypto.createPublicKey !== 'function') {
      return undefined;
    }
    const key = crypto.createPublicKey({
      key: concatBytes(SPKI_PREFIX, SELF_TEST.publicKey),
      format: 'der',
      type: 'spki',
    });
    return crypto.verify(null, SELF_TEST.message, key, SELF_TEST.signature) ? crypto : undefined;
  } catch {
    return undefined;
  }
})();

// Native keys by their bytes, as the Web Crypto keys below.
const nativeKeys = new Map<string, NativeKey>();

function verifyNative(
  crypto: NativeCrypto,
  publicKey: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
): boolean {
  try {
    const id = base64urlEncode(publicKey);
    let key = nativeKeys.get(id);
    if (key === undefined) {
      if (nativeKeys.size >= MAX_KEYS) nativeKeys.delete(nativeKeys.keys().next().value!);
      key = crypto.createPublicKey({
        key: concatBytes(SPKI_PREFIX, publicKey),
        format: 'der',
        type: 'spki',
      });
      nativeKeys.set(id, key);
    }
    return crypto.verify(null, message, key, signature);
  } catch {
    return false;
  }
}

let webCrypto: Promise<SubtleCrypto | undefined> | undefined;

/** The runtime's Web Crypto when it verifies Ed25519 (and passes the RFC 8032 self-test). */
function subtleEd25519(): Promise<SubtleCrypto | undefined> {
  webCrypto ??= (async () => {
    const subtle = globalThis.crypto?.subtle;
    if (!subtle) return undefined;
    try {
      const key = await subtle.importKey('raw', SELF_TEST.publicKey, 'Ed25519', false, ['verify']);
      const ok = await subtle.verify('Ed25519', key, SELF_TEST.signature, SELF_TEST.message);
      return ok ? subtle : undefined;
    } catch {
      return undefined;
    }
  })();
  return webCrypto;
}

// Imported keys by their bytes: registered keys are few, and an import costs about as
// much as hashing the parameters.
const keys = new Map<string, Promise<CryptoKey>>();
const MAX_KEYS = 1024;

function importKey(subtle: SubtleCrypto, publicKey: Uint8Array): Promise<CryptoKey> {
  const id = base64urlEncode(publicKey);
  let key = keys.get(id);
  if (!key) {
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value!);
    key = subtle.importKey('raw', new Uint8Array(publicKey), 'Ed25519', false, ['verify']);
    key.catch(() => keys.delete(id));
    keys.set(id, key);
  }
  return key;
}

/**
 * Which implementation verifies: the runtime's synchronous `node:crypto`, its Web
 * Crypto, or @noble/curves.
 */
export type Ed25519Path = 'native' | 'webcrypto' | 'portable';

/** The path {@link verifyEd25519} takes by default in this runtime. */
export async function ed25519Path(): Promise<Ed25519Path> {
  if (native) return 'native';
  return (await subtleEd25519()) ? 'webcrypto' : 'portable';
}

/**
 * Verifies an Ed25519 signature with the strict rule above. Never throws: malformed
 * input verifies as `false`. `path` forces one implementation (tests compare them);
 * forcing `native` or `webcrypto` where the runtime lacks it answers `false`.
 */
export async function verifyEd25519(
  publicKey: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
  path?: Ed25519Path,
): Promise<boolean> {
  if (!admissible(publicKey, signature)) return false;
  if (path === 'native' || (path === undefined && native)) {
    return native ? verifyNative(native, publicKey, signature, message) : false;
  }
  const subtle = path === 'portable' ? undefined : await subtleEd25519();
  if (!subtle) return path === 'webcrypto' ? false : verifyPortable(publicKey, signature, message);
  try {
    const key = await importKey(subtle, publicKey);
    return await subtle.verify('Ed25519', key, new Uint8Array(signature), new Uint8Array(message));
  } catch {
    return false;
  }
}
