/**
 * A growing buffer of UTF-8 bytes that canonical JSON is written into. Writing bytes
 * instead of concatenating strings spares the engine a rope of thousands of pieces to
 * flatten, and the hash a second encoding: the bytes are what SHA-256 reads.
 *
 * @example
 * ```ts
 * import { Utf8Output } from './utf8-output.js'; // internal: not exported by the package
 *
 * const output = Utf8Output.take();
 * output.jsonString('café'); // not plain ASCII: written by JSON.stringify, then encoded
 * output.text(); // '"café"'
 * output.release();
 * ```
 */
export class Utf8Output {
  private bytes: Uint8Array;
  private length = 0;

  private native: NativeBytes | undefined;
  /** The same bytes, for writing four at a time ({@link appendPacked}). */
  private words!: DataView;

  private constructor(readonly path: Utf8OutputPath) {
    this.bytes = this.allocate(INITIAL_CAPACITY);
  }

  /**
   * An empty output: the shared one when it is free, a new one when it is taken (a getter
   * read while writing may itself canonicalize). Give it back with {@link release}.
   * `path` chooses how text is copied (tests compare both); it defaults to the fastest
   * this runtime has.
   */
  static take(path: Utf8OutputPath = UTF8_OUTPUT_PATH): Utf8Output {
    const shared = free[path];
    if (shared === undefined) return new Utf8Output(path);
    free[path] = undefined;
    shared.length = 0;
    return shared;
  }

  /** Makes this output the shared one again, unless it grew too large to keep. */
  release(): void {
    if (this.bytes.length <= KEPT_CAPACITY) free[this.path] = this;
  }

  /** The bytes written: a view, valid until this output is taken again. */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** The bytes written, as a string. */
  text(): string {
    return decoder.decode(this.view());
  }

  /** Appends one ASCII character, given by its code. */
  byte(code: number): void {
    if (this.length === this.bytes.length) this.grow(1);
    this.bytes[this.length++] = code;
  }

  /** Appends text known to be ASCII (a number, a literal). */
  ascii(text: string): void {
    const count = text.length;
    if (this.length + count > this.bytes.length) this.grow(count);
    if (this.native) {
      this.length += nativeWrite!.latin1(this.native, text, this.length);
      return;
    }
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < count; i++) bytes[at++] = text.charCodeAt(i);
    this.length = at;
  }

  /**
   * Appends packed bytes four at a time. Up to three bytes past the end are written too;
   * they lie beyond {@link view}, and the next write overwrites them.
   */
  appendPacked(packed: PackedBytes): void {
    const words = packed.words;
    const count = words.length;
    if (this.length + count * 4 > this.bytes.length) this.grow(count * 4);
    const view = this.words;
    let at = this.length;
    for (let i = 0; i < count; i++) {
      view.setUint32(at, words[i]!, true);
      at += 4;
    }
    this.length += packed.length;
  }

  /** Appends bytes. */
  append(source: Uint8Array): void {
    const count = source.length;
    if (this.length + count > this.bytes.length) this.grow(count);
    const bytes = this.bytes;
    let at = this.length;
    if (count > 32) {
      bytes.set(source, at);
      at += count;
    } else {
      for (let i = 0; i < count; i++) bytes[at++] = source[i]!;
    }
    this.length = at;
  }

  /**
   * Appends the JSON text of a string of printable ASCII without `"` or `\`, which JSON
   * writes as it is, and answers true; answers false, having written nothing, for any
   * other string.
   */
  plainString(text: string): boolean {
    const count = text.length;
    if (this.native) {
      if (count > SHORT_TEXT) {
        if (NOT_PLAIN.test(text)) return false;
        if (this.length + count + 2 > this.bytes.length) this.grow(count + 2);
        const bytes = this.native;
        bytes[this.length] = 0x22;
        const end = this.length + 1 + nativeWrite!.latin1(bytes, text, this.length + 1);
        bytes[end] = 0x22;
        this.length = end + 1;
        return true;
      }
      // A short string is copied first and checked as bytes, which costs less than a
      // regular expression: it is plain when UTF-8 took one byte per code unit (every
      // unit below 0x80; a lone surrogate takes three) and no byte is a control, `"` or
      // `\`. Otherwise the bytes past the end are left for the next write to overwrite.
      if (this.length + count * 3 + 2 > this.bytes.length) this.grow(count * 3 + 2);
      const bytes = this.native;
      const start = this.length + 1;
      if (nativeWrite!.utf8(bytes, text, start) !== count) return false;
      const end = start + count;
      for (let at = start; at < end; at++) {
        const byte = bytes[at]!;
        if (byte < 0x20 || byte === 0x22 || byte === 0x5c) return false;
      }
      bytes[start - 1] = 0x22;
      bytes[end] = 0x22;
      this.length = end + 1;
      return true;
    }
    if (this.length + count + 2 > this.bytes.length) this.grow(count + 2);
    const bytes = this.bytes;
    let at = this.length;
    bytes[at++] = 0x22;
    for (let i = 0; i < count; i++) {
      const unit = text.charCodeAt(i);
      if (unit < 0x20 || unit > 0x7e || unit === 0x22 || unit === 0x5c) return false;
      bytes[at++] = unit;
    }
    bytes[at++] = 0x22;
    this.length = at;
    return true;
  }

  /**
   * Appends the JSON text of a well-formed string, exactly as `JSON.stringify` writes it,
   * in UTF-8.
   */
  jsonString(text: string): void {
    if (!this.plainString(text)) this.utf8(JSON.stringify(text));
  }

  /** Appends any well-formed text, encoded as UTF-8. */
  utf8(text: string): void {
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    if (this.length + text.length * 3 > this.bytes.length) this.grow(text.length * 3);
    if (this.native) {
      this.length += nativeWrite!.utf8(this.native, text, this.length);
      return;
    }
    this.length += encoder.encodeInto(text, this.bytes.subarray(this.length)).written;
  }

  private grow(needed: number): void {
    const bigger = this.allocate(Math.max(this.bytes.length * 2, this.length + needed));
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
  }

  private allocate(size: number): Uint8Array {
    let bytes: Uint8Array;
    if (this.path === 'native' && nativeBuffer) {
      this.native = nativeBuffer.allocUnsafeSlow(size);
      bytes = this.native;
    } else {
      bytes = new Uint8Array(size);
    }
    this.words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return bytes;
  }
}

/**
 * How an output copies text: `native` with the runtime's `Buffer` (Node, Bun, Deno),
 * whose `write` copies a string in one call; `portable` one code unit at a time, which
 * any runtime can do but which some engines slow down for the whole process (V8 does
 * once any class extends `String`, as some database clients' do).
 */
export type Utf8OutputPath = 'native' | 'portable';

interface NativeBytes extends Uint8Array {
  write(text: string, offset: number, encoding: 'latin1' | 'utf8'): number;
  latin1Write?(text: string, offset: number, length: number): number;
  utf8Write?(text: string, offset: number, length: number): number;
}

const nativeBuffer = (() => {
  const candidate = (globalThis as { Buffer?: { allocUnsafeSlow?: (size: number) => NativeBytes } })
    .Buffer;
  if (typeof candidate?.allocUnsafeSlow !== 'function') return undefined;
  const probe = candidate.allocUnsafeSlow(4);
  return probe instanceof Uint8Array && typeof probe.write === 'function'
    ? (candidate as { allocUnsafeSlow: (size: number) => NativeBytes })
    : undefined;
})();

/**
 * How text is copied into a `Buffer`: Node's (and Bun's) `latin1Write` and `utf8Write`,
 * which `Buffer#write` calls after parsing its arguments, where they exist and copy as
 * `write` does (checked once, on a probe); `write` itself elsewhere. The caller has made
 * room for the text.
 */
const nativeWrite = (() => {
  if (!nativeBuffer) return undefined;
  const viaWrite = {
    latin1: (bytes: NativeBytes, text: string, offset: number) =>
      bytes.write(text, offset, 'latin1'),
    utf8: (bytes: NativeBytes, text: string, offset: number) => bytes.write(text, offset, 'utf8'),
  };
  const probe = nativeBuffer.allocUnsafeSlow(8);
  if (typeof probe.latin1Write !== 'function' || typeof probe.utf8Write !== 'function') {
    return viaWrite;
  }
  const direct = {
    latin1: (bytes: NativeBytes, text: string, offset: number) =>
      bytes.latin1Write!(text, offset, bytes.length - offset),
    utf8: (bytes: NativeBytes, text: string, offset: number) =>
      bytes.utf8Write!(text, offset, bytes.length - offset),
  };
  try {
    probe.fill(0);
    const same =
      direct.latin1(probe, 'a~', 0) === 2 &&
      direct.utf8(probe, 'é\ud800', 2) === 5 &&
      [...probe.subarray(0, 7)].join() === '97,126,195,169,239,191,189';
    return same ? direct : viaWrite;
  } catch {
    return viaWrite;
  }
})();

/** Strings up to this length are checked after they are copied (see `plainString`). */
const SHORT_TEXT = 64;

/** The path {@link Utf8Output.take} takes by default in this runtime. */
export const UTF8_OUTPUT_PATH: Utf8OutputPath = nativeBuffer ? 'native' : 'portable';

// Anything JSON would not write as it is (controls, `"`, `\`), or beyond ASCII.
const NOT_PLAIN = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

/**
 * Bytes written many times (the `,"name":` of a member), packed four to a word, the
 * first byte lowest, for {@link Utf8Output.appendPacked}; the last word is padded with
 * zeros. The same on any platform: the words are read with an explicit byte order.
 */
export class PackedBytes {
  readonly length: number;
  readonly words: Uint32Array;

  constructor(bytes: Uint8Array) {
    this.length = bytes.length;
    const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
    padded.set(bytes);
    const view = new DataView(padded.buffer);
    this.words = new Uint32Array(padded.length / 4);
    for (let i = 0; i < this.words.length; i++) this.words[i] = view.getUint32(i * 4, true);
  }
}

/** The UTF-8 bytes of `text`, for pieces written many times (member names). */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

const INITIAL_CAPACITY = 4096;
const KEPT_CAPACITY = 1 << 20;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const free: Record<Utf8OutputPath, Utf8Output | undefined> = {
  native: undefined,
  portable: undefined,
};
