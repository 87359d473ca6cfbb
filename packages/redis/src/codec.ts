import {
  type ApprovalReason,
  type ApprovalRecord,
  capturedShare,
  type ReservationRequest,
  type Tombstone,
  type TransactionRecord,
} from '@handshake/core';
import { HandshakeError } from '@handshake/protocol';
import { hexDigest, storedDigest } from './keys.js';

/**
 * The largest amount (and limit) the Redis store counts, in minor units: 10^15, i.e.
 * ten trillion units of a two-decimal currency. The scripts compare totals as Lua
 * numbers (IEEE doubles), exact for integers below 2^53 ≈ 9.007 × 10^15; bounding each
 * amount and limit at 10^15 keeps every total the scripts compare well inside that
 * range. Additions themselves happen in Redis's 64-bit integers.
 *
 * @example
 * ```ts
 * import { REDIS_MAX_AMOUNT_MINOR } from '@handshake/redis';
 *
 * const fits = 123_456n <= REDIS_MAX_AMOUNT_MINOR; // true
 * ```
 */
export const REDIS_MAX_AMOUNT_MINOR: bigint = 10n ** 15n;

/** Refuses an amount or limit the scripts cannot count exactly. */
export function minorString(value: bigint, what: string): string {
  if (value < 0n || value > REDIS_MAX_AMOUNT_MINOR) {
    throw new HandshakeError(
      'VALIDATION_ERROR',
      `The ${what} is outside what the Redis store counts (0 to 10^15 minor units)`,
    );
  }
  return value.toString();
}

/** What the scripts keep of a reservation: its amount and its windows with their ends. */
export function reservationData(request: ReservationRequest): string {
  return JSON.stringify({
    a: minorString(request.amountMinor, 'amount'),
    w: request.windows.map((window) => [window.key, window.endsAt]),
  });
}

/**
 * A capture's share as the capture script takes it: `part / whole` reduced, with a
 * share above 1 as 1/1. Both must then be at most 10^15, which the script computes
 * with exactly (a share of two amounts in minor units always is).
 */
export function shareArgs(share: { part: bigint; whole: bigint }): { p: string; q: string } {
  capturedShare(0n, share); // throws RangeError on a whole below 1 or a negative part
  if (share.part >= share.whole) return { p: '1', q: '1' };
  let [a, b] = [share.part, share.whole];
  while (b > 0n) [a, b] = [b, a % b];
  const divisor = a === 0n ? 1n : a;
  return {
    p: minorString(share.part / divisor, 'captured share'),
    q: minorString(share.whole / divisor, 'captured share'),
  };
}

/**
 * An approval is a hash: the fields that never change in one JSON `body` (written once,
 * read by JavaScript only), and the fields the scripts change as hash fields of their own.
 */
const MUTABLE = {
  status: 'status',
  version: 'ver',
  decidedAt: 'dAt',
  decidedBy: 'dBy',
  reason: 'why',
  tokenExpiresAt: 'tExp',
  tokenDigests: 'toks',
  executedAt: 'xAt',
  executedDigest: 'xTok',
  reservationId: 'rsv',
} as const satisfies Partial<Record<keyof ApprovalRecord, string>>;

type MutableField = keyof typeof MUTABLE;
const NUMERIC: ReadonlySet<MutableField> = new Set([
  'version',
  'decidedAt',
  'tokenExpiresAt',
  'executedAt',
]);
/** Lists kept as one comma-separated field (token digests: hex or base64url). */
const LISTS: ReadonlySet<MutableField> = new Set(['tokenDigests']);

/**
 * Splits an approval for storage. The reservation id is left to the script, which sets
 * it only when it actually reserved.
 */
export function encodeApproval(record: ApprovalRecord): { body: string; fields: string[] } {
  const body: Record<string, unknown> = {};
  const fields: string[] = [];
  for (const [name, value] of Object.entries(record)) {
    if (name in MUTABLE) {
      if (name !== 'reservationId' && value !== undefined) {
        const text = Array.isArray(value) ? value.join(',') : String(value);
        fields.push(MUTABLE[name as MutableField], text);
      }
    } else {
      body[name] = value;
    }
  }
  return { body: JSON.stringify(body), fields };
}

/** Rebuilds an approval from its hash (an object, or the flat list a script returns). */
export function decodeApproval(
  hash: Record<string, string> | readonly (string | null)[],
): ApprovalRecord | undefined {
  const map = Array.isArray(hash) ? pairs(hash) : (hash as Record<string, string>);
  const body = map.body;
  if (body === undefined) return undefined;
  const record = JSON.parse(body) as Record<string, unknown>;
  for (const [name, field] of Object.entries(MUTABLE) as [MutableField, string][]) {
    const value = map[field];
    if (value === undefined) continue;
    // Token digests are kept in the form of the token's key; the record holds them as
    // hexadecimal, whichever form wrote them.
    record[name] = NUMERIC.has(name)
      ? Number(value)
      : LISTS.has(name)
        ? value.split(',').filter(Boolean).map(hexDigest)
        : name === 'executedDigest'
          ? hexDigest(value)
          : value;
  }
  // The limits the authorize script found exceeded (`xcd`, comma-separated) become
  // reasons after the ones the caller gave; the body itself is never rewritten.
  if (map.xcd) {
    const given = Array.isArray(record.reasons) ? (record.reasons as ApprovalReason[]) : [];
    record.reasons = [
      ...given,
      ...map.xcd.split(',').map((window) => ({ kind: 'limit', window }) as ApprovalReason),
    ];
  }
  return record as unknown as ApprovalRecord;
}

/**
 * A token record's one-letter names in the compact form. The scripts read `x`, `u`, `t`,
 * `h`, `e`, `a` and `r`; a record with `transactionId` is in the verbose form (the
 * record's own names), which every version reads.
 */
const RECORD_NAMES = {
  transactionId: 'x',
  userId: 'u',
  sessionId: 's',
  tool: 't',
  tier: 'k',
  paramsHash: 'h',
  expiresAt: 'e',
  createdAt: 'c',
  reservationId: 'r',
  amountMinor: 'm',
  currency: 'y',
  originalAmount: 'o',
  exchangeRate: 'f',
  approvalId: 'a',
} as const satisfies Record<keyof TransactionRecord, string>;

const RECORD_FIELDS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(RECORD_NAMES).map(([name, short]) => [short, name]),
);

/**
 * A token record as the compact form stores it: one-letter names and the parameters
 * hash as base64url (about 80 bytes fewer than the record's own JSON). A field the
 * record gains later keeps its own name.
 */
export function encodeTokenRecord(record: TransactionRecord): string {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    if (value === undefined) continue;
    const short = RECORD_NAMES[name as keyof TransactionRecord];
    out[short ?? name] = name === 'paramsHash' ? storedDigest(value as string) : value;
  }
  return JSON.stringify(out);
}

/** A stored token record, in either form. */
export function decodeTokenRecord(json: string): TransactionRecord {
  const stored = JSON.parse(json) as Record<string, unknown>;
  if (stored === null || typeof stored !== 'object' || 'transactionId' in stored) {
    return stored as unknown as TransactionRecord;
  }
  const record: Record<string, unknown> = {};
  for (const [short, value] of Object.entries(stored)) {
    const name = RECORD_FIELDS[short] ?? short;
    record[name] = name === 'paramsHash' ? hexDigest(value as string) : value;
  }
  return record as unknown as TransactionRecord;
}

/** The tombstone of a consume reply `['used', state, x, u, t, h, sid, at, out]`. */
export function decodeTombstone(reply: readonly (string | null)[]): Tombstone {
  const [, state, transactionId, userId, tool, paramsHash, sessionId, consumedAt, outcome] = reply;
  return {
    transactionId: transactionId ?? '',
    userId: userId ?? '',
    sessionId: sessionId ?? '',
    tool: tool ?? '',
    paramsHash: paramsHash ?? '',
    // `spent`: a token of an approval another token already ran; its result is gone.
    state: state === 'done' || state === 'spent' ? 'completed' : 'executing',
    consumedAt: Number(consumedAt),
    ...(outcome ? { outcome: JSON.parse(outcome) as Tombstone['outcome'] } : {}),
  };
}

/** `[k1, v1, k2, v2, …]` → `{ k1: v1, … }`. */
export function pairs(flat: readonly (string | null)[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const key = flat[i];
    const value = flat[i + 1];
    if (typeof key === 'string' && typeof value === 'string') out[key] = value;
  }
  return out;
}
