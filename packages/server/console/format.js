// @ts-check
// What the console says about an approval, as plain functions of the data, so they can be
// tested without a browser.

/**
 * @typedef {{ kind: 'tier' } | { kind: 'limit', window: import('@handshake/core').LimitWindow }} ApprovalReason
 */

const WINDOW_NAMES = {
  daily: 'daily',
  weekly: 'weekly',
  monthly: 'monthly',
  transaction: 'per-transaction',
};

/**
 * Why a request needs a person, one sentence per reason.
 *
 * @param {readonly ApprovalReason[] | undefined} reasons
 * @param {string} tier
 * @returns {string[]}
 */
export function describeReasons(reasons, tier) {
  const list = reasons && reasons.length > 0 ? reasons : [{ kind: /** @type {const} */ ('tier') }];
  return list.map((reason) =>
    reason.kind === 'tier'
      ? `${tier} tool: every call needs an approver’s yes`
      : `Over the ${WINDOW_NAMES[reason.window] ?? reason.window} spending limit`,
  );
}

/** Entries shown before the rest is summarised. */
const MAX_ENTRIES = 100;
/** Nesting read before a value is shown as JSON. */
const MAX_DEPTH = 6;

/**
 * Parameters as `[path, value]` pairs for a definition list: nested objects become
 * dotted paths (`amount.value`), arrays indexed paths (`items[0].sku`). Strings are shown
 * as they are; other values as JSON. Paths and values are text, to be put in the page
 * with `textContent`.
 *
 * @param {unknown} parameters
 * @returns {Array<[string, string]>}
 */
export function flattenParameters(parameters) {
  /** @type {Array<[string, string]>} */
  const out = [];
  let omitted = 0;
  /** @param {unknown} value @param {string} path @param {number} depth */
  const visit = (value, path, depth) => {
    if (out.length >= MAX_ENTRIES) {
      omitted += 1;
      return;
    }
    if (typeof value === 'object' && value !== null && depth < MAX_DEPTH) {
      const entries = Array.isArray(value)
        ? value.map((item, i) => /** @type {[string, unknown]} */ ([`${path}[${i}]`, item]))
        : Object.entries(value).map(
            ([key, item]) =>
              /** @type {[string, unknown]} */ ([path ? `${path}.${key}` : key, item]),
          );
      if (entries.length === 0) {
        out.push([path || '(parameters)', Array.isArray(value) ? '[]' : '{}']);
        return;
      }
      for (const [childPath, item] of entries) visit(item, childPath, depth + 1);
      return;
    }
    out.push([
      path || '(parameters)',
      typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)),
    ]);
  };
  visit(parameters, '', 0);
  if (omitted > 0) out.push(['…', `${omitted} more not shown; see the JSON`]);
  return out;
}

/**
 * Time left before a deadline: `"4:05"`, `"1:02:03"`, or `"expired"`.
 *
 * @param {number} ms
 * @returns {string}
 */
export function formatTimeLeft(ms) {
  if (ms <= 0) return 'expired';
  // Rounded down, like a kitchen timer: it never shows more time than is left.
  const total = Math.floor(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0
    ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}`
    : `${minutes}:${seconds}`;
}

/**
 * The same duration as an ISO 8601 duration for `<time datetime>`: `"PT4M5S"`.
 *
 * @param {number} ms
 * @returns {string}
 */
export function isoDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  return `PT${Math.floor(total / 60)}M${total % 60}S`;
}

/**
 * A status as the console names it.
 *
 * @param {string} status
 * @returns {string}
 */
export function statusLabel(status) {
  return (
    {
      pending: 'Pending',
      approved: 'Approved',
      denied: 'Denied',
      expired: 'Expired',
      withdrawn: 'Withdrawn',
    }[status] ?? status
  );
}
