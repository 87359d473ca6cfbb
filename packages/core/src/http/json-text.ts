/**
 * A strict JSON parser (RFC 8259) written without `JSON.parse`, for texts holding escape
 * sequences. Some V8 releases (seen in Node 24.21.0 and 26.10.0) parse a valid text
 * whose object keys contain escapes into an object with a different key, depending on
 * what the process parsed before (`"\u001f"` read as `"\\"`). The parameters hashed and
 * run must be the parameters sent, so request bodies with a backslash come here.
 *
 * It accepts exactly what `JSON.parse` accepts and builds the same value: later
 * duplicate keys win in the first one's position, `__proto__` is an own data property,
 * numbers are read by `Number` (the same correctly rounded double). It never recurses,
 * so depth is bounded only by memory; the caller limits nesting afterwards.
 */
export function parseJsonText(text: string): unknown {
  return new Parser(text).parse();
}

type Frame =
  | { array: unknown[]; object?: undefined; key?: undefined }
  | { array?: undefined; object: Record<string, unknown>; key: string };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// Characters a string holds as they are: not a quote, a backslash or a control character.
// biome-ignore lint/suspicious/noControlCharactersInRegex: RFC 8259 §7 refuses them raw
const PLAIN = /[^"\\\u0000-\u001f]*/y;
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

class Parser {
  readonly #text: string;
  #at = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parse(): unknown {
    const stack: Frame[] = [];
    for (;;) {
      // Read one value; containers are opened here and closed below.
      this.#space();
      let value: unknown;
      const c = this.#text[this.#at];
      if (c === '{') {
        this.#at += 1;
        this.#space();
        if (this.#text[this.#at] === '}') {
          this.#at += 1;
          value = {};
        } else {
          stack.push({ object: {}, key: this.#memberKey() });
          continue;
        }
      } else if (c === '[') {
        this.#at += 1;
        this.#space();
        if (this.#text[this.#at] === ']') {
          this.#at += 1;
          value = [];
        } else {
          stack.push({ array: [] });
          continue;
        }
      } else {
        value = this.#primitive();
      }
      // Attach the value to the open containers, closing those that end here.
      for (;;) {
        const frame = stack[stack.length - 1];
        if (!frame) {
          this.#space();
          if (this.#at !== this.#text.length) this.#fail();
          return value;
        }
        if (frame.array) frame.array.push(value);
        else define(frame.object, frame.key, value);
        this.#space();
        const next = this.#text[this.#at];
        this.#at += 1;
        if (next === ',') {
          if (frame.object) frame.key = this.#memberKey();
          break;
        }
        if (next !== (frame.array ? ']' : '}')) this.#fail(this.#at - 1);
        stack.pop();
        value = frame.array ?? frame.object;
      }
    }
  }

  /** `"key" :` after `{` or `,`. */
  #memberKey(): string {
    this.#space();
    if (this.#text[this.#at] !== '"') this.#fail();
    const key = this.#string();
    this.#space();
    if (this.#text[this.#at] !== ':') this.#fail();
    this.#at += 1;
    return key;
  }

  #primitive(): unknown {
    const c = this.#text[this.#at];
    if (c === '"') return this.#string();
    for (const [word, value] of LITERALS) {
      if (this.#text.startsWith(word, this.#at)) {
        this.#at += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = this.#at;
    const match = NUMBER.exec(this.#text);
    if (!match) this.#fail();
    this.#at += match[0].length;
    return Number(match[0]);
  }

  #string(): string {
    this.#at += 1; // the opening quote
    let out = '';
    for (;;) {
      PLAIN.lastIndex = this.#at;
      const plain = PLAIN.exec(this.#text)![0];
      out += plain;
      this.#at += plain.length;
      const c = this.#text[this.#at];
      if (c === '"') {
        this.#at += 1;
        return out;
      }
      // A raw control character, or the end of the text.
      if (c !== '\\') this.#fail();
      const marker = this.#text[this.#at + 1] ?? '';
      const short = SHORT_ESCAPES[marker];
      if (short !== undefined) {
        out += short;
        this.#at += 2;
      } else if (marker === 'u') {
        const hex = this.#text.slice(this.#at + 2, this.#at + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.#fail();
        // One UTF-16 code unit per escape: a surrogate pair is two escapes, as in JSON.parse.
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.#at += 6;
      } else {
        this.#fail(this.#at + 1);
      }
    }
  }

  #space(): void {
    for (;;) {
      const c = this.#text.charCodeAt(this.#at);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.#at += 1;
    }
  }

  #fail(at = this.#at): never {
    throw new SyntaxError(`Unexpected input in JSON at position ${at}`);
  }
}

const LITERALS: ReadonlyArray<readonly [string, unknown]> = [
  ['true', true],
  ['false', false],
  ['null', null],
];

/** Sets `key` as an own data property, as `JSON.parse` does (never the `__proto__` setter). */
function define(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
