// sha256Hex runs on the runtime's native SHA-256 where it has one and on @noble/hashes
// elsewhere: both paths must give the same digests and refuse the same input. Vectors:
// NIST CAVS 11.0 (public domain), copied into packages/protocol/test-vectors/sha256.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHA256_PATH, type Sha256Path, sha256Hex, sha256HexOn } from './hash.js';

const PATHS: Sha256Path[] = ['native', 'portable'];
const vectors = JSON.parse(
  readFileSync(new URL('../../test-vectors/sha256/sha256-vectors.json', import.meta.url), 'utf8'),
) as { vectors: Array<{ msgHex: string; digestHex: string }> };

describe('SHA-256 on both paths', () => {
  it('takes the native path on this runtime', () => {
    expect(SHA256_PATH).toBe('native');
  });

  it.each(PATHS)('gives the NIST digests on the %s path', (path) => {
    expect(vectors.vectors.length).toBeGreaterThanOrEqual(16);
    for (const { msgHex, digestHex } of vectors.vectors) {
      expect(sha256HexOn(path, Uint8Array.from(Buffer.from(msgHex, 'hex')))).toBe(digestHex);
    }
    expect(sha256HexOn(path, 'abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('agrees across paths on any string and any bytes', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.uint8Array(),
        (text, data) => {
          expect(sha256HexOn('native', text)).toBe(sha256HexOn('portable', text));
          expect(sha256HexOn('native', data)).toBe(sha256HexOn('portable', data));
          expect(sha256Hex(text)).toBe(sha256HexOn('portable', text));
        },
      ),
    );
  });

  it.each(PATHS)('refuses a lone surrogate and a non-string on the %s path', (path) => {
    expect(() => sha256HexOn(path, 'a\ud800b')).toThrow(/lone surrogate/);
    expect(() => sha256HexOn(path, 42 as unknown as string)).toThrow(/string or a Uint8Array/);
  });
});
