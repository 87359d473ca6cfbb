import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64urlEncode } from '../encoding/base64url.js';
import { type Ed25519Path, ed25519Path, verifyEd25519 } from './ed25519.js';
import {
  ed25519PublicKey,
  executeSigningPayload,
  signExecute,
  verifyExecuteSignature,
} from './signature.js';

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const PATHS: Ed25519Path[] = ['native', 'webcrypto', 'portable'];

// RFC 8032 §7.1, TEST 1 to TEST 3: secret key, public key, message, signature.
const RFC_8032 = [
  [
    '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    '',
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  ],
  [
    '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    '72',
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  ],
  [
    'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    'af82',
    '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  ],
] as const;

// L = 2^252 + 27742317777372353535851937790883648493, little-endian (RFC 8032 §5.1).
const L_BYTES = hex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

/**
 * The verdicts on the same input of the runtime's paths (`native` must agree with Web
 * Crypto, both OpenSSL here) and of the portable one.
 */
async function verdicts(key: Uint8Array, sig: Uint8Array, msg: Uint8Array) {
  const [native, web, portable] = await Promise.all(
    PATHS.map((path) => verifyEd25519(key, sig, msg, path)),
  );
  expect(native).toBe(web);
  return { web, portable };
}

/** S + L: the same signature with a non-reduced scalar, which RFC 8032 §5.1.7 refuses. */
function withUnreducedS(signature: Uint8Array): Uint8Array {
  const out = new Uint8Array(signature);
  let carry = 0;
  for (let i = 0; i < 32; i += 1) {
    const sum = out[32 + i]! + L_BYTES[i]! + carry;
    out[32 + i] = sum & 0xff;
    carry = sum >> 8;
  }
  return out;
}

describe('verifyEd25519', () => {
  it("uses the runtime's own synchronous verification on this runtime", async () => {
    expect(await ed25519Path()).toBe('native');
  });

  it.each(RFC_8032)('accepts RFC 8032 vector %#, on both paths', async (_sk, pk, msg, sig) => {
    expect(await verdicts(hex(pk), hex(sig), hex(msg))).toEqual({ web: true, portable: true });
  });

  it('refuses a changed message, signature or key on both paths', async () => {
    const [, pk, msg, sig] = RFC_8032[2];
    const changedMsg = hex(msg);
    changedMsg[0]! ^= 1;
    const changedSig = hex(sig);
    changedSig[10]! ^= 0x40;
    const otherKey = hex(RFC_8032[1][1]);
    for (const [key, signature, message] of [
      [hex(pk), hex(sig), changedMsg],
      [hex(pk), changedSig, hex(msg)],
      [otherKey, hex(sig), hex(msg)],
    ] as const) {
      expect(await verdicts(key, signature, message)).toEqual({ web: false, portable: false });
    }
  });

  it('refuses malformed keys and signatures on both paths, without throwing', async () => {
    const [, pk, msg, sig] = RFC_8032[0];
    const key = hex(pk);
    const signature = hex(sig);
    const message = hex(msg);
    const notOnCurve = hex('0200000000000000000000000000000000000000000000000000000000000000');
    expect(ed25519.utils.isValidPublicKey(notOnCurve, false)).toBe(false);
    const cases: Array<[string, Uint8Array, Uint8Array]> = [
      ['a 31-byte key', key.subarray(0, 31), signature],
      ['a 33-byte key', new Uint8Array([...key, 0]), signature],
      ['an empty key', new Uint8Array(0), signature],
      ['a key that is not a curve point', notOnCurve, signature],
      ['the all-zero key (low order)', new Uint8Array(32), signature],
      ['a non-canonical key (y ≥ p)', hex(`ed${'ff'.repeat(30)}7f`), signature],
      ['a 63-byte signature', key, signature.subarray(0, 63)],
      ['a 65-byte signature', key, new Uint8Array([...signature, 0])],
      ['an all-zero signature', key, new Uint8Array(64)],
      ['S + L in place of S', key, withUnreducedS(signature)],
    ];
    for (const [label, k, s] of cases) {
      expect({ label, ...(await verdicts(k, s, message)) }).toEqual({
        label,
        web: false,
        portable: false,
      });
    }
  });

  it('agrees with itself across paths on random keys, messages and corruptions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat({ max: 64 + 32 + 299 }),
        fc.integer({ min: 1, max: 255 }),
        async (seed, message, at, flip) => {
          const key = ed25519.getPublicKey(seed);
          const signature = ed25519.sign(message, seed);
          expect(await verdicts(key, signature, message)).toEqual({ web: true, portable: true });
          // Corrupt one byte of the signature, the key or the message.
          const [sig, pk, msg] = [
            new Uint8Array(signature),
            new Uint8Array(key),
            new Uint8Array(message),
          ];
          if (at < 64) sig[at]! ^= flip;
          else if (at < 96) pk[at - 64]! ^= flip;
          else if (message.length > 0) msg[(at - 96) % message.length]! ^= flip;
          else sig[0]! ^= flip;
          expect(await verdicts(pk, sig, msg)).toEqual({ web: false, portable: false });
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('verifyExecuteSignature', () => {
  const seed = new Uint8Array(32).fill(9);
  const publicKey = Uint8Array.from(Buffer.from(ed25519PublicKey(seed), 'base64url'));
  const input = { tool: 'pay_order', paramsHash: 'ab'.repeat(32), transactionId: 'tx_1' };

  it('accepts what signExecute signs, and nothing else', async () => {
    const value = signExecute(seed, input);
    expect(await verifyExecuteSignature(publicKey, value, input)).toBe(true);
    expect(
      await verifyExecuteSignature(publicKey, value, { ...input, transactionId: 'tx_2' }),
    ).toBe(false);
    expect(
      await verifyExecuteSignature(publicKey, value, { ...input, tool: 'create_refund' }),
    ).toBe(false);
  });

  it('answers false for text that is not base64url, or not 64 bytes', async () => {
    const value = signExecute(seed, input);
    expect(await verifyExecuteSignature(publicKey, `${value}=`, input)).toBe(false);
    expect(await verifyExecuteSignature(publicKey, 'not base64url!', input)).toBe(false);
    expect(await verifyExecuteSignature(publicKey, value.slice(0, 40), input)).toBe(false);
    expect(await verifyExecuteSignature(publicKey.subarray(0, 16), value, input)).toBe(false);
  });

  it('signs exactly the canonical payload, which both paths verify', async () => {
    const value = signExecute(seed, input);
    const signature = Uint8Array.from(Buffer.from(value, 'base64url'));
    expect(base64urlEncode(signature)).toBe(value);
    expect(await verdicts(publicKey, signature, executeSigningPayload(input))).toEqual({
      web: true,
      portable: true,
    });
  });
});
