import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HandshakeError } from '../errors/handshake-error.js';
import { base64urlDecode, base64urlEncode } from './base64url.js';

describe('base64url', () => {
  it('encodes as RFC 4648 §10 and Node.js do', () => {
    const encode = (text: string) => base64urlEncode(new TextEncoder().encode(text));
    expect(['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'].map(encode)).toEqual([
      '',
      'Zg',
      'Zm8',
      'Zm9v',
      'Zm9vYg',
      'Zm9vYmE',
      'Zm9vYmFy',
    ]);
    expect(base64urlEncode(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
  });

  it('round-trips any bytes, and matches Node.js', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = base64urlEncode(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(base64urlDecode(text)).toEqual(bytes);
      }),
    );
  });

  it('accepts exactly the canonical encodings', () => {
    const alphabet = fc.constantFrom(
      ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
    );
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 40 }), (text) => {
        let decoded: Uint8Array | undefined;
        try {
          decoded = base64urlDecode(text);
        } catch (error) {
          expect(HandshakeError.isInstance(error) && error.code).toBe('VALIDATION_ERROR');
        }
        // Accepted text is exactly what encoding its bytes gives back.
        if (decoded !== undefined) expect(base64urlEncode(decoded)).toBe(text);
        else
          expect(Buffer.from(Buffer.from(text, 'base64url')).toString('base64url')).not.toBe(text);
      }),
    );
  });

  it.each([
    ['padding', 'Zg=='],
    ['one padding character', 'Zm8='],
    ['standard base64 +', 'a+b_'],
    ['standard base64 /', 'a/b_'],
    ['whitespace', 'Zm9v Zg'],
    ['a newline', 'Zm9v\nZg'],
    ['a non-ASCII character', 'Zm9vé'],
    ['an impossible length', 'Zm9vY'],
    ['non-zero trailing bits', 'Zh'],
    ['non-zero trailing bits after two bytes', 'ZmB'],
  ])('refuses %s', (_, text) => {
    expect(() => base64urlDecode(text)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_ERROR' }),
    );
  });

  it('names the position of a bad character, never the text', () => {
    expect(() => base64urlDecode('secretsecret+x')).toThrow(/position 12/);
    expect(() => base64urlDecode('secretsecret+x')).not.toThrow(/secret/);
  });
});
