import { createHash } from 'node:crypto';
import {
  base64urlDecode,
  HandshakeError,
  TOKEN_KINDS,
  TOKEN_PREFIXES,
  type TokenKind,
} from '@handshake/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cryptoRandomSource,
  generateToken,
  generateTokens,
  type RandomSource,
  TOKEN_BYTE_LENGTHS,
  timingSafeEqualString,
  tokenDigest,
  tokenKind,
} from './token.js';

/** A random source that writes 0, 1, 2, … so tokens are predictable. */
const counting: RandomSource = (bytes) => {
  bytes.forEach((_, index) => {
    bytes[index] = index;
  });
  return bytes;
};

describe('generateToken', () => {
  const expectedLengths: Record<TokenKind, number> = {
    ephemeral: 5 + 43,
    validation: 5 + 43,
    session: 5 + 43,
    approval: 4 + 22,
    transaction: 3 + 22,
  };

  it.each(TOKEN_KINDS)('%s: prefix, length and alphabet', (kind) => {
    const token = generateToken(kind);
    expect(token.startsWith(TOKEN_PREFIXES[kind])).toBe(true);
    expect(token).toHaveLength(expectedLengths[kind]);
    expect(token.slice(TOKEN_PREFIXES[kind].length)).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(base64urlDecode(token.slice(TOKEN_PREFIXES[kind].length))).toHaveLength(
      TOKEN_BYTE_LENGTHS[kind],
    );
  });

  it('carries 256 bits in secret tokens and 128 in identifiers', () => {
    expect(TOKEN_BYTE_LENGTHS).toEqual({
      ephemeral: 32,
      validation: 32,
      session: 32,
      approval: 16,
      transaction: 16,
    });
  });

  it('gives every kind a prefix that is not the start of another', () => {
    const prefixes = Object.values(TOKEN_PREFIXES);
    expect(Object.keys(TOKEN_PREFIXES).sort()).toEqual([...TOKEN_KINDS].sort());
    for (const a of prefixes) {
      for (const b of prefixes) {
        if (a !== b) expect(b.startsWith(a)).toBe(false);
      }
    }
  });

  it('never repeats itself in 1000 tokens', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateToken('ephemeral')));
    expect(tokens.size).toBe(1000);
  });

  it('is deterministic with an injected random source', () => {
    expect(generateToken('approval', counting)).toBe('apr_AAECAwQFBgcICQoLDA0ODw');
    expect(generateToken('ephemeral', counting)).toBe(
      `hset_${Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64url')}`,
    );
    expect(generateToken('ephemeral', counting)).toBe(generateToken('ephemeral', counting));
  });

  it('refuses an unknown kind', () => {
    const error = (() => {
      try {
        generateToken('admin' as TokenKind);
      } catch (caught) {
        return caught;
      }
    })();
    expect(HandshakeError.isInstance(error) && error.code).toBe('VALIDATION_ERROR');
  });

  it('refuses a random source that does not return the bytes asked for', () => {
    expect(() => generateToken('session', () => new Uint8Array(31))).toThrow(
      expect.objectContaining({ code: 'INTERNAL_ERROR' }),
    );
    expect(() => generateToken('session', () => [] as unknown as Uint8Array)).toThrow(
      HandshakeError,
    );
  });
});

describe('generateTokens', () => {
  it('draws the bytes of all its tokens at once, each token from its own bytes', () => {
    const requests: number[] = [];
    const recording: RandomSource = (bytes) => {
      requests.push(bytes.length);
      return counting(bytes);
    };
    const kinds: TokenKind[] = ['transaction', 'approval', 'ephemeral'];
    const tokens = generateTokens(kinds, recording);
    expect(requests).toEqual([16 + 16 + 32]);
    const all = Array.from({ length: 64 }, (_, i) => i);
    const encoded = (from: number, to: number) =>
      Buffer.from(all.slice(from, to)).toString('base64url');
    expect(tokens).toEqual([
      `tx_${encoded(0, 16)}`,
      `apr_${encoded(16, 32)}`,
      `hset_${encoded(32, 64)}`,
    ]);
    expect(tokens.map(tokenKind)).toEqual(kinds);
  });

  it('makes tokens as generateToken does, never two alike', () => {
    const seen = new Set<string>();
    for (let round = 0; round < 200; round++) {
      for (const token of generateTokens(['transaction', 'approval', 'ephemeral', 'session'])) {
        expect(tokenKind(token)).toBeDefined();
        seen.add(token.slice(token.indexOf('_') + 1));
      }
    }
    expect(seen.size).toBe(800);
  });

  it('refuses an unknown kind, or a random source that does not return the bytes asked for', () => {
    expect(() => generateTokens(['approval', 'admin' as TokenKind])).toThrow(
      expect.objectContaining({ code: 'VALIDATION_ERROR' }),
    );
    expect(() => generateTokens(['approval', 'session'], () => new Uint8Array(47))).toThrow(
      expect.objectContaining({ code: 'INTERNAL_ERROR' }),
    );
  });
});

describe('cryptoRandomSource', () => {
  it('fills requests larger than one getRandomValues call allows', () => {
    const bytes = cryptoRandomSource(new Uint8Array(200_000));
    expect(bytes).toHaveLength(200_000);
    // Zero bytes in the last chunk would mean it was never filled.
    expect(bytes.subarray(196_608).some((byte) => byte !== 0)).toBe(true);
    expect(bytes.subarray(65_536, 131_072).some((byte) => byte !== 0)).toBe(true);
  });
});

describe('tokenKind', () => {
  it.each(TOKEN_KINDS)('recognizes a %s token', (kind) => {
    expect(tokenKind(generateToken(kind))).toBe(kind);
  });

  it('refuses anything else', () => {
    const body = generateToken('ephemeral').slice('hset_'.length);
    for (const text of [
      '',
      body,
      `hset_${body.slice(1)}`,
      `hset_${body}A`,
      `hset_${body.slice(0, -1)}=`,
      `HSET_${body}`,
      `hsxx_${body}`,
      `apr_${body}`,
      `hset_${body.slice(0, 20)}+${body.slice(21)}`,
    ]) {
      expect(tokenKind(text)).toBeUndefined();
    }
    expect(tokenKind(42 as unknown as string)).toBeUndefined();
  });
});

describe('tokenDigest', () => {
  it('is the hex SHA-256 of the token', () => {
    const token = generateToken('validation');
    expect(tokenDigest(token)).toBe(createHash('sha256').update(token, 'utf8').digest('hex'));
    expect(tokenDigest('')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('refuses what is not a string', () => {
    expect(() => tokenDigest(undefined as unknown as string)).toThrow(HandshakeError);
  });
});

describe('timingSafeEqualString', () => {
  it('compares digests', () => {
    const digest = tokenDigest(generateToken('session'));
    expect(timingSafeEqualString(digest, `${digest}`)).toBe(true);
    expect(timingSafeEqualString(digest, `${digest.slice(0, -1)}0`)).toBe(digest.endsWith('0'));
    expect(timingSafeEqualString(digest, `0${digest.slice(1)}`)).toBe(digest.startsWith('0'));
    expect(timingSafeEqualString(digest, digest.slice(0, -1))).toBe(false);
    expect(timingSafeEqualString('', '')).toBe(true);
  });

  it('agrees with === on any strings', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(timingSafeEqualString(a, b)).toBe(a === b);
        expect(timingSafeEqualString(a, a)).toBe(true);
      }),
    );
  });
});
