import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HandshakeError } from '../errors/handshake-error.js';
import { canonicalize, canonicalUtf8 } from './canonicalize.js';
import { hashParams, sha256Hex, sha256HexOn } from './hash.js';
import { PackedBytes, UTF8_OUTPUT_PATH, Utf8Output } from './utf8-output.js';

// canonicalize and hashParams write UTF-8 bytes into a shared, growing buffer and keep
// the bytes of member names they have seen. These tests hold the writer to the text it
// must produce wherever those mechanisms could go wrong.

/** An object whose members were added in canonical order, so JSON.stringify writes it canonically. */
function sortedObject(
  names: string[],
  memberValue: (name: string) => unknown,
): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const name of [...names].sort()) object[name] = memberValue(name);
  return object;
}

/** RFC 8785 for flat objects of numbers: members sorted by code units. */
function rfc8785Like(object: Record<string, unknown>): string {
  const names = Object.keys(object).sort();
  return `{${names.map((name) => `${JSON.stringify(name)}:${JSON.stringify(object[name])}`).join(',')}}`;
}

describe('canonical bytes', () => {
  it('copies text with Buffer on this runtime, and with the portable loop gives the same bytes', () => {
    expect(UTF8_OUTPUT_PATH).toBe('native');
    const bytesOn = (value: unknown, path: 'native' | 'portable') =>
      canonicalUtf8(value, {}, (output) => Buffer.from(output.view()).toString('hex'), path);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ stringUnit: 'binary' }),
          fc.jsonValue({ stringUnit: 'grapheme' }),
          fc.array(fc.string({ unit: 'binary', maxLength: 3_000 })),
        ),
        (value) => {
          const native = bytesOn(value, 'native');
          expect(bytesOn(value, 'portable')).toBe(native);
          expect(native).toBe(Buffer.from(canonicalize(value), 'utf8').toString('hex'));
        },
      ),
      { numRuns: 200 },
    );
    const big = { a: 'x'.repeat(70_000), b: '€'.repeat(30_000), c: '"\\\n'.repeat(5_000) };
    expect(bytesOn(big, 'portable')).toBe(bytesOn(big, 'native'));
  });

  it('copies short strings before checking them, and writes exactly what JSON.stringify writes', () => {
    // Strings up to 64 code units are copied as UTF-8 and then checked as bytes; longer
    // ones are checked first. Every kind of code unit at every place, around that length.
    const units = [
      'a',
      '~',
      ' ',
      '\u007f',
      '"',
      '\\',
      '\n',
      '\u0000',
      '\u001f',
      'é',
      'ÿ',
      'Ā',
      '€',
      '😀',
    ];
    const bytesOn = (value: unknown, path: 'native' | 'portable') =>
      canonicalUtf8(value, {}, (output) => Buffer.from(output.view()).toString('hex'), path);
    for (const length of [0, 1, 2, 31, 63, 64, 65, 200]) {
      for (const unit of units) {
        for (const at of ['start', 'middle', 'end'] as const) {
          const fill = 'x'.repeat(Math.max(0, length - unit.length));
          const split = at === 'start' ? 0 : at === 'end' ? fill.length : fill.length >> 1;
          const text = length === 0 ? '' : `${fill.slice(0, split)}${unit}${fill.slice(split)}`;
          // Beside other strings, so the bytes a refused copy left past the end are
          // overwritten by what follows.
          const value = { a: text, b: [text, 'after', text], c: 'end' };
          const expected = `{"a":${JSON.stringify(text)},"b":[${JSON.stringify(text)},"after",${JSON.stringify(text)}],"c":"end"}`;
          expect(canonicalize(value)).toBe(expected);
          expect(bytesOn(value, 'native')).toBe(Buffer.from(expected, 'utf8').toString('hex'));
          expect(bytesOn(value, 'portable')).toBe(bytesOn(value, 'native'));
          expect(hashParams(value)).toBe(sha256Hex(expected));
        }
      }
      // A lone surrogate takes three bytes in UTF-8, so the copy does not pass as plain:
      // it is refused, wherever it sits.
      for (const lone of ['\ud800', '\udfff']) {
        const text = `${'x'.repeat(Math.max(0, length - 1))}${lone}`;
        expect(() => canonicalize({ list: ['ok', text] })).toThrow(/\$\.list\[1\].*lone surrogate/);
        expect(() => hashParams([text])).toThrow(HandshakeError);
      }
    }
  });

  it('hashParams hashes exactly the UTF-8 bytes of the canonical text, for any JSON value', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ stringUnit: 'binary' }),
          fc.jsonValue({ stringUnit: 'grapheme' }),
          fc.dictionary(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' })),
        ),
        (value) => {
          const text = canonicalize(value);
          expect(hashParams(value)).toBe(sha256Hex(text));
          expect(hashParams(value)).toBe(sha256HexOn('portable', text));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('grows past its first buffer, in ASCII, in escapes and in multi-byte text', () => {
    const ascii = 'a'.repeat(70_000);
    const euros = '€'.repeat(30_000);
    const escapes = '"\\\n'.repeat(10_000);
    const emoji = '😀'.repeat(20_000);
    for (const text of [ascii, euros, escapes, emoji, `${ascii}${euros}`]) {
      expect(canonicalize(text)).toBe(JSON.stringify(text));
      expect(canonicalize({ b: [text, 1], a: text })).toBe(
        `{"a":${JSON.stringify(text)},"b":[${JSON.stringify(text)},1]}`,
      );
      expect(hashParams({ a: text })).toBe(sha256Hex(`{"a":${JSON.stringify(text)}}`));
    }
    const items = Array.from({ length: 5_000 }, (_, n) => ({ name: `item ${n}`, price: n / 4 }));
    expect(canonicalize({ items })).toBe(JSON.stringify({ items }));
  });

  it('writes member names right past the names it keeps, and names too long to keep', () => {
    const many = Array.from({ length: 5_000 }, (_, n) => `name_${n.toString(36)}`);
    const long = ['x'.repeat(65), `é${'y'.repeat(80)}`, `"${'z'.repeat(100)}\\`];
    for (let round = 0; round < 2; round++) {
      const object = sortedObject([...many, ...long], (name) => name.length);
      expect(canonicalize(object)).toBe(JSON.stringify(object));
      expect(canonicalize({ z: object, a: [object] })).toBe(
        `{"a":[${JSON.stringify(object)}],"z":${JSON.stringify(object)}}`,
      );
    }
  });

  it('finds the names of objects of a shape it has written before only for exactly those names', () => {
    // The same first name, then other names, other orders, other counts: each its own shape.
    const variants: Record<string, unknown>[] = [
      { a: 1, b: 2 },
      { a: 1, c: 2 },
      { a: 1, b: 2, c: 3 },
      { a: 1 },
      { a: 1, 'b\u0000': 2 },
      { a: 1, B: 2 },
      { a: 1, b: 2, '': 3 },
      JSON.parse('{"a":1,"__proto__":2}'),
      { a: 1, '10': 2, '9': 3 },
      { a: 1, é: 2, '😀': 3, 'a"b\\c': 4, 'tab\t': 5 },
      { z: 1, a: 2 },
      { a: 2, z: 1 },
    ];
    for (let round = 0; round < 3; round++) {
      for (const object of variants) {
        const expected = rfc8785Like(object);
        expect(canonicalize(object)).toBe(expected);
        expect(canonicalize([object, { x: object }, object])).toBe(
          `[${expected},{"x":${expected}},${expected}]`,
        );
        expect(hashParams({ o: object })).toBe(sha256Hex(`{"o":${expected}}`));
      }
    }
  });

  it('appends packed bytes four at a time exactly as it appends them one at a time', () => {
    for (const path of ['native', 'portable'] as const) {
      for (let length = 0; length <= 9; length++) {
        for (let offset = 0; offset <= 4; offset++) {
          const bytes = Uint8Array.from({ length }, (_, n) => 0x80 + n * 13);
          const output = Utf8Output.take(path);
          try {
            for (let n = 0; n < offset; n++) output.byte(0x61);
            output.appendPacked(new PackedBytes(bytes));
            output.byte(0x7a);
            expect([...output.view()]).toEqual([
              ...Array.from({ length: offset }, () => 0x61),
              ...bytes,
              0x7a,
            ]);
          } finally {
            output.release();
          }
        }
      }
      // Across the growth of the buffer.
      const output = Utf8Output.take(path);
      try {
        const packed = new PackedBytes(Uint8Array.from([1, 2, 3, 4, 5, 6, 7]));
        for (let n = 0; n < 2_000; n++) output.appendPacked(packed);
        const written = output.view();
        expect(written.length).toBe(14_000);
        expect([...written.subarray(13_993)]).toEqual([1, 2, 3, 4, 5, 6, 7]);
        expect(written.every((byte, n) => byte === (n % 7) + 1)).toBe(true);
      } finally {
        output.release();
      }
    }
  });

  it('writes objects of more shapes than it keeps, and of names too many or too long to keep', () => {
    const objects = Array.from({ length: 1_000 }, (_, n) =>
      sortedObject([`k${n}`, `j${n % 7}`, 'shared'], (name) => name),
    );
    const many = sortedObject(
      Array.from({ length: 40 }, (_, n) => `m${n}`),
      (name) => name.length,
    );
    const long = sortedObject(['x'.repeat(65), `é${'y'.repeat(80)}`, 'a'], (name) => name.length);
    for (let round = 0; round < 2; round++) {
      expect(canonicalize(objects)).toBe(JSON.stringify(objects));
      for (const object of [many, long]) {
        expect(canonicalize(object)).toBe(JSON.stringify(object));
        expect(canonicalize({ b: object, a: [object] })).toBe(
          `{"a":[${JSON.stringify(object)}],"b":${JSON.stringify(object)}}`,
        );
      }
    }
  });

  it('refuses a lone surrogate in a name each time, never keeping a shape that holds one', () => {
    for (let round = 0; round < 3; round++) {
      for (const input of [{ a: 1, 'b\ud800': 2 }, { 'a\udc00': 1 }, { z: 1, 'y\ud800': 2 }]) {
        expect(() => canonicalize({ x: input })).toThrow(/lone surrogate/);
        expect(() => hashParams([input])).toThrow(HandshakeError);
      }
    }
  });

  it('gives a getter that canonicalizes while it is being written its own output', () => {
    const inner = { b: 'two', a: 'one' };
    const seen: string[] = [];
    const outer = {
      z: 'last',
      get m() {
        seen.push(canonicalize(inner), hashParams(inner));
        return { y: 1, x: 2 };
      },
      a: 'first',
    };
    expect(canonicalize(outer)).toBe('{"a":"first","m":{"x":2,"y":1},"z":"last"}');
    expect(seen).toEqual(['{"a":"one","b":"two"}', sha256Hex('{"a":"one","b":"two"}')]);
    expect(canonicalize(inner)).toBe('{"a":"one","b":"two"}');
  });

  it('leaves the shared output usable after refusing input halfway', () => {
    expect(() => canonicalize({ a: 'x'.repeat(10_000), b: Number.NaN })).toThrow(HandshakeError);
    expect(canonicalize({ b: 2, a: 1 })).toBe('{"a":1,"b":2}');
    expect(hashParams({ b: 2, a: 1 })).toBe(sha256Hex('{"a":1,"b":2}'));
  });

  it('finds a cycle and accepts repeated siblings at any depth', () => {
    const nest = (depth: number, leaf: unknown): Record<string, unknown> => {
      let value = leaf as Record<string, unknown>;
      for (let i = 0; i < depth; i++) value = { n: value };
      return value;
    };
    for (const depth of [3, 31, 32, 33, 60]) {
      const bottom: Record<string, unknown> = { leaf: true };
      const root = nest(depth, bottom);
      bottom.back = root;
      const error = (() => {
        try {
          canonicalize(root);
        } catch (caught) {
          return caught as HandshakeError;
        }
        throw new Error('a cycle was not refused');
      })();
      expect(error.message).toMatch(/circular/);
      expect(error.path).toBe(`$${'.n'.repeat(depth)}.back`);

      const shared = { k: 'v' };
      const siblings = nest(depth, { a: shared, b: [shared, shared] });
      expect(canonicalize(siblings)).toBe(JSON.stringify(siblings));
    }
  });
});
