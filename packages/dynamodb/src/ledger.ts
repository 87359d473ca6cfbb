import {
  type CaptureReservationOutcome,
  capturedShare,
  type ReservationRequest,
} from '@handshake/core';

/**
 * A user's spend, held in one item so that checking limits and reserving is one
 * conditional write. Amounts are minor units as decimal strings (JSON has no bigint).
 *
 * - `c`: window key → `[committed minor units, window end (ms)]`
 * - `r`: reservation id → `[amount, hold until (ms), [[window key, window end], …]]`
 * - `s`: committed reservation id → `[amount, [[window key, window end], …], captured 0|1]`,
 *   kept until its windows end so that a card capture can settle it once
 */
export interface LedgerDoc {
  c: Record<string, [string, number]>;
  r: Record<string, [string, number, [string, number][]]>;
  s?: Record<string, [string, [string, number][], 0 | 1]>;
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
  const s: NonNullable<LedgerDoc['s']> = {};
  for (const [id, entry] of Object.entries(doc.s ?? {})) {
    if (entry[1].some(([, endsAt]) => endsAt > now)) s[id] = entry;
  }
  return { c, r, ...(Object.keys(s).length > 0 ? { s } : {}) };
}

/** Committed plus live reservations in one window, minor units. */
export function usedIn(doc: LedgerDoc, windowKey: string, now: number): bigint {
  let total = BigInt(doc.c[windowKey]?.[0] ?? '0');
  for (const [amount, holdUntil, windows] of Object.values(doc.r)) {
    if (holdUntil > now && windows.some(([key]) => key === windowKey)) total += BigInt(amount);
  }
  return total;
}

/** `doc` with `request` reserved (replacing a reservation of the same id). */
export function reserve(doc: LedgerDoc, request: ReservationRequest): LedgerDoc {
  return {
    ...doc,
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
  return { ...doc, r: { ...doc.r, [reservationId]: [entry[0], holdUntil, entry[2]] } };
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
  if (action === 'release') return { ...doc, r };
  return {
    c: count(doc.c, entry[2], BigInt(entry[0])),
    r,
    s: { ...doc.s, [reservationId]: [entry[0], entry[2], 0] },
  };
}

/** `committed` with `minor` added to each of `windows` (negative gives back). */
function count(
  committed: LedgerDoc['c'],
  windows: [string, number][],
  minor: bigint,
): LedgerDoc['c'] {
  const c = { ...committed };
  for (const [key, endsAt] of windows) {
    const before = BigInt(c[key]?.[0] ?? '0');
    c[key] = [(before + minor).toString(), Math.max(endsAt, c[key]?.[1] ?? 0)];
  }
  return c;
}

/**
 * `doc` with a card purchase counted at its captured share, once: a live reservation is
 * committed at that share, a committed one gives back what the capture did not use.
 */
export function capture(
  doc: LedgerDoc,
  reservationId: string,
  share: { part: bigint; whole: bigint },
  now: number,
): { next: LedgerDoc | undefined; value: CaptureReservationOutcome } {
  const settled = doc.s?.[reservationId];
  if (settled?.[2] === 1) return { next: undefined, value: { status: 'already_captured' } };
  const live = doc.r[reservationId];
  if (live && live[1] > now) {
    const amount = BigInt(live[0]);
    const kept = capturedShare(amount, share);
    const r = { ...doc.r };
    delete r[reservationId];
    return {
      next: {
        c: count(doc.c, live[2], kept),
        r,
        s: { ...doc.s, [reservationId]: [live[0], live[2], 1] },
      },
      value: { status: 'captured', keptMinor: kept, releasedMinor: amount - kept },
    };
  }
  if (!settled) return { next: undefined, value: { status: 'unknown' } };
  const amount = BigInt(settled[0]);
  const kept = capturedShare(amount, share);
  return {
    next: {
      c: count(doc.c, settled[1], kept - amount),
      r: doc.r,
      s: { ...doc.s, [reservationId]: [settled[0], settled[1], 1] },
    },
    value: { status: 'captured', keptMinor: kept, releasedMinor: amount - kept },
  };
}

/** When nothing in the ledger counts any more (for the item's TTL), or 0 when empty. */
export function ledgerEnd(doc: LedgerDoc): number {
  let end = 0;
  for (const [, endsAt] of Object.values(doc.c)) end = Math.max(end, endsAt);
  for (const [, holdUntil] of Object.values(doc.r)) end = Math.max(end, holdUntil);
  for (const [, windows] of Object.values(doc.s ?? {})) {
    for (const [, endsAt] of windows) end = Math.max(end, endsAt);
  }
  return end;
}

/** Parses a stored ledger document, tolerating an absent one. */
export function parseLedger(text: string | undefined): LedgerDoc {
  if (!text) return { c: {}, r: {} };
  const parsed = JSON.parse(text) as Partial<LedgerDoc>;
  return { c: parsed.c ?? {}, r: parsed.r ?? {}, ...(parsed.s ? { s: parsed.s } : {}) };
}
