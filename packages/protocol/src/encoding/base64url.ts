import { HandshakeError } from '../errors/handshake-error.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// Character code to 6-bit value, -1 outside the alphabet (RFC 4648 §5, Table 2).
const DECODING = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let value = 0; value < ALPHABET.length; value++) table[ALPHABET.charCodeAt(value)] = value;
  return table;
})();

/**
 * The base64url form of `bytes` (RFC 4648 §5) without padding, as used in tokens and JWTs.
 *
 * @example
 * ```ts
 * import { base64urlEncode } from '@handshake/protocol';
 *
 * base64urlEncode(new Uint8Array([0xfb, 0xff])); // '-_8'
 * ```
 */
export function base64urlEncode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const group = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += sextet(group, 18) + sextet(group, 12) + sextet(group, 6) + sextet(group, 0);
  }
  // RFC 4648 §4: a final group of one or two bytes gives two or three characters; the
  // padding '=' that would follow is omitted (§3.2).
  if (i + 1 === bytes.length) {
    const group = bytes[i]! << 16;
    out += sextet(group, 18) + sextet(group, 12);
  } else if (i + 2 === bytes.length) {
    const group = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += sextet(group, 18) + sextet(group, 12) + sextet(group, 6);
  }
  return out;
}

/**
 * Decodes unpadded base64url (RFC 4648 §5) strictly: only the 64 characters of the
 * alphabet, no padding, no whitespace, and only the canonical encoding (the unused bits
 * of the last character must be zero, RFC 4648 §3.5), so that each byte string has
 * exactly one accepted text.
 *
 * @throws {HandshakeError} `VALIDATION_ERROR` for anything else. The message gives the
 * position of a bad character, never the text.
 *
 * @example
 * ```ts
 * import { base64urlDecode } from '@handshake/protocol';
 *
 * base64urlDecode('-_8'); // Uint8Array [0xfb, 0xff]
 * base64urlDecode('-_8='); // throws: padding is not accepted
 * ```
 */
export function base64urlDecode(text: string): Uint8Array {
  if (typeof text !== 'string') {
    throw new HandshakeError('VALIDATION_ERROR', 'base64url input must be a string');
  }
  // One leftover character carries only 6 bits, less than a byte: no encoder produces it.
  if (text.length % 4 === 1) {
    throw new HandshakeError('VALIDATION_ERROR', 'base64url text has an impossible length');
  }
  const bytes = new Uint8Array(Math.floor((text.length * 3) / 4));
  let pending = 0;
  let pendingBits = 0;
  let written = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? DECODING[code]! : -1;
    if (value < 0) {
      const detail = code === 0x3d ? ' (padding is not accepted)' : '';
      throw new HandshakeError(
        'VALIDATION_ERROR',
        `base64url text has an invalid character at position ${i}${detail}`,
      );
    }
    pending = (pending << 6) | value;
    pendingBits += 6;
    if (pendingBits >= 8) {
      pendingBits -= 8;
      bytes[written++] = pending >> pendingBits;
      pending &= (1 << pendingBits) - 1;
    }
  }
  if (pending !== 0) {
    throw new HandshakeError(
      'VALIDATION_ERROR',
      'base64url text is not canonical: the unused bits of its last character are not zero',
    );
  }
  return bytes;
}

function sextet(group: number, shift: number): string {
  return ALPHABET.charAt((group >> shift) & 63);
}
