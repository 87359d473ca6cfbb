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
      this.length += this.native.write(text, this.length, 'latin1');
      return;
    }
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < count; i++) bytes[at++] = text.charCodeAt(i);
    this.length = at;
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
      if (NOT_PLAIN.test(text)) return false;
      if (this.length + count + 2 > this.bytes.length) this.grow(count + 2);
      const bytes = this.native;
      bytes[this.length] = 0x22;
      const end = this.length + 1 + bytes.write(text, this.length + 1, 'latin1');
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
      this.length += this.native.write(text, this.length, 'utf8');
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
    if (this.path === 'native' && nativeBuffer) {
      this.native = nativeBuffer.allocUnsafeSlow(size);
      return this.native;
    }
    return new Uint8Array(size);
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

/** The path {@link Utf8Output.take} takes by default in this runtime. */
export const UTF8_OUTPUT_PATH: Utf8OutputPath = nativeBuffer ? 'native' : 'portable';

// Anything JSON would not write as it is (controls, `"`, `\`), or beyond ASCII.
const NOT_PLAIN = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

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
