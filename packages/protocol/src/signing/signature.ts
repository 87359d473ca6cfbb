import { ed25519 } from '@noble/curves/ed25519.js';
import { canonicalize } from '../canonical/canonicalize.js';
import { base64urlDecode, base64urlEncode } from '../encoding/base64url.js';
import { verifyEd25519 } from './ed25519.js';

/**
 * What an INTERNAL-tier signature covers.
 *
 * @example
 * ```ts
 * import { generateSigningKey, type SignedExecute, signExecute } from '@handshake/protocol';
 *
 * const { privateKey } = generateSigningKey();
 * const covered: SignedExecute = { tool: 'get_order', paramsHash: 'a'.repeat(64), transactionId: 'tx_1' };
 * const value = signExecute(privateKey, covered); // base64url Ed25519 signature
 * ```
 */
export interface SignedExecute {
  tool: string;
  paramsHash: string;
  transactionId: string;
}

/**
 * The exact bytes signed for an execute: UTF-8 of
 * `canonicalize({ tool, paramsHash, transactionId })`.
 *
 * @example
 * ```ts
 * import { executeSigningPayload } from '@handshake/protocol';
 *
 * const bytes = executeSigningPayload({ tool: 'get_order', paramsHash: 'ab…', transactionId: 'tx_1' });
 * ```
 */
export function executeSigningPayload(input: SignedExecute): Uint8Array {
  return new TextEncoder().encode(
    canonicalize({
      tool: input.tool,
      paramsHash: input.paramsHash,
      transactionId: input.transactionId,
    }),
  );
}

/**
 * Signs an execute with an Ed25519 private key (the 32-byte seed, raw or base64url).
 * Returns the signature in base64url.
 *
 * @example
 * ```ts
 * import { signExecute } from '@handshake/protocol';
 *
 * const seed = new Uint8Array(32).fill(7);
 * const value = signExecute(seed, { tool: 'get_order', paramsHash: 'ab', transactionId: 'tx_1' });
 * ```
 */
export function signExecute(privateKey: Uint8Array | string, input: SignedExecute): string {
  const seed = typeof privateKey === 'string' ? base64urlDecode(privateKey) : privateKey;
  if (seed.length !== 32) throw new TypeError('an Ed25519 private key is a 32-byte seed');
  return base64urlEncode(ed25519.sign(executeSigningPayload(input), seed));
}

/**
 * Verifies an execute signature. Never throws: malformed input verifies as `false`.
 *
 * Uses the runtime's Web Crypto Ed25519 where it has it (native, about ten times
 * faster) and @noble/curves elsewhere; both apply the same strict rule (S < L, A and R
 * canonical and not of low order, the cofactorless equation), so the verdict does not
 * depend on the runtime.
 *
 * @example
 * ```ts
 * import { verifyExecuteSignature } from '@handshake/protocol';
 *
 * await verifyExecuteSignature(new Uint8Array(32), 'bad', { tool: 't', paramsHash: 'h', transactionId: 'x' }); // false
 * ```
 */
export async function verifyExecuteSignature(
  publicKey: Uint8Array,
  signature: string,
  input: SignedExecute,
): Promise<boolean> {
  let bytes: Uint8Array;
  try {
    bytes = base64urlDecode(signature);
  } catch {
    return false;
  }
  if (bytes.length !== 64 || publicKey.length !== 32) return false;
  return verifyEd25519(publicKey, bytes, executeSigningPayload(input));
}

/**
 * Derives the public key (base64url) of an Ed25519 seed, to register it with the service.
 *
 * @example
 * ```ts
 * import { ed25519PublicKey } from '@handshake/protocol';
 *
 * const publicKey = ed25519PublicKey(new Uint8Array(32).fill(7));
 * ```
 */
export function ed25519PublicKey(privateKey: Uint8Array | string): string {
  const seed = typeof privateKey === 'string' ? base64urlDecode(privateKey) : privateKey;
  return base64urlEncode(ed25519.getPublicKey(seed));
}

/**
 * Makes a new Ed25519 key pair as base64url strings.
 *
 * @example
 * ```ts
 * import { generateSigningKey } from '@handshake/protocol';
 *
 * const { privateKey, publicKey } = generateSigningKey();
 * ```
 */
export function generateSigningKey(): { privateKey: string; publicKey: string } {
  const seed = ed25519.utils.randomSecretKey();
  return { privateKey: base64urlEncode(seed), publicKey: ed25519PublicKey(seed) };
}
