import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HandshakeError } from '../errors/handshake-error.js';
import { canonicalize } from './canonicalize.js';
import { hashParams, sha256Hex } from './hash.js';

function nodeSha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

const jsonValues = fc.oneof(fc.jsonValue(), fc.jsonValue({ stringUnit: 'binary' }));

describe('sha256Hex', () => {
  it('hashes the UTF-8 bytes of a string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const digest = sha256Hex(text);
        expect(digest).toMatch(/^[0-9a-f]{64}$/);
        expect(digest).toBe(nodeSha256(Buffer.from(text, 'utf8')));
        expect(digest).toBe(sha256Hex(new TextEncoder().encode(text)));
      }),
    );
  });

  it('hashes bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(sha256Hex(bytes)).toBe(nodeSha256(bytes));
      }),
    );
  });

  it('refuses a string with a lone surrogate rather than hashing U+FFFD in its place', () => {
    expect(() => sha256Hex('\ufffd')).not.toThrow();
    for (const text of ['\ud800', 'a\udc00b']) {
      expect(() => sha256Hex(text)).toThrow(HandshakeError);
    }
  });

  it('refuses input that is neither a string nor bytes', () => {
    expect(() => sha256Hex([1, 2] as unknown as Uint8Array)).toThrow(/string or a Uint8Array/);
  });
});

describe('hashParams', () => {
  it('is the SHA-256 of the UTF-8 canonical form', () => {
    fc.assert(
      fc.property(jsonValues, (value) => {
        expect(hashParams(value)).toBe(nodeSha256(Buffer.from(canonicalize(value), 'utf8')));
      }),
    );
  });

  it('does not depend on member order or number spelling', () => {
    const a = hashParams({ amount: { value: '12.34', currency: 'USD' }, payee: 'shop-42', n: 1 });
    const b = hashParams(
      JSON.parse('{"payee":"shop-42","n":1.0,"amount":{"currency":"USD","value":"12.34"}}'),
    );
    expect(a).toBe(b);
    expect(a).toBe(
      nodeSha256('{"amount":{"currency":"USD","value":"12.34"},"n":1,"payee":"shop-42"}'),
    );
  });

  it('changes with any change of value', () => {
    const base = { amount: { value: '12.34', currency: 'USD' }, payee: 'shop-42' };
    const digest = hashParams(base);
    expect(hashParams({ ...base, payee: 'shop-43' })).not.toBe(digest);
    expect(hashParams({ ...base, amount: { value: '12.35', currency: 'USD' } })).not.toBe(digest);
    expect(hashParams({ ...base, amount: { value: 12.34, currency: 'USD' } })).not.toBe(digest);
    expect(hashParams({ ...base, extra: null })).not.toBe(digest);
  });

  it('is independent of the order in which members were added', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 1 })),
        (record) => {
          const reversed = Object.fromEntries(Object.entries(record).reverse());
          expect(hashParams(reversed)).toBe(hashParams(record));
        },
      ),
    );
  });

  it('refuses what canonicalize refuses', () => {
    expect(() => hashParams({ amount: Number.NaN })).toThrow(/\$\.amount/);
  });
});
