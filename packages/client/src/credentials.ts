import {
  base64urlDecode,
  HandshakeError,
  hashParams,
  type Signature,
  signExecute,
} from '@handshake/protocol';

/**
 * The session credential sent as `Authorization: Bearer …`: a fixed string, or a
 * function asked before every request (sync or async), so a refreshed credential is
 * picked up without rebuilding the client. Answer `undefined` for none (PUBLIC tools).
 *
 * The service hands an approved call's token, and replays a lost execute, only to the
 * session that asked; a refreshed credential must therefore name the same session
 * (for JWTs, the same `sid`).
 *
 * @example
 * ```ts
 * import type { SessionSource } from '@handshake/client';
 * declare function currentAccessToken(): Promise<string>;
 *
 * const fixed: SessionSource = 'dev-token-alice';
 * const refreshed: SessionSource = () => currentAccessToken();
 * ```
 */
export type SessionSource = string | (() => string | undefined | Promise<string | undefined>);

/** Resolves the session for one request. */
export async function resolveSession(
  source: SessionSource | undefined,
): Promise<string | undefined> {
  if (source === undefined) return undefined;
  if (typeof source === 'string') return source === '' ? undefined : source;
  let value: string | undefined;
  try {
    value = await source();
  } catch (error) {
    throw new HandshakeError('UNAUTHORIZED', 'The session source failed to supply a credential', {
      cause: error,
    });
  }
  if (value !== undefined && typeof value !== 'string') {
    throw new TypeError('the session source must answer a string or undefined');
  }
  return value === '' ? undefined : value;
}

/**
 * The key that signs execute requests for INTERNAL and higher tiers: a key id
 * registered with the service for this user, and the Ed25519 private key as its
 * 32-byte seed (raw bytes or base64url).
 *
 * @example
 * ```ts
 * import { generateSigningKey } from '@handshake/protocol';
 * import type { Signer } from '@handshake/client';
 *
 * const { privateKey } = generateSigningKey(); // register the public key with the service
 * const signer: Signer = { keyId: 'laptop', privateKey };
 * ```
 */
export interface Signer {
  keyId: string;
  privateKey: string | Uint8Array;
}

/** A signer with its key checked and decoded once. */
export interface ResolvedSigner {
  keyId: string;
  sign(input: {
    tool: string;
    parameters: Record<string, unknown>;
    transactionId: string;
  }): Signature;
}

/**
 * Checks the key once, at construction, so a bad key fails early and its bytes never
 * reach an error message.
 */
export function resolveSigner(signer: Signer | undefined): ResolvedSigner | undefined {
  if (!signer) return undefined;
  if (typeof signer.keyId !== 'string' || signer.keyId === '') {
    throw new TypeError('signer.keyId must be a non-empty string');
  }
  let seed: Uint8Array;
  try {
    seed =
      typeof signer.privateKey === 'string'
        ? base64urlDecode(signer.privateKey)
        : new Uint8Array(signer.privateKey);
  } catch {
    throw new TypeError('signer.privateKey must be base64url or bytes');
  }
  if (seed.length !== 32) {
    throw new TypeError(
      `signer.privateKey must be a 32-byte Ed25519 seed, got ${seed.length} bytes`,
    );
  }
  const { keyId } = signer;
  return {
    keyId,
    // DESIGN.md: Ed25519 over canonicalize({ tool, paramsHash, transactionId }). Ed25519
    // signatures are deterministic, so the same call always signs to the same bytes and a
    // re-sent execute stays byte-identical.
    sign: ({ tool, parameters, transactionId }) => ({
      keyId,
      value: signExecute(seed, { tool, paramsHash: hashParams(parameters), transactionId }),
    }),
  };
}
