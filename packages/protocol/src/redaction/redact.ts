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
