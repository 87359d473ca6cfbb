import { HandshakeError } from '../errors/handshake-error.js';
import { PackedBytes, Utf8Output, type Utf8OutputPath, utf8Bytes } from './utf8-output.js';

/**
 * Options accepted by {@link canonicalize}.
 *
 * @example
 * ```ts
 * import { type CanonicalizeOptions, canonicalize } from '@handshake/protocol';
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
 * import { CANONICALIZE_MAX_DEPTH, canonicalize } from '@handshake/protocol';
 *
 * canonicalize({ a: [1] }, { maxDepth: CANONICALIZE_MAX_DEPTH * 2 });
 * ```
 */
export const CANONICALIZE_MAX_DEPTH = 128;

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
 * import { canonicalize } from '@handshake/protocol';
 *
 * canonicalize({ currency: 'USD', amount: 12.5, tags: ['b', 'a'] });
 * // '{"amount":12.5,"currency":"USD","tags":["b","a"]}'
 * ```
 */
export function canonicalize(value: unknown, options: CanonicalizeOptions = {}): string {
  return canonicalUtf8(value, options, (output) => output.text());
}

/**
 * Writes the canonical form of `value` as UTF-8 and hands the output to `use` (its bytes
 * are valid only during the call): {@link hashParams} hashes them without making a string.
 * Refuses what {@link canonicalize} refuses. `path` chooses how text is copied (see
 * {@link Utf8OutputPath}); tests compare both.
 */
export function canonicalUtf8<T>(
  value: unknown,
  options: CanonicalizeOptions,
  use: (output: Utf8Output) => T,
  path?: Utf8OutputPath,
): T {
  const maxDepth = resolveMaxDepth(options.maxDepth);
  const output = Utf8Output.take(path);
  try {
    if (value === null || typeof value !== 'object') writePrimitive(value, output, NO_STACK);
    else new Writer(maxDepth, output).write(value);
    return use(output);
  } finally {
    output.release();
  }
}

/**
 * The open arrays and objects, outermost first, as parallel lists: the container, its
 * member names in RFC 8785 order (`null` for an array), and the position just past the
 * item being written. Nothing else is kept per level, and no path: a path is built from
 * the stack only when input is refused (see {@link pathOf}).
 */
interface Stack {
  readonly containers: object[];
  readonly names: (readonly string[] | null)[];
  readonly next: number[];
  depth: number;
}

const NO_STACK: Stack = { containers: [], names: [], next: [], depth: 0 };

/**
 * Containers up to this depth are checked for cycles by scanning the stack, which is
 * faster than a set for the few levels real parameters have; deeper ones also go in a set,
 * so deep input stays linear.
 */
const SCANNED_LEVELS = 32;

const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

/**
 * Writes the canonical form in one walk over the input, straight into the output: each
 * container is checked when it is entered, each primitive when it is written, each member
 * value read once. An explicit stack, so deep input ends in an error, never a stack
 * overflow. One writer per call: a getter may itself call {@link canonicalize}.
 */
class Writer implements Stack {
  readonly containers: object[] = [];
  readonly names: (readonly string[] | null)[] = [];
  readonly next: number[] = [];
  /** Per open object, the bytes of `,"name":` for each of its names, when kept. */
  private readonly texts: (readonly PackedBytes[] | null)[] = [];
  /** The same without the comma, for the first member written. */
  private readonly firstTexts: (readonly PackedBytes[] | null)[] = [];
  depth = 0;
  /** Only the containers open deeper than {@link SCANNED_LEVELS}. */
  private deepAncestors: Set<object> | undefined;

  constructor(
    private readonly maxDepth: number,
    private readonly output: Utf8Output,
  ) {}

  write(root: object): void {
    const { output, containers, names: nameLists, next, texts: textLists, firstTexts } = this;
    this.open(root);
    // Set when the innermost container already holds a member, so the next needs a comma.
    // Closing a container always leaves its parent with one member more.
    let comma = false;
    while (this.depth > 0) {
      const level = this.depth - 1;
      const container = containers[level]!;
      const names = nameLists[level]!;
      const texts = textLists[level]!;
      let index = next[level]!;
      let child: object | undefined;
      while (index < (names === null ? (container as unknown[]).length : names.length)) {
        let item: unknown;
        if (names === null) {
          item = (container as unknown[])[index++];
          if (item === undefined) {
            // JSON.stringify writes null here, which would change the meaning of the data.
            next[level] = index;
            throw refuse(pathOf(this), 'undefined (or a hole) in an array is not a JSON value');
          }
          if (comma) output.byte(COMMA);
        } else {
          const name = names[index]!;
          item = (container as Record<string, unknown>)[name];
          if (item === undefined) {
            index++;
            continue;
          }
          if (texts === null) writeMemberName(name, comma, output);
          else output.appendPacked(comma ? texts[index]! : firstTexts[level]![index]!);
          index++;
        }
        comma = true;
        if (item !== null && typeof item === 'object') {
          child = item;
          break;
        }
        // Printable ASCII is well formed; anything else is checked by writePrimitive.
        if (typeof item === 'string' && output.plainString(item)) continue;
        next[level] = index;
        writePrimitive(item, output, this);
      }
      next[level] = index;
      if (child !== undefined) {
        this.open(child);
        comma = false;
      } else {
        output.byte(names === null ? CLOSE_ARRAY : CLOSE_OBJECT);
        this.close();
        comma = true;
      }
    }
  }

  /** Checks a container, pushes it, and writes its opening bracket. */
  private open(item: object): void {
    const depth = this.depth;
    if (this.isOpen(item)) throw refuse(pathOf(this), 'circular reference');
    if (depth >= this.maxDepth) {
      throw refuse(pathOf(this), `nested deeper than ${this.maxDepth} levels`);
    }
    const shape = Array.isArray(item) ? null : shapeOf(item, this);
    const names = shape === null ? null : shape.names;
    this.containers[depth] = item;
    this.names[depth] = names;
    this.texts[depth] = shape === null ? null : shape.texts;
    this.firstTexts[depth] = shape === null ? null : shape.firstTexts;
    this.next[depth] = 0;
    this.depth = depth + 1;
    if (depth >= SCANNED_LEVELS) {
      this.deepAncestors ??= new Set();
      this.deepAncestors.add(item);
    }
    this.output.byte(names === null ? OPEN_ARRAY : OPEN_OBJECT);
  }

  private close(): void {
    const depth = --this.depth;
    if (depth >= SCANNED_LEVELS) this.deepAncestors?.delete(this.containers[depth]!);
  }

  /** Only the containers currently open: the same object may appear twice side by side. */
  private isOpen(item: object): boolean {
    const scanned = Math.min(this.depth, SCANNED_LEVELS);
    for (let level = 0; level < scanned; level++) if (this.containers[level] === item) return true;
    return this.deepAncestors?.has(item) === true;
  }
}

/**
 * Where the item being written sits: `$`, then the member or index each open container
 * is at (its position has already moved past the item).
 */
function pathOf(stack: Stack): string {
  let path = '$';
  for (let level = 0; level < stack.depth; level++) {
    const index = stack.next[level]! - 1;
    const names = stack.names[level];
    path = names ? memberPath(path, names[index]!) : `${path}[${index}]`;
  }
  return path;
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

/** Writes a primitive, or refuses one that is not JSON. */
function writePrimitive(value: unknown, output: Utf8Output, stack: Stack): void {
  switch (typeof value) {
    case 'string':
      // RFC 8785 §3.2.2.2 is ECMAScript's JSON string serialization, which `jsonString`
      // writes; lone surrogates MUST be an error.
      if (!isWellFormedUnicode(value)) {
        throw refuse(pathOf(stack), 'the string contains a lone surrogate (RFC 8785 §3.2.2.2)');
      }
      output.jsonString(value);
      return;
    case 'number':
      // RFC 8785 §3.2.2.3: NaN and Infinity MUST be an error; ECMAScript's
      // Number::toString writes the rest, and -0 as "0".
      if (!Number.isFinite(value)) {
        throw refuse(pathOf(stack), 'NaN and Infinity are not JSON numbers (RFC 8785 §3.2.2.3)');
      }
      output.ascii(String(value));
      return;
    case 'boolean':
      output.ascii(value ? 'true' : 'false');
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
      output.ascii('null');
  }
}

/**
 * What writing an object needs from its names: `names`, sorted as RFC 8785 §3.2.3
 * requires, and, when they are kept, `texts`, the UTF-8 bytes of `,"name":` for each.
 */
interface Shape {
  /** The names as `Object.keys` listed them, which is what a kept shape is found by. */
  readonly keys: readonly string[];
  readonly names: readonly string[];
  /** `,"name":` for each name, and `"name":` for the first member written. */
  readonly texts: readonly PackedBytes[] | null;
  readonly firstTexts: readonly PackedBytes[] | null;
}

/**
 * The shapes of objects written before, by their first name: the objects of one body
 * (the items of an order, their amounts) and of one tool's bodies share a few, whose
 * names are then checked, sorted and encoded once. Bounded: at most {@link SHAPES}
 * shapes, each of at most {@link SHAPE_NAMES} names of at most {@link SHAPE_NAME_LENGTH}
 * code units (longer ones are checked and sorted for each object, as before). Only names
 * are kept, never a value.
 */
const shapes = new Map<string, Shape[]>();
let shapeCount = 0;
const SHAPES = 256;
const SHAPE_NAMES = 32;
const SHAPE_NAME_LENGTH = 64;
const NO_NAMES: Shape = { keys: [], names: [], texts: [], firstTexts: [] };

/** The shape of a plain object: its names checked and sorted (see {@link Shape}). */
function shapeOf(object: object, stack: Stack): Shape {
  assertPlainObject(object, stack);
  // Object.keys: own enumerable string keys only, so `__proto__` from JSON.parse is an
  // ordinary key and nothing is read from the prototype chain.
  const keys = Object.keys(object);
  const count = keys.length;
  if (count === 0) return NO_NAMES;
  const first = keys[0]!;
  const known = shapes.get(first);
  if (known !== undefined) {
    // The same names in the same order: names are compared as strings, so a shape is
    // found only for exactly the names it was made from, which were checked then.
    for (const shape of known) if (sameNames(shape.keys, keys)) return shape;
  }
  const names = sortedNames(keys, stack);
  if (count > SHAPE_NAMES || names.some((name) => name.length > SHAPE_NAME_LENGTH)) {
    return { keys, names, texts: null, firstTexts: null };
  }
  const shape: Shape = {
    keys,
    names,
    texts: names.map((name) => new PackedBytes(utf8Bytes(`,${JSON.stringify(name)}:`))),
    firstTexts: names.map((name) => new PackedBytes(utf8Bytes(`${JSON.stringify(name)}:`))),
  };
  if (shapeCount >= SHAPES) {
    shapes.clear();
    shapeCount = 0;
  }
  const list = shapes.get(first);
  if (list === undefined) shapes.set(first, [shape]);
  else list.push(shape);
  shapeCount++;
  return shape;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The member names to write, checked and sorted as RFC 8785 §3.2.3 requires, in a new
 * list: `keys` is left as it is.
 */
function sortedNames(keys: readonly string[], stack: Stack): string[] {
  for (const name of keys) {
    if (!isWellFormedUnicode(name)) {
      throw refuse(
        memberPath(pathOf(stack), name),
        'the property name contains a lone surrogate (RFC 8785 §3.2.2.2)',
      );
    }
  }
  // RFC 8785 §3.2.3: compare UTF-16 code units as unsigned integers, which is exactly
  // what the default sort does on strings; localeCompare would not. Array-index names
  // ("10", "9"), which Object.keys lists numerically, are sorted as text too.
  return sortNames([...keys]);
}

/**
 * Sorts in place by UTF-16 code units, as the default sort does: `<` on strings compares
 * code units too. An insertion sort for the few members objects usually have (already
 * sorted input costs one comparison per name), the default sort beyond.
 */
function sortNames(names: string[]): string[] {
  if (names.length > 16) return names.sort();
  for (let i = 1; i < names.length; i++) {
    const name = names[i]!;
    let j = i - 1;
    if (names[j]! < name) continue;
    while (j >= 0 && names[j]! > name) {
      names[j + 1] = names[j]!;
      j--;
    }
    names[j + 1] = name;
  }
  return names;
}

/**
 * Writes `"name":`, or `,"name":` after another member, for a well-formed member name. The
 * same few names recur in every body of a tool, so their UTF-8 bytes are kept (at most
 * {@link MEMBER_TEXTS} names, each short).
 */
function writeMemberName(name: string, comma: boolean, output: Utf8Output): void {
  const texts = comma ? laterMemberTexts : firstMemberTexts;
  let bytes = texts.get(name);
  if (bytes === undefined) {
    if (name.length > 64) {
      if (comma) output.byte(COMMA);
      output.jsonString(name);
      output.byte(0x3a);
      return;
    }
    bytes = utf8Bytes(`${comma ? ',' : ''}${JSON.stringify(name)}:`);
    if (texts.size >= MEMBER_TEXTS) texts.clear();
    texts.set(name, bytes);
  }
  output.append(bytes);
}

const MEMBER_TEXTS = 2048;
const firstMemberTexts = new Map<string, Uint8Array>();
const laterMemberTexts = new Map<string, Uint8Array>();

const OBJECT_PROTOTYPE: object = Object.prototype;
const objectToString = Object.prototype.toString;

function assertPlainObject(object: object, stack: Stack): void {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype === null) return;
  // A plain object from any realm: its prototype is that realm's Object.prototype, whose
  // own prototype is null. Class instances, Dates, Maps and typed arrays sit one step
  // further down, or carry another tag. This realm's Object.prototype, the usual case,
  // is known without asking: its prototype cannot be changed from null.
  if (
    (prototype === OBJECT_PROTOTYPE || Object.getPrototypeOf(prototype) === null) &&
    objectToString.call(object) === '[object Object]'
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
