import { looksLikeCardNumber } from '@handshake/protocol';

/**
 * Short, non-secret facts a tool provider or an integration adds to an audit event
 * (e.g. `{ cardLast4: '4242' }` for a card it issued). Bounded and cleaned by
 * {@link auditAttributes} before they reach the audit trail.
 *
 * @example
 * ```ts
 * import type { AuditAttributes } from '@handshake/core';
 *
 * const attributes: AuditAttributes = { cardLast4: '4242' };
 * ```
 */
export type AuditAttributes = Readonly<Record<string, string>>;

/** At most this many attributes are kept on one event. */
const MAX_ATTRIBUTES = 8;
/** An attribute's value is kept only up to this length. */
const MAX_VALUE_LENGTH = 64;
/** A plain identifier, so a key cannot carry data of its own. */
const KEY = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
/** Keys that name a secret: such an attribute is dropped, whatever its value. */
const SECRET_KEY = /(card.?number|^pan$|cvc|cvv|security.?code|password|secret|token|credential)/i;
/** A run of 13 to 19 digits, possibly grouped by spaces or dashes. */
const DIGIT_RUN = /\d(?:[ -]?\d){12,18}/g;

/**
 * The attributes of `value` that may enter the audit trail: string values only, under
 * plain keys that name no secret, at most 64 characters each and 8 in all; a value that
 * holds a card number is dropped. Anything else (not an object, a function that threw
 * upstream) gives `undefined`, so an attribute never fails the call it describes.
 *
 * @example
 * ```ts
 * import { auditAttributes } from '@handshake/core';
 *
 * auditAttributes({ cardLast4: '4242', cardNumber: '4242424242424242', note: 42 });
 * // { cardLast4: '4242' }
 * ```
 */
export function auditAttributes(value: unknown): AuditAttributes | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const kept: Record<string, string> = {};
  let count = 0;
  for (const [key, item] of Object.entries(value)) {
    if (count >= MAX_ATTRIBUTES) break;
    if (!KEY.test(key) || SECRET_KEY.test(key) || typeof item !== 'string') continue;
    if (item.length === 0 || item.length > MAX_VALUE_LENGTH) continue;
    const runs = item.match(DIGIT_RUN) ?? [];
    if (looksLikeCardNumber(item) || runs.some(looksLikeCardNumber)) continue;
    kept[key] = item;
    count += 1;
  }
  return count > 0 ? kept : undefined;
}
