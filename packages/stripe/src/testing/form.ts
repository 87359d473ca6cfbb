/**
 * A decoded form or query value: strings, nested objects and arrays, as Stripe's
 * form encoding carries them.
 *
 * @example
 * ```ts
 * import type { FormValue } from '@handshake/stripe/testing';
 *
 * const params: Record<string, FormValue> = {
 *   spending_controls: { spending_limits: [{ amount: '3000', interval: 'all_time' }] },
 * };
 * ```
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };

/**
 * Decodes Stripe's `application/x-www-form-urlencoded` encoding, with bracketed keys
 * (`spending_controls[spending_limits][0][amount]=3000`, `expand[0]=number`), into
 * nested objects and arrays. Values stay strings, as they travel.
 */
export function decodeForm(params: URLSearchParams): Record<string, FormValue> {
  const root: Record<string, FormValue> = {};
  for (const [key, value] of params) {
    const path = key.replace(/\]/g, '').split('[');
    let node: Record<string, FormValue> | FormValue[] = root;
    path.forEach((segment, index) => {
      const last = index === path.length - 1;
      const slot = Array.isArray(node) ? Number(segment === '' ? node.length : segment) : segment;
      const container = node as Record<string | number, FormValue>;
      if (last) {
        container[slot] = value;
        return;
      }
      const nextIsIndex = /^\d*$/.test(path[index + 1] ?? '');
      container[slot] ??= nextIsIndex ? [] : {};
      node = container[slot] as Record<string, FormValue> | FormValue[];
    });
  }
  return root;
}
