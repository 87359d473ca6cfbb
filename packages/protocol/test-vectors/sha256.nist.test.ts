// SHA-256 test vectors from NIST CAVS 11.0 (public domain): the 65 byte-oriented short
// messages of SHA256ShortMsg.rsp, and the 16 message/digest pairs of sha256-vectors.json
// (CAVS short and long messages plus the FIPS 180-4 examples), read from
// ./sha256 (see README.md here).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/canonical/hash.js';

const vectors = new URL('./sha256/', import.meta.url);

interface Vector {
  lenBits: number;
  msgHex: string;
  digestHex: string;
}

/** The `Len`/`Msg`/`MD` records of a CAVS .rsp file. */
function parseRsp(text: string): Vector[] {
  const records: Vector[] = [];
  const pattern = /^Len = (\d+)\s*\r?\nMsg = ([0-9a-f]*)\s*\r?\nMD = ([0-9a-f]{64})\s*$/gim;
  for (const [, len, msg, md] of text.matchAll(pattern)) {
    const lenBits = Number(len);
    // Len is in bits; for Len = 0 CAVS writes `Msg = 00`, yet the message is empty.
    records.push({ lenBits, msgHex: msg!.slice(0, lenBits / 4), digestHex: md!.toLowerCase() });
  }
  return records;
}

function bytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

describe('SHA-256, NIST CAVS 11.0 SHA256ShortMsg.rsp', () => {
  const records = parseRsp(readFileSync(new URL('SHA256ShortMsg.rsp', vectors), 'utf8'));

  it('reads all 65 records', () => {
    expect(records).toHaveLength(65);
    expect(records[0]).toEqual({
      lenBits: 0,
      msgHex: '',
      digestHex: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
  });

  it.each(records.map((record) => [record.lenBits, record] as const))('Len = %i', (_, record) => {
    const message = bytes(record.msgHex);
    expect(message.length * 8).toBe(record.lenBits);
    expect(sha256Hex(message)).toBe(record.digestHex);
  });
});

describe('SHA-256, sha256-vectors.json', () => {
  const { vectors: pairs } = JSON.parse(
    readFileSync(new URL('sha256-vectors.json', vectors), 'utf8'),
  ) as { vectors: Vector[] };

  it('reads all 16 pairs', () => {
    expect(pairs).toHaveLength(16);
  });

  it.each(pairs.map((pair, index) => [`#${index}, ${pair.lenBits} bits`, pair] as const))(
    '%s',
    (_, pair) => {
      const message = bytes(pair.msgHex);
      expect(message.length * 8).toBe(pair.lenBits);
      expect(sha256Hex(message)).toBe(pair.digestHex);
    },
  );

  it('hashes the FIPS 180-4 messages given as strings', () => {
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });
});
