import { HandshakeError } from '../errors/handshake-error.js';

/** Options accepted by {@link canonicalize}. */
export interface CanonicalizeOptions {
  /**
   * The deepest nesting of arrays and objects accepted. `[]` and `{}` are at depth 1, a
   * scalar at depth 0. Defaults to {@link CANONICALIZE_MAX_DEPTH}.
   */
  maxDepth?: number;
}

/**
 * The default nesting limit of {@link canonicalize}: deep enough for any real tool-call
 * parameters, shallow enough that hostile input is refused early.
 *
 * @example
 * ```ts
 * import { CANONICALIZE_MAX_DEPTH, canonicalize } from '@handshake/core';
 *
 * canonicalize({ a: [1] }, { maxDepth: CANONICALIZE_MAX_DEPTH * 2 });
 * ```
 */
export const CANONICALIZE_MAX_DEPTH = 128;

/** An array or object being written, with the position of the next element to write. */
type Frame =
  | {
      readonly kind: 'array';
      readonly source: readonly unknown[];
      readonly path: string;
      next: number;
    }
  | {
      readonly kind: 'object';
      readonly source: object;
      readonly members: ReadonlyArray<readonly [string, unknown]>;
      readonly path: string;
      next: number;
    };

/**
 * Serializes a JSON value in the canonical form of RFC 8785 (JSON Canonicalization
 * Scheme): no whitespace, object members sorted by the UTF-16 code units of their names,
 * numbers and strings written exactly as ECMAScript's `JSON.stringify` writes them.
 * Hash or sign the UTF-8 bytes of the result.
 *
 * Input that is not JSON is refused rather than coerced, because a silent coercion would
 * make two different inputs share a hash: `NaN`, `Infinity`, bigints, functions, symbols,
 * `undefined` at the top or inside an array, strings or property names with lone
 * surrogates, circular references, nesting deeper than `maxDepth`, and objects other than
 * arrays and plain objects (a `Date`, `Map`, typed array or class instance). Members whose
 * value is `undefined` are omitted, as `JSON.stringify` omits them. `toJSON` is never
 * called. Objects without a prototype are accepted, and `__proto__` is an ordinary key.
 *
 * The walk uses an explicit stack, so deep input ends in an error, never a stack overflow.
 *
 * @throws {HandshakeError} `VALIDATION_ERROR` whose message and `path` name the offending
 * place (like `$.items[2].price`), never the offending value.
 *
 * @example
 * ```ts
 * import { canonicalize } from '@handshake/core';
 *
 * canonicalize({ currency: 'USD', amount: 12.5, tags: ['b', 'a'] });
 * // '{"amount":12.5,"currency":"USD","tags":["b","a"]}'
 * ```
 */
export function canonicalize(value: unknown, options: CanonicalizeOptions = {}): string {
  const maxDepth = resolveMaxDepth(options.maxDepth);
  const stack: Frame[] = [];
  // Only the containers currently open: the same object may appear twice side by side,
  // but never inside itself.
  const ancestors = new Set<object>();
  let out = '';

  const write = (item: unknown, path: string): void => {
    if (item === null || typeof item !== 'object') {
      out += serializePrimitive(item, path);
      return;
    }
    if (ancestors.has(item)) throw refuse(path, 'circular reference');
    if (stack.length >= maxDepth) throw refuse(path, `nested deeper than ${maxDepth} levels`);
    if (Array.isArray(item)) {
      stack.push({ kind: 'array', source: item, path, next: 0 });
      out += '[';
    } else {
      stack.push({
        kind: 'object',
        source: item,
        members: sortedMembers(item, path),
        path,
        next: 0,
      });
      out += '{';
    }
    ancestors.add(item);
  };

  write(value, '$');
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const length = frame.kind === 'array' ? frame.source.length : frame.members.length;
    if (frame.next === length) {
      out += frame.kind === 'array' ? ']' : '}';
      stack.pop();
      ancestors.delete(frame.source);
      continue;
    }
    const index = frame.next++;
    if (frame.kind === 'array') {
      const path = `${frame.path}[${index}]`;
      const item = frame.source[index];
      if (item === undefined) {
        // JSON.stringify writes null here, which would change the meaning of the data.
        throw refuse(path, 'undefined (or a hole) in an array is not a JSON value');
      }
      if (index > 0) out += ',';
      write(item, path);
    } else {
      const [key, item] = frame.members[index]!;
      if (index > 0) out += ',';
      out += `${JSON.stringify(key)}:`;
      write(item, memberPath(frame.path, key));
    }
  }
  return out;
}

/**
 * True when `text` holds no lone surrogate, i.e. it is a sequence of Unicode scalar values
 * that UTF-8 can encode. Uses `String.prototype.isWellFormed` where the runtime has it
 * (ES2024) and an equivalent scan elsewhere.
 *
 * @example
 * ```ts
 * import { isWellFormedUnicode } from '@handshake/core';
 *
 * isWellFormedUnicode('😂'); // true
 * isWellFormedUnicode('\ud83d'); // false: a high surrogate with no low surrogate after it
 * ```
 */
export function isWellFormedUnicode(text: string): boolean {
  const native = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
  if (typeof native === 'function') return native.call(text);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    // A high surrogate (D800–DBFF) is well formed only when a low one (DC00–DFFF) follows.
    const following = text.charCodeAt(i + 1);
    if (unit > 0xdbff || !(following >= 0xdc00 && following <= 0xdfff)) return false;
    i++;
  }
  return true;
}

function serializePrimitive(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      // RFC 8785 §3.2.2.2: lone surrogates MUST be an error.
      if (!isWellFormedUnicode(value)) {
        throw refuse(path, 'the string contains a lone surrogate (RFC 8785 §3.2.2.2)');
      }
      // RFC 8785 §3.2.2.2 is ECMAScript's JSON string serialization, which this is.
      return JSON.stringify(value);
    case 'number':
      // RFC 8785 §3.2.2.3: NaN and Infinity MUST be an error.
      if (!Number.isFinite(value)) {
        throw refuse(path, 'NaN and Infinity are not JSON numbers (RFC 8785 §3.2.2.3)');
      }
      // RFC 8785 §3.2.2.3 is ECMAScript's Number::toString, which writes -0 as "0".
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw refuse(path, 'a bigint is not a JSON number; send it as a decimal string');
    case 'undefined':
      throw refuse(path, 'undefined is not a JSON value');
    case 'function':
      throw refuse(path, 'a function is not a JSON value');
    case 'symbol':
      throw refuse(path, 'a symbol is not a JSON value');
    default:
      return 'null';
  }
}

/** The members to write, sorted as RFC 8785 §3.2.3 requires. */
function sortedMembers(object: object, path: string): Array<readonly [string, unknown]> {
  assertPlainObject(object, path);
  const record = object as Record<string, unknown>;
  const members: Array<readonly [string, unknown]> = [];
  // Object.keys: own enumerable string keys only, so `__proto__` from JSON.parse is an
  // ordinary key and nothing is read from the prototype chain.
  for (const key of Object.keys(record)) {
    if (!isWellFormedUnicode(key)) {
      throw refuse(
        memberPath(path, key),
        'the property name contains a lone surrogate (RFC 8785 §3.2.2.2)',
      );
    }
    const item = record[key];
    if (item !== undefined) members.push([key, item]);
  }
  // RFC 8785 §3.2.3: compare UTF-16 code units as unsigned integers, which is exactly what
  // `<` does on strings; localeCompare would not. Names are unique, so no tie.
  return members.sort(([a], [b]) => (a < b ? -1 : 1));
}

function assertPlainObject(object: object, path: string): void {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype === null) return;
  // A plain object from any realm: its prototype is that realm's Object.prototype, whose
  // own prototype is null. Class instances, Dates, Maps and typed arrays sit one step
  // further down, or carry another tag.
  if (
    Object.getPrototypeOf(prototype) === null &&
    Object.prototype.toString.call(object) === '[object Object]'
  ) {
    return;
  }
  throw refuse(path, `${describeObject(object)} is not a plain object or array`);
}

function describeObject(object: object): string {
  const tag = Object.prototype.toString.call(object).slice('[object '.length, -1);
  if (tag !== 'Object') return `a ${tag} object`;
  const name: unknown = (Object.getPrototypeOf(object) as { constructor?: { name?: unknown } })
    .constructor?.name;
  return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'a class instance';
}

function memberPath(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function resolveMaxDepth(maxDepth: number | undefined): number {
  if (maxDepth === undefined) return CANONICALIZE_MAX_DEPTH;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 0) {
    throw new HandshakeError('VALIDATION_ERROR', 'maxDepth must be a non-negative integer', {
      path: 'maxDepth',
    });
  }
  return maxDepth;
}

function refuse(path: string, reason: string): HandshakeError {
  return new HandshakeError('VALIDATION_ERROR', `Cannot canonicalize ${path}: ${reason}`, {
    path,
  });
}
