import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HandshakeError } from '../errors/handshake-error.js';
import { CANONICALIZE_MAX_DEPTH, canonicalize, isWellFormedUnicode } from './canonicalize.js';

/**
 * The sample canonicalizer of RFC 8785 Appendix A, transcribed to TypeScript: primitives
 * through JSON.stringify, arrays in order, object keys sorted with the default sort.
 */
function rfc8785Reference(object: unknown): string {
  let buffer = '';
  serialize(object);
  return buffer;

  function serialize(value: unknown): void {
    if (
      value === null ||
      typeof value !== 'object' ||
      (value as { toJSON?: unknown }).toJSON != null
    ) {
      buffer += JSON.stringify(value);
    } else if (Array.isArray(value)) {
      buffer += '[';
      let next = false;
      for (const element of value) {
        if (next) buffer += ',';
        next = true;
        serialize(element);
      }
      buffer += ']';
    } else {
      buffer += '{';
      let next = false;
      const record = value as Record<string, unknown>;
      for (const property of Object.keys(record).sort()) {
        if (next) buffer += ',';
        next = true;
        buffer += JSON.stringify(property);
        buffer += ':';
        serialize(record[property]);
      }
      buffer += '}';
    }
  }
}

/** The error `run` throws, which must be a HandshakeError. */
function caught(run: () => unknown): HandshakeError {
  try {
    run();
  } catch (error) {
    expect(HandshakeError.isInstance(error)).toBe(true);
    return error as HandshakeError;
  }
  throw new Error('expected a HandshakeError, nothing was thrown');
}

/** The same JSON value with the members of every object in another order. */
function reorder(value: unknown, seed: number): unknown {
  let state = seed >>> 0;
  const nextRandom = () => {
    // xorshift32: a small deterministic shuffle driven by the fast-check seed.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const entries = Object.entries(node).map(([key, item]) => [key, walk(item)] as const);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(nextRandom() * (i + 1));
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    // Object.fromEntries defines own properties, so a "__proto__" key survives.
    return Object.fromEntries(entries);
  };
  return walk(value);
}

const unicodeKeyObjects = fc.oneof(
  fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 2 })),
  fc.dictionary(fc.string({ unit: 'grapheme' }), fc.jsonValue({ maxDepth: 2 })),
);

const jsonValues = fc.oneof(
  fc.jsonValue(),
  fc.jsonValue({ stringUnit: 'binary' }),
  unicodeKeyObjects,
);

describe('canonicalize', () => {
  it('sorts keys, keeps array order and writes no whitespace', () => {
    expect(canonicalize({ b: [3, 1, 2], a: { d: true, c: null }, '': 'empty' })).toBe(
      '{"":"empty","a":{"c":null,"d":true},"b":[3,1,2]}',
    );
  });

  it('sorts by UTF-16 code units, not by code point or locale (RFC 8785 §3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Read the values in written order; JSON.parse would move the integer key "1" first.
    const written = [...canonicalize(input).matchAll(/:"([^"]*)"/g)].map((match) => match[1]);
    expect(written).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
    // 'é' > 'z' in code units, the reverse of most locales.
    expect(canonicalize({ é: 1, z: 2 })).toBe('{"z":2,"é":1}');
  });

  it('writes the RFC 8785 Appendix B numbers', () => {
    const samples: Array<[hex: string, expected: string]> = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [hex, expected] of samples) {
      const view = new DataView(new ArrayBuffer(8));
      view.setBigUint64(0, BigInt(`0x${hex}`));
      expect(canonicalize(view.getFloat64(0)), hex).toBe(expected);
    }
  });

  it('writes numbers in ECMAScript form', () => {
    expect(canonicalize(-0)).toBe('0');
    expect(canonicalize([-0, 0])).toBe('[0,0]');
    expect(canonicalize(1e21)).toBe('1e+21');
    expect(canonicalize(1e20)).toBe('100000000000000000000');
    expect(canonicalize(1e-7)).toBe('1e-7');
    expect(canonicalize(0.000001)).toBe('0.000001');
    expect(canonicalize(0.1 + 0.2)).toBe('0.30000000000000004');
    // 2^53 + 1 is not a double; a JSON parser reads the nearest one.
    expect(canonicalize(JSON.parse('9007199254740993'))).toBe('9007199254740992');
    expect(canonicalize(JSON.parse('[4.50, 2e-3, 1E30, 56.0]'))).toBe('[4.5,0.002,1e+30,56]');
  });

  it('escapes strings as JSON.stringify does (RFC 8785 §3.2.2.2)', () => {
    expect(canonicalize('\u20ac$\u000f\nA\'B"\\\\"/')).toBe('"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"');
    expect(canonicalize('\b\t\n\f\r\u0000\u001f\u007f')).toBe(
      '"\\b\\t\\n\\f\\r\\u0000\\u001f\u007f"',
    );
    expect(canonicalize('</script>😂')).toBe('"</script>😂"');
  });

  it('treats __proto__ as an ordinary own key', () => {
    expect(canonicalize(JSON.parse('{"__proto__":1}'))).toBe('{"__proto__":1}');
    expect(canonicalize(JSON.parse('{"b":{"__proto__":{"x":[]}},"a":0}'))).toBe(
      '{"a":0,"b":{"__proto__":{"x":[]}}}',
    );
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 2 });
    expect(canonicalize(bare)).toBe('{"a":2,"b":1}');
  });

  it('omits members whose value is undefined, as JSON.stringify does', () => {
    expect(canonicalize({ a: undefined, b: 1, c: { d: undefined } })).toBe('{"b":1,"c":{}}');
  });

  it('accepts the same object twice side by side', () => {
    const shared = { x: [1] };
    expect(canonicalize({ a: shared, b: shared, c: [shared, shared] })).toBe(
      '{"a":{"x":[1]},"b":{"x":[1]},"c":[{"x":[1]},{"x":[1]}]}',
    );
  });

  it('ignores toJSON', () => {
    expect(canonicalize({ toJSON: 'not a method', a: 1 })).toBe('{"a":1,"toJSON":"not a method"}');
  });

  it('equals the RFC 8785 Appendix A reference for any JSON value', () => {
    fc.assert(
      fc.property(jsonValues, (value) => {
        expect(canonicalize(value)).toBe(rfc8785Reference(value));
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(jsonValues, (value) => {
        const once = canonicalize(value);
        expect(canonicalize(JSON.parse(once))).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order of members', () => {
    fc.assert(
      fc.property(jsonValues, fc.integer({ min: 1 }), (value, seed) => {
        expect(canonicalize(reorder(value, seed))).toBe(canonicalize(value));
      }),
      { numRuns: 300 },
    );
  });

  describe('refuses what is not JSON, naming the place but not the value', () => {
    const secret = '4111111111111111';
    const cases: Array<[name: string, input: unknown, path: string]> = [
      ['NaN', { card: { cvc: Number.NaN } }, '$.card.cvc'],
      ['Infinity', [1, Number.POSITIVE_INFINITY], '$[1]'],
      ['-Infinity', { a: [[Number.NEGATIVE_INFINITY]] }, '$.a[0][0]'],
      ['a bigint', { amount: 1234n }, '$.amount'],
      ['a function', { f: () => secret }, '$.f'],
      ['a symbol', [Symbol(secret)], '$[0]'],
      ['a top-level undefined', undefined, '$'],
      ['undefined in an array', { list: [1, undefined] }, '$.list[1]'],
      // biome-ignore lint/suspicious/noSparseArray: the hole is the case under test
      ['a hole in an array', [1, , 3], '$[1]'],
      ['a lone high surrogate', { card: `${secret}\ud800` }, '$.card'],
      ['a lone low surrogate', [`\udc00${secret}`], '$[0]'],
      ['reversed surrogates', `\ude00\ud83d${secret}`, '$'],
      ['a lone surrogate in a key', { a: { 'key\ud800': 1 } }, '$.a["key\\ud800"]'],
      ['a Date', { when: new Date(0) }, '$.when'],
      ['a Map', { m: new Map([[secret, 1]]) }, '$.m'],
      ['a Set', [new Set([secret])], '$[0]'],
      ['a Uint8Array', { bytes: new Uint8Array([1, 2]) }, '$.bytes'],
      [
        'a class instance',
        {
          card: new (class Card {
            number = secret;
          })(),
        },
        '$.card',
      ],
      ['a boxed string', { s: new String(secret) }, '$.s'],
      ['a RegExp', { r: /4111/ }, '$.r'],
      ['an Error', { e: new Error(secret) }, '$.e'],
    ];

    it.each(cases)('%s', (_name, input, path) => {
      const error = caught(() => canonicalize(input));
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.path).toBe(path);
      expect(error.message).toContain(path);
      expect(error.message).not.toContain('4111');
      expect(error.message).not.toContain('1970');
    });

    it('quotes keys that are not identifiers in the path', () => {
      expect(caught(() => canonicalize({ 'a b': { 'x-y': [Number.NaN] } })).path).toBe(
        '$["a b"]["x-y"][0]',
      );
    });

    it('a circular reference through an object or an array', () => {
      const loop: Record<string, unknown> = { a: 1 };
      loop.self = loop;
      expect(caught(() => canonicalize({ root: loop })).path).toBe('$.root.self');
      const ring: unknown[] = [];
      ring.push({ ring });
      const error = caught(() => canonicalize(ring));
      expect(error.path).toBe('$[0].ring');
      expect(error.message).toMatch(/circular/);
    });

    it('nesting beyond maxDepth, without overflowing the stack', () => {
      let deep: unknown = 0;
      for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? [deep] : { a: deep };
      const error = caught(() => canonicalize(deep));
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.message).toMatch(/deeper than 128/);
      // The explicit stack handles any depth it is allowed to.
      expect(canonicalize(deep, { maxDepth: 100_000 })).toHaveLength(
        50_000 * '[]'.length + 50_000 * '{"a":}'.length + 1,
      );
    });

    it('exactly at the limit', () => {
      const nest = (depth: number): unknown => {
        let value: unknown = 'leaf';
        for (let i = 0; i < depth; i++) value = [value];
        return value;
      };
      expect(CANONICALIZE_MAX_DEPTH).toBe(128);
      expect(() => canonicalize(nest(128))).not.toThrow();
      expect(caught(() => canonicalize(nest(129))).path).toBe(`$${'[0]'.repeat(128)}`);
      expect(canonicalize('scalar', { maxDepth: 0 })).toBe('"scalar"');
      expect(caught(() => canonicalize([], { maxDepth: 0 })).path).toBe('$');
      expect(() => canonicalize(nest(3), { maxDepth: 3 })).not.toThrow();
      expect(() => canonicalize(nest(4), { maxDepth: 3 })).toThrow(/deeper than 3/);
    });

    it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('a maxDepth of %s', (maxDepth) => {
      expect(caught(() => canonicalize({}, { maxDepth })).code).toBe('VALIDATION_ERROR');
    });
  });
});

describe('isWellFormedUnicode', () => {
  const units = fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
      fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
      fc.constantFrom('\ud83d\ude02', 'a'),
    ),
  });
  const native = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

  it('agrees with String.prototype.isWellFormed', () => {
    expect(typeof native).toBe('function');
    fc.assert(
      fc.property(units, (text) => {
        expect(isWellFormedUnicode(text)).toBe(native!.call(text));
      }),
    );
  });

  it('agrees with it through the fallback scan too, on runtimes without it', () => {
    const prototype = String.prototype as { isWellFormed?: unknown };
    const saved = Object.getOwnPropertyDescriptor(String.prototype, 'isWellFormed')!;
    delete prototype.isWellFormed;
    try {
      expect(prototype.isWellFormed).toBeUndefined();
      for (const [text, expected] of [
        ['', true],
        ['\ud83d\ude02', true],
        ['a\ud800', false],
        ['\udc00a', false],
        ['\ud800\ud800\udc00', false],
        ['\ud800\udc00\udc00', false],
      ] as const) {
        expect(isWellFormedUnicode(text), JSON.stringify(text)).toBe(expected);
      }
      fc.assert(
        fc.property(units, (text) => {
          expect(isWellFormedUnicode(text)).toBe(native!.call(text));
        }),
      );
    } finally {
      Object.defineProperty(String.prototype, 'isWellFormed', saved);
    }
  });
});

describe('canonicalize, where JSON.stringify cannot be trusted with the copy', () => {
  it('sorts array-index names by code units, not numerically', () => {
    expect(canonicalize({ '9': 'b', '10': 'a', '1': 'c', x: { '2': 0, '10': 1 } })).toBe(
      '{"1":"c","10":"a","9":"b","x":{"10":1,"2":0}}',
    );
  });

  it('writes the same text beyond the depth it leaves to JSON.stringify', () => {
    let deep: unknown = { b: 1, a: [2] };
    for (let i = 0; i < 300; i++) deep = i % 2 === 0 ? [deep] : { z: deep, y: 'k' };
    const text = canonicalize(deep, { maxDepth: 1_000 });
    expect(text).toBe(rfc8785Reference(deep));
    expect(canonicalize(JSON.parse(text), { maxDepth: 1_000 })).toBe(text);
  });

  it('is not changed by a polluted prototype: a setter or a toJSON on Object or Array', () => {
    const prototypes = [Object.prototype, Array.prototype] as Array<Record<string, unknown>>;
    const swallowed: unknown[] = [];
    Object.defineProperty(Object.prototype, 'amount', {
      configurable: true,
      set(value) {
        swallowed.push(value);
      },
    });
    try {
      const parameters = JSON.parse('{"amount":"10.00","tags":["a"],"__proto__":{"x":1}}');
      const clean = '{"__proto__":{"x":1},"amount":"10.00","tags":["a"]}';
      expect(canonicalize(parameters)).toBe(clean);
      for (const prototype of prototypes) {
        prototype.toJSON = () => 'replaced';
        try {
          expect(canonicalize(parameters)).toBe(clean);
        } finally {
          delete prototype.toJSON;
        }
      }
      expect(swallowed).toEqual([]);
    } finally {
      delete (Object.prototype as Record<string, unknown>).amount;
    }
  });
});
