// RFC 8785 (JSON Canonicalization Scheme) test vectors from the testdata/ folder of
// cyberphone/json-canonicalization @19d51d7f, Apache-2.0, copied into ./jcs
// (see README.md here). input/X.json must canonicalize to
// the exact bytes of output/X.json, which outhex/X.txt spells in hex.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../src/canonical/canonicalize.js';

const vectors = new URL('./jcs/', import.meta.url);
const names = readdirSync(new URL('input/', vectors))
  .filter((name) => name.endsWith('.json'))
  .sort();

describe('RFC 8785 vectors (cyberphone/json-canonicalization)', () => {
  it('finds all six vectors', () => {
    expect(names).toEqual([
      'arrays.json',
      'french.json',
      'structures.json',
      'unicode.json',
      'values.json',
      'weird.json',
    ]);
  });

  it.each(names)('%s', (name) => {
    const input: unknown = JSON.parse(readFileSync(new URL(`input/${name}`, vectors), 'utf8'));
    const expected = readFileSync(new URL(`output/${name}`, vectors));
    const expectedHex = readFileSync(
      new URL(`outhex/${name.replace(/\.json$/, '.txt')}`, vectors),
      'utf8',
    ).replace(/\s+/g, '');

    const actual = Buffer.from(new TextEncoder().encode(canonicalize(input)));

    expect(actual.toString('hex')).toBe(expected.toString('hex'));
    expect(actual.toString('hex')).toBe(expectedHex);
  });
});
