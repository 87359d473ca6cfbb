// Known-bad request bodies, sent to every endpoint that reads one. Each must be refused
// with a 4xx and the error envelope. Bytes are given where text cannot carry the fault
// (invalid UTF-8).

export interface BadBody {
  name: string;
  body: string | Uint8Array;
}

const bytes = (...values: number[]) => new Uint8Array(values);
const utf8 = (text: string) => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

/** Malformed JSON and JSON of the wrong shape, for any endpoint. */
export const MALFORMED: readonly BadBody[] = [
  { name: 'empty', body: '' },
  { name: 'whitespace', body: ' \n\t ' },
  { name: 'null', body: 'null' },
  { name: 'true', body: 'true' },
  { name: 'a number', body: '-1' },
  { name: 'a string', body: '"authorize"' },
  { name: 'an array', body: '[]' },
  { name: 'an array of objects', body: '[{}]' },
  { name: 'an opening brace', body: '{' },
  { name: 'a closing brace', body: '}' },
  { name: 'a key without value', body: '{"tool":}' },
  { name: 'a trailing comma', body: '{"tool":"get_order",}' },
  { name: 'single quotes', body: "{'tool':'get_order'}" },
  { name: 'unquoted keys', body: '{tool:"get_order"}' },
  { name: 'an extra brace', body: '{"tool":"get_order"}}' },
  { name: 'trailing garbage', body: '{"tool":"get_order"} x' },
  { name: 'two documents', body: '{}{}' },
  { name: 'NaN', body: '{"amount":NaN}' },
  { name: 'Infinity', body: '{"amount":Infinity}' },
  { name: 'undefined', body: '{"amount":undefined}' },
  { name: 'a hexadecimal number', body: '{"amount":0x10}' },
  { name: 'a leading zero', body: '{"amount":01}' },
  { name: 'a comment', body: '/* hello */ {}' },
  { name: 'an unterminated string', body: '{"tool":"get_order' },
  { name: 'a raw control character', body: '{"tool":"get\u0001order"}' },
  { name: 'a bad escape', body: '{"tool":"\\x41"}' },
  { name: 'a lone surrogate escape', body: '{"tool":"get_order","parameters":{"a":"\\ud800"}}' },
  { name: 'a number too large for a double', body: '{"amount":1e999}' },
  { name: 'an empty object', body: '{}' },
  { name: 'unknown fields only', body: '{"hello":"world"}' },
  { name: 'wrong types everywhere', body: '{"tool":1,"parameters":"x","decision":7,"amount":[]}' },
  { name: 'a __proto__ member at the top', body: '{"__proto__":{"polluted":true}}' },
  {
    name: 'a constructor member at the top',
    body: '{"constructor":{"prototype":{"polluted":true}}}',
  },
  { name: 'a tool name with spaces', body: '{"tool":"get order","parameters":{}}' },
  {
    name: 'a tool name of 10 000 characters',
    body: `{"tool":"${'a'.repeat(10_000)}","parameters":{}}`,
  },
  { name: 'parameters that are an array', body: '{"tool":"get_order","parameters":[1,2]}' },
  { name: 'parameters that are null', body: '{"tool":"get_order","parameters":null}' },
  { name: 'a decision that is not one', body: '{"decision":"maybe"}' },
  {
    name: 'a reason of 60 000 characters',
    body: `{"decision":"deny","reason":"${'r'.repeat(60_000)}"}`,
  },
];

/** Bytes that are not UTF-8. */
export const INVALID_UTF8: readonly BadBody[] = [
  { name: 'a 0xFF byte', body: concat(utf8('{"tool":"'), bytes(0xff), utf8('"}')) },
  { name: 'an overlong slash', body: concat(utf8('{"tool":"'), bytes(0xc0, 0xaf), utf8('"}')) },
  {
    name: 'an encoded surrogate',
    body: concat(utf8('{"tool":"'), bytes(0xed, 0xa0, 0x80), utf8('"}')),
  },
  { name: 'a truncated sequence', body: concat(utf8('{"tool":"'), bytes(0xe2, 0x82), utf8('"}')) },
  {
    name: 'a five-byte sequence',
    body: concat(utf8('{"tool":"'), bytes(0xf8, 0x88, 0x80, 0x80, 0x80), utf8('"}')),
  },
  {
    name: 'UTF-16 with a byte order mark',
    body: concat(
      bytes(0xff, 0xfe),
      new Uint8Array(new Uint16Array([...'{}'].map((c) => c.charCodeAt(0))).buffer),
    ),
  },
];

/** Every prefix of a valid body: a request cut off at each byte. */
export function truncations(valid: string): BadBody[] {
  return Array.from({ length: valid.length }, (_, n) => ({
    name: `cut after ${n} characters`,
    body: valid.slice(0, n),
  }));
}

/** `levels` nested arrays (or objects), as text. */
export function nested(levels: number, kind: 'array' | 'object' = 'array'): string {
  return kind === 'array'
    ? `${'['.repeat(levels)}${']'.repeat(levels)}`
    : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

/** Amounts and currencies nobody should be able to spend. */
export const ABSURD_AMOUNTS: readonly unknown[] = [
  1e308,
  -0,
  0,
  -5,
  -0.01,
  0.1 + 0.2,
  1e-7,
  Number.MAX_SAFE_INTEGER + 2,
  '999999999999999999999',
  '1e3',
  '0x10',
  ' 1.00',
  '1.00 ',
  '1,00',
  '1.001',
  '-0',
  '-1.00',
  '+1.00',
  '.5',
  '5.',
  'ABC',
  'NaN',
  'Infinity',
  '',
  null,
  true,
  [],
  {},
  '١٠٠', // Arabic-Indic digits
];

export const ABSURD_CURRENCIES: readonly unknown[] = [
  'usd',
  'ABC',
  'US',
  'USDD',
  '',
  'U$D',
  'ＵＳＤ', // full-width
  123,
  null,
  ['USD'],
];
