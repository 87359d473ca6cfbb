import { HandshakeError } from '../errors/handshake-error.js';

/**
 * Options accepted by {@link canonicalize}.
 *
 * @example
 * ```ts
 * import { type CanonicalizeOptions, canonicalize } from '@handshake/core';
 *
 * const options: CanonicalizeOptions = { maxDepth: 8 };
 * canonicalize({ b: [1, 2], a: 'x' }, options); // '{"a":"x","b":[1,2]}'
 * ```
 */
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

/**
 * An array or object being written, with the position of the next element to write.
 * Frames hold no path: a path is built from the stack only when input is refused, so
 * valid input never pays for one (see {@link pathOf}).
 */
type Frame =
  | {
      readonly kind: 'array';
      readonly source: readonly unknown[];
      next: number;
    }
  | {
      readonly kind: 'object';
      readonly source: object;
      /** Member names in RFC 8785 order, and their values in the same order. */
      readonly keys: readonly string[];
      readonly values: readonly unknown[];
      next: number;
    };

/**
 * Where the item being written sits: `$`, then the member or index each open container
 * is at (its `next` has already moved past the item).
 */
function pathOf(stack: readonly Frame[]): string {
  let path = '$';
  for (const frame of stack) {
    const index = frame.next - 1;
    path = frame.kind === 'array' ? `${path}[${index}]` : memberPath(path, frame.keys[index]!);
  }
  return path;
}

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
  const copy = canonicalCopy(value, maxDepth);
  return copy === WRITE_BY_HAND ? writeCanonical(value, maxDepth) : JSON.stringify(copy);
}

// The fast path. RFC 8785 is ECMAScript's own JSON serialization of strings and
// numbers with members sorted, so `JSON.stringify` of a checked copy whose members were
// added in sorted order writes exactly the canonical form, natively. The copies' objects
// inherit from a frozen empty prototype, so no setter or `toJSON` planted on
// Object.prototype can change them. The text is written by hand instead when:
// - a member name is an array index ("0", "12"): engines list those first, in numeric
//   order, where RFC 8785 §3.2.3 sorts by code units ("12" before "9");
// - nesting is deeper than JSON.stringify's own recursion can be trusted with;
// - arrays would meet a `toJSON` planted on their prototypes.
const WRITE_BY_HAND = Symbol('write by hand');
const INDEX_NAME = /^(?:0|[1-9]\d{0,9})$/;
const STRINGIFY_DEPTH = 256;
const NO_PROTOTYPE_MEMBERS: object = Object.freeze(Object.create(null));

type CopyFrame = Frame & { readonly target: unknown[] | Record<string, unknown> };

/**
 * Checks `value` exactly as {@link writeCanonical} does (same refusals, same paths, in
 * the same order) while building a copy with members in canonical order; answers
 * {@link WRITE_BY_HAND} when `JSON.stringify` could not be trusted with the copy.
 */
function canonicalCopy(value: unknown, maxDepth: number): unknown {
  if ('toJSON' in Array.prototype) return WRITE_BY_HAND;
  const stack: CopyFrame[] = [];
  const ancestors = new Set<object>();
  let byHand = false;

  const enter = (item: unknown): unknown => {
    if (item === null || typeof item !== 'object') {
      checkPrimitive(item, stack);
      return item;
    }
    if (ancestors.has(item)) throw refuse(pathOf(stack), 'circular reference');
    if (stack.length >= maxDepth) {
      throw refuse(pathOf(stack), `nested deeper than ${maxDepth} levels`);
    }
    if (stack.length >= STRINGIFY_DEPTH) byHand = true;
    let target: unknown[] | Record<string, unknown>;
    if (Array.isArray(item)) {
      target = new Array(item.length);
      stack.push({ kind: 'array', source: item, target, next: 0 });
    } else {
      const members = sortedMembers(item, stack);
      for (const key of members.keys) if (INDEX_NAME.test(key)) byHand = true;
      target = Object.create(NO_PROTOTYPE_MEMBERS) as Record<string, unknown>;
      stack.push({ kind: 'object', source: item, ...members, target, next: 0 });
    }
    ancestors.add(item);
    return target;
  };

  const result = enter(value);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const length = frame.kind === 'array' ? frame.source.length : frame.keys.length;
    if (frame.next === length) {
      stack.pop();
      ancestors.delete(frame.source);
      continue;
    }
    const index = frame.next++;
    if (frame.kind === 'array') {
      const item = frame.source[index];
      if (item === undefined) {
        throw refuse(pathOf(stack), 'undefined (or a hole) in an array is not a JSON value');
      }
      (frame.target as unknown[])[index] = enter(item);
    } else {
      // Nothing up the copy's prototype chain intercepts this, `__proto__` included.
      (frame.target as Record<string, unknown>)[frame.keys[index]!] = enter(frame.values[index]);
    }
  }
  return byHand ? WRITE_BY_HAND : result;
}

/** The slow path: the canonical text written member by member. */
function writeCanonical(value: unknown, maxDepth: number): string {
  const stack: Frame[] = [];
  // Only the containers currently open: the same object may appear twice side by side,
  // but never inside itself.
  const ancestors = new Set<object>();
  let out = '';

  const write = (item: unknown): void => {
    if (item === null || typeof item !== 'object') {
      out += serializePrimitive(item, stack);
      return;
    }
    if (ancestors.has(item)) throw refuse(pathOf(stack), 'circular reference');
    if (stack.length >= maxDepth) {
      throw refuse(pathOf(stack), `nested deeper than ${maxDepth} levels`);
    }
    if (Array.isArray(item)) {
      stack.push({ kind: 'array', source: item, next: 0 });
      out += '[';
    } else {
      stack.push({ kind: 'object', source: item, ...sortedMembers(item, stack), next: 0 });
      out += '{';
    }
    ancestors.add(item);
  };

  write(value);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const length = frame.kind === 'array' ? frame.source.length : frame.keys.length;
    if (frame.next === length) {
      out += frame.kind === 'array' ? ']' : '}';
      stack.pop();
      ancestors.delete(frame.source);
      continue;
    }
    const index = frame.next++;
    if (index > 0) out += ',';
    if (frame.kind === 'array') {
      const item = frame.source[index];
      if (item === undefined) {
        // JSON.stringify writes null here, which would change the meaning of the data.
        throw refuse(pathOf(stack), 'undefined (or a hole) in an array is not a JSON value');
      }
      write(item);
    } else {
      out += `${quote(frame.keys[index]!)}:`;
      write(frame.values[index]);
    }
  }
  return out;
}

const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean })
  .isWellFormed;

/**
 * True when `text` holds no lone surrogate, i.e. it is a sequence of Unicode scalar values
 * that UTF-8 can encode. Uses `String.prototype.isWellFormed` where the runtime has it
 * (ES2024) and an equivalent scan elsewhere.
 *
 * @example
 * ```ts
 * import { isWellFormedUnicode } from './canonicalize.js'; // internal: not exported by the package
 *
 * isWellFormedUnicode('😂'); // true
 * isWellFormedUnicode('\ud83d'); // false: a high surrogate with no low surrogate after it
 * ```
 */
export function isWellFormedUnicode(text: string): boolean {
  if (nativeIsWellFormed) return nativeIsWellFormed.call(text);
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

// Strings JSON writes as they are: printable ASCII without `"` or `\`.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** The JSON text of a well-formed string, as `JSON.stringify` writes it. */
function quote(text: string): string {
  return PLAIN.test(text) ? `"${text}"` : JSON.stringify(text);
}

function serializePrimitive(value: unknown, stack: readonly Frame[]): string {
  checkPrimitive(value, stack);
  switch (typeof value) {
    case 'string':
      // RFC 8785 §3.2.2.2 is ECMAScript's JSON string serialization, which this is.
      return quote(value);
    case 'number':
      // RFC 8785 §3.2.2.3 is ECMAScript's Number::toString, which writes -0 as "0".
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return 'null';
  }
}

/** Refuses a primitive that is not JSON. */
function checkPrimitive(value: unknown, stack: readonly Frame[]): void {
  switch (typeof value) {
    case 'string':
      // RFC 8785 §3.2.2.2: lone surrogates MUST be an error.
      if (!isWellFormedUnicode(value)) {
        throw refuse(pathOf(stack), 'the string contains a lone surrogate (RFC 8785 §3.2.2.2)');
      }
      return;
    case 'number':
      // RFC 8785 §3.2.2.3: NaN and Infinity MUST be an error.
      if (!Number.isFinite(value)) {
        throw refuse(pathOf(stack), 'NaN and Infinity are not JSON numbers (RFC 8785 §3.2.2.3)');
      }
      return;
    case 'bigint':
      throw refuse(pathOf(stack), 'a bigint is not a JSON number; send it as a decimal string');
    case 'undefined':
      throw refuse(pathOf(stack), 'undefined is not a JSON value');
    case 'function':
      throw refuse(pathOf(stack), 'a function is not a JSON value');
    case 'symbol':
      throw refuse(pathOf(stack), 'a symbol is not a JSON value');
    default:
  }
}

/** The members to write, sorted as RFC 8785 §3.2.3 requires; each value read once. */
function sortedMembers(
  object: object,
  stack: readonly Frame[],
): { keys: string[]; values: unknown[] } {
  assertPlainObject(object, stack);
  const record = object as Record<string, unknown>;
  // Object.keys: own enumerable string keys only, so `__proto__` from JSON.parse is an
  // ordinary key and nothing is read from the prototype chain.
  const names = Object.keys(record);
  for (const key of names) {
    if (!isWellFormedUnicode(key)) {
      throw refuse(
        memberPath(pathOf(stack), key),
        'the property name contains a lone surrogate (RFC 8785 §3.2.2.2)',
      );
    }
  }
  // RFC 8785 §3.2.3: compare UTF-16 code units as unsigned integers, which is exactly
  // what the default sort does on strings; localeCompare would not. Names are unique.
  names.sort();
  const keys: string[] = [];
  const values: unknown[] = [];
  for (const key of names) {
    const item = record[key];
    if (item === undefined) continue;
    keys.push(key);
    values.push(item);
  }
  return { keys, values };
}

function assertPlainObject(object: object, stack: readonly Frame[]): void {
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
  throw refuse(pathOf(stack), `${describeObject(object)} is not a plain object or array`);
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
