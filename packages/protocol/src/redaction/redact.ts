const SENSITIVE_KEY =
  /(card.?number|^pan$|^cvc$|^cvv2?$|security.?code|^cvc2$|password|secret|token)/i;

function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * True for a string that looks like a payment card number (13–19 digits, Luhn-valid).
 *
 * @example
 * ```ts
 * import { looksLikeCardNumber } from '@handshake/protocol';
 *
 * looksLikeCardNumber('4242424242424242'); // true: 16 digits, Luhn-valid
 * looksLikeCardNumber('4242424242424241'); // false: the check digit is wrong
 * ```
 */
export function looksLikeCardNumber(value: string): boolean {
  const digits = value.replace(/[ -]/g, '');
  return /^\d{13,19}$/.test(digits) && luhnValid(digits);
}

/** A run of 13 to 19 digits, possibly grouped by spaces or dashes, inside a text. */
const DIGIT_RUN = /\d(?:[ -]?\d){12,18}/g;

/**
 * A copy of `value` with card numbers, CVCs and credentials replaced by `"[redacted]"`:
 * any member whose key names such a field, and any Luhn-valid card number, whether it
 * is the whole string or written inside a text (`"refund to 4111 1111 1111 1111"`).
 * Used before parameters are shown to approvers or stored with an approval.
 *
 * @example
 * ```ts
 * import { redactSensitive } from '@handshake/protocol';
 *
 * redactSensitive({ card_number: '4242424242424242', note: 'ok' });
 * // { card_number: '[redacted]', note: 'ok' }
 * ```
 */
export function redactSensitive(value: unknown, depth = 0): unknown {
  if (depth > 64) return '[redacted]';
  if (typeof value === 'string') {
    if (looksLikeCardNumber(value)) return '[redacted]';
    return value.replace(DIGIT_RUN, (run) => (looksLikeCardNumber(run) ? '[redacted]' : run));
  }
  if (Array.isArray(value)) return value.map((item) => redactSensitive(item, depth + 1));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, item] of Object.entries(value)) {
      out[key] = SENSITIVE_KEY.test(key) ? '[redacted]' : redactSensitive(item, depth + 1);
    }
    return { ...out };
  }
  return value;
}

/**
 * Whether {@link redactSensitive} would hide anything in `value`: true when the redacted
 * copy, written as JSON, differs from `value` written as JSON. Plain data (what
 * `JSON.parse` returns) is answered by one walk that copies nothing; anything else (an
 * object with another prototype or a `toJSON`, nesting deeper than the redaction goes)
 * by comparing the two as JSON, which throws where `JSON.stringify` would.
 *
 * @example
 * ```ts
 * import { hasSensitive } from '@handshake/protocol';
 *
 * hasSensitive({ id: 'O-1', status: 'COMPLETED' }); // false
 * hasSensitive({ card: { cvc: '123' } }); // true
 * hasSensitive({ note: 'paid with 4242 4242 4242 4242' }); // true
 * ```
 */
export function hasSensitive(value: unknown): boolean {
  return plainVerdict(value, 0) ?? JSON.stringify(redactSensitive(value)) !== JSON.stringify(value);
}

/** The verdict of {@link hasSensitive} for plain data; `undefined` for anything else. */
function plainVerdict(value: unknown, depth: number): boolean | undefined {
  if (depth > 64) return undefined;
  switch (typeof value) {
    case 'string':
      return stringHasCard(value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return false;
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return false;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype || 'toJSON' in value) return undefined;
    for (const item of value) {
      const verdict = plainVerdict(item, depth + 1);
      if (verdict !== false) return verdict;
    }
    return false;
  }
  const prototype = Object.getPrototypeOf(value);
  if ((prototype !== Object.prototype && prototype !== null) || 'toJSON' in value) {
    return undefined;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    if (SENSITIVE_KEY.test(key)) {
      // Replaced by the marker: unchanged only when it is the marker already.
      if (typeof item === 'object' && item !== null && 'toJSON' in item) return undefined;
      if (item !== '[redacted]') return true;
      continue;
    }
    const verdict = plainVerdict(item, depth + 1);
    if (verdict !== false) return verdict;
  }
  return false;
}

/** Whether redaction changes this string: a card number, whole or inside the text. */
function stringHasCard(text: string): boolean {
  if (text.length < 13) return false;
  if (looksLikeCardNumber(text)) return true;
  for (const [run] of text.matchAll(DIGIT_RUN)) if (looksLikeCardNumber(run)) return true;
  return false;
}
