import type { SpendRequest } from '@handshake/core';

type LimitName = 'daily' | 'weekly' | 'monthly' | 'transaction';

/**
 * A user's spend, held in one item so that checking limits and reserving is one
 * conditional write. Amounts are minor units as decimal strings (JSON has no bigint).
 *
 * - `c`: window key → `[committed minor units, window end (ms)]`
 * - `r`: reservation id → `[amount, hold until (ms), [[window key, window end], …]]`
 */
export interface LedgerDoc {
  c: Record<string, [string, number]>;
  r: Record<string, [string, number, [string, number][]]>;
}

/** A ledger as read, with the version its conditional write compares. */
export interface Ledger {
  doc: LedgerDoc;
  /** 0 when the item does not exist yet. */
  version: number;
}

export const emptyLedger = (): Ledger => ({ doc: { c: {}, r: {} }, version: 0 });

/** Drops what can no longer count at `now`: ended windows and lapsed reservations. */
export function prune(doc: LedgerDoc, now: number): LedgerDoc {
  const c: LedgerDoc['c'] = {};
  for (const [key, entry] of Object.entries(doc.c)) if (entry[1] > now) c[key] = entry;
  const r: LedgerDoc['r'] = {};
  for (const [id, entry] of Object.entries(doc.r)) if (entry[1] > now) r[id] = entry;
  return { c, r };
}

/** Committed plus live reservations in one window, minor units. */
export function usedIn(doc: LedgerDoc, windowKey: string, now: number): bigint {
  let total = BigInt(doc.c[windowKey]?.[0] ?? '0');
  for (const [amount, holdUntil, windows] of Object.values(doc.r)) {
    if (holdUntil > now && windows.some(([key]) => key === windowKey)) total += BigInt(amount);
  }
  return total;
}

/** The limits `request` would exceed, in the order the contract lists them. */
export function exceededBy(doc: LedgerDoc, request: SpendRequest, now: number): LimitName[] {
  const exceeded: LimitName[] = [];
  if (
    request.perTransactionMinor !== undefined &&
    request.amountMinor > request.perTransactionMinor
  ) {
    exceeded.push('transaction');
  }
  for (const window of request.windows) {
    if (usedIn(doc, window.key, now) + request.amountMinor > window.limitMinor) {
      exceeded.push(window.window);
    }
  }
  return exceeded;
}

/** `doc` with `request` reserved (replacing a reservation of the same id). */
export function reserve(doc: LedgerDoc, request: SpendRequest): LedgerDoc {
  return {
    c: doc.c,
    r: {
      ...doc.r,
      [request.reservationId]: [
        request.amountMinor.toString(),
        request.holdUntil,
        request.windows.map((window) => [window.key, window.endsAt]),
      ],
    },
  };
}

/** `doc` with a reservation's hold moved, or `undefined` when there is no such reservation. */
export function extend(
  doc: LedgerDoc,
  reservationId: string,
  holdUntil: number,
): LedgerDoc | undefined {
  const entry = doc.r[reservationId];
  if (!entry || entry[1] === holdUntil) return undefined;
  return { c: doc.c, r: { ...doc.r, [reservationId]: [entry[0], holdUntil, entry[2]] } };
}

/**
 * `doc` with a reservation committed (its amount added to its windows) or released, or
 * `undefined` when there is no such reservation: settling twice changes nothing.
 */
export function settle(
  doc: LedgerDoc,
  reservationId: string,
  action: 'commit' | 'release',
): LedgerDoc | undefined {
  const entry = doc.r[reservationId];
  if (!entry) return undefined;
  const r = { ...doc.r };
  delete r[reservationId];
  if (action === 'release') return { c: doc.c, r };
  const c = { ...doc.c };
  for (const [key, endsAt] of entry[2]) {
    const before = BigInt(c[key]?.[0] ?? '0');
    c[key] = [(before + BigInt(entry[0])).toString(), Math.max(endsAt, c[key]?.[1] ?? 0)];
  }
  return { c, r };
}

/** When nothing in the ledger counts any more (for the item's TTL), or 0 when empty. */
export function ledgerEnd(doc: LedgerDoc): number {
  let end = 0;
  for (const [, endsAt] of Object.values(doc.c)) end = Math.max(end, endsAt);
  for (const [, holdUntil] of Object.values(doc.r)) end = Math.max(end, holdUntil);
  return end;
}

/** Parses a stored ledger document, tolerating an absent one. */
export function parseLedger(text: string | undefined): LedgerDoc {
  if (!text) return { c: {}, r: {} };
  const parsed = JSON.parse(text) as Partial<LedgerDoc>;
  return { c: parsed.c ?? {}, r: parsed.r ?? {} };
}
