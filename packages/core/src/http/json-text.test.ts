import { hashParams } from '@handshake/protocol';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CREDENTIALS, testEngine } from '../../test/fixtures.js';
import { createHandshakeHandler } from './handler.js';
import { parseJsonText } from './json-text.js';

/** A reference serializer, so that no JSON.parse or JSON.stringify decides what is tested. */
function serialize(value: unknown, escapeAll: boolean, space: string): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : JSON.stringify(value);
  if (typeof value === 'string') return quote(value, escapeAll);
  if (Array.isArray(value)) {
    return `[${space}${value.map((item) => serialize(item, escapeAll, space)).join(`,${space}`)}]`;
  }
  const members = Object.keys(value as object).map(
    (key) =>
      `${quote(key, escapeAll)}${space}:${space}${serialize((value as Record<string, unknown>)[key], escapeAll, space)}`,
  );
  return `{${space}${members.join(`,${space}`)}${space}}`;
}

function quote(text: string, escapeAll: boolean): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const char = text[i]!;
    if (escapeAll) out += `\\u${unit.toString(16).padStart(4, '0')}`;
    else if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (char === '\b') out += '\\b';
    else if (unit < 0x20) out += `\\u${unit.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/** Equal as JSON values, with the same key order and -0 told from 0. */
function same(a: unknown, b: unknown): boolean {
  if (a === null || typeof a !== 'object') return Object.is(a, b);
  if (b === null || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every(
      (key, i) =>
        kb[i] === key &&
        Object.hasOwn(b, key) &&
        same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
    )
  );
}

// Keys and strings drawn from the characters that need escapes, and some that do not.
const awkward = fc.string({
  unit: fc.constantFrom(
    'a',
    '"',
    '\\',
    '/',
    '\n',
    '\t',
    '\b',
    '\u0000',
    '\u001f',
    '\u007f',
    'é',
    '€',
    '\u2028',
    '😀',
    '\ud800',
    '\udc00',
    '\ufeff',
  ),
  maxLength: 6,
});
const { value: jsonValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    awkward,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(awkward, tie('value'), { maxKeys: 5, noNullPrototype: true }),
  ),
}));

describe('parseJsonText', () => {
  it('reads every text as the value it was written from, keys with escapes included', () => {
    fc.assert(
      fc.property(
        jsonValue,
        fc.boolean(),
        fc.constantFrom('', ' ', '\n\t '),
        (value, escapeAll, space) => {
          const parsed = parseJsonText(serialize(value, escapeAll, space));
          expect(same(parsed, value)).toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('reads the keys some runtimes misread, and keeps __proto__ as data', () => {
    const parsed = parseJsonText(
      '{"\\u001f":1,"\\\\":2,"a\\u001fb":{"\\"":3},"__proto__":{"x":1}}',
    );
    expect(Object.keys(parsed as object)).toEqual(['\u001f', '\\', 'a\u001fb', '__proto__']);
    expect((parsed as Record<string, unknown>)['\u001f']).toBe(1);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed as object, '__proto__')).toBe(true);
    // Duplicate keys: the last value, in the first one's place.
    expect(JSON.stringify(parseJsonText('{"a":1,"b":2,"a":3}'))).toBe('{"a":3,"b":2}');
  });

  it('accepts exactly what JSON.parse accepts', () => {
    const near = fc.string({
      unit: fc.constantFrom(
        '{',
        '}',
        '[',
        ']',
        '"',
        ':',
        ',',
        '\\',
        'u',
        '0',
        '1',
        '-',
        '.',
        'e',
        '+',
        'n',
        't',
        'f',
        ' ',
        '\n',
        'a',
        '\u0001',
      ),
      maxLength: 14,
    });
    fc.assert(
      fc.property(fc.oneof(near, fc.string()), (text) => {
        let expected: 'ok' | 'error' = 'ok';
        try {
          JSON.parse(text);
        } catch {
          expected = 'error';
        }
        let actual: 'ok' | 'error' = 'ok';
        try {
          parseJsonText(text);
        } catch (error) {
          expect(error).toBeInstanceOf(SyntaxError);
          actual = 'error';
        }
        expect(actual, JSON.stringify(text)).toBe(expected);
      }),
      { numRuns: 20_000 },
    );
    for (const text of [
      '01',
      '1.',
      '.5',
      '+1',
      '"\\x"',
      '"\\u12"',
      '[1,]',
      '{"a":1,}',
      'tru',
      ' ',
      '"\t"',
    ]) {
      expect(() => parseJsonText(text), text).toThrow(SyntaxError);
    }
  });

  it('does not recurse: 100 000 levels of nesting are read without overflowing the stack', () => {
    const depth = 100_000;
    let value = parseJsonText(`${'[{"\\u0041":'.repeat(depth)}0${'}]'.repeat(depth)}`);
    let levels = 0;
    while (Array.isArray(value)) {
      value = (value[0] as Record<string, unknown>).A;
      levels += 1;
    }
    expect(levels).toBe(depth);
  });
});

describe('request bodies on a runtime whose JSON.parse misreads escaped keys', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('hashes and runs the parameters that were sent', async () => {
    const { engine, tools } = testEngine();
    const seen: unknown[] = [];
    const handler = createHandshakeHandler(engine);
    const parameters = { '\u001f': 'x', 'a\u001fb': { '\u001f': 1 } };
    // Reproduces the V8 defect seen in Node 24.21.0 and 26.10.0: "\u001f" as a key reads as "\\".
    const realParse = JSON.parse;
    const misread = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(misread);
      if (value === null || typeof value !== 'object') return value;
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key === '\u001f' ? '\\' : key, misread(item)]),
      );
    };
    vi.spyOn(JSON, 'parse').mockImplementation((text, reviver) =>
      misread(realParse(text, reviver)),
    );
    expect(JSON.parse('{"\\u001f":1}')).toEqual({ '\\': 1 });

    const post = (path: string, body: unknown) =>
      handler(
        new Request(`http://localhost${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${CREDENTIALS.alice}`,
          },
          body: serialize(body, false, ''),
        }),
      );
    const authorized = await (
      await post('/authorize', { tool: 'get_exchange_rate', parameters })
    ).text();
    const { ephemeralToken, paramsHash } = realParse(authorized) as Record<string, string>;
    const executed = await post('/execute', {
      ephemeralToken,
      tool: 'get_exchange_rate',
      parameters,
    });
    vi.restoreAllMocks();
    seen.push(realParse(await executed.text()));

    expect(paramsHash).toBe(hashParams(parameters));
    expect(executed.status).toBe(200);
    expect(tools.calls.get_exchange_rate).toBe(1);
    expect(seen[0]).toMatchObject({ result: { echo: parameters } });
  });
});
