import { parseMoney } from '@handshake/protocol';
import type { ReservationRequest, ReservationWindow } from '../store/store-v1.js';
import { type LimitWindow, limitEnabled, type SpendingLimits } from './spending-limits.js';

/** The calendar position of an instant in a time zone. */
interface ZonedDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a TypeError when `timeZone` is not an IANA zone the runtime knows. */
export function assertTimeZone(timeZone: string): void {
  try {
    formatter(timeZone);
  } catch {
    throw new TypeError(`unknown time zone "${timeZone}"`);
  }
}

function zoned(epochMs: number, timeZone: string): ZonedDate & { offsetMs: number } {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(epochMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  const offsetMs = asUtc - (epochMs - (((epochMs % 1000) + 1000) % 1000));
  return { year: parts.year ?? 0, month: parts.month ?? 1, day: parts.day ?? 1, offsetMs };
}

/** Epoch ms of local midnight starting `date` in `timeZone` (DST-safe). */
function localMidnight(date: ZonedDate, timeZone: string): number {
  const guess = Date.UTC(date.year, date.month - 1, date.day);
  // Two refinements settle the offset even across a DST change on that day.
  let epoch = guess - zoned(guess, timeZone).offsetMs;
  epoch = guess - zoned(epoch, timeZone).offsetMs;
  return epoch;
}

function addDays(date: ZonedDate, days: number): ZonedDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** ISO 8601 week-numbering year and week of a calendar date. */
function isoWeek(date: ZonedDate): { year: number; week: number; monday: ZonedDate } {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day));
  const weekday = (d.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const monday = addDays(date, -weekday);
  const thursday = new Date(Date.UTC(date.year, date.month - 1, date.day - weekday + 3));
  const year = thursday.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  const week =
    1 +
    Math.round(
      (thursday.getTime() - firstThursday.getTime()) / 86_400_000 / 7 -
        (((firstThursday.getUTCDay() + 6) % 7) - 3) / 7,
    );
  return { year, week, monday };
}

/**
 * Limits per window in minor units; a missing window is not limited.
 *
 * @example
 * ```ts
 * import { reservationWindows, type WindowLimits } from '@handshake/core';
 *
 * const limits: WindowLimits = { daily: 100_000n, monthly: 1_000_000n }; // minor units
 * const windows = reservationWindows(Date.now(), 'Europe/Paris', limits);
 * ```
 */
export interface WindowLimits {
  daily?: bigint;
  weekly?: bigint;
  monthly?: bigint;
}

/**
 * The calendar windows (day, ISO week starting Monday, month) containing `now` in
 * `timeZone`, with their keys and end times. Keys name the window instance, so
 * counters of a past day are never mixed with today's.
 *
 * @example
 * ```ts
 * import { reservationWindows } from '@handshake/core';
 *
 * reservationWindows(Date.parse('2026-11-21T12:00:00Z'), 'UTC', { daily: 100000n });
 * // [{ window: 'daily', key: 'daily:2026-11-21', limitMinor: 100000n, endsAt: … }]
 * ```
 */
export function reservationWindows(
  now: number,
  timeZone: string,
  limits: WindowLimits,
): ReservationWindow[] {
  const today = zoned(now, timeZone);
  const windows: ReservationWindow[] = [];
  if (limits.daily !== undefined) {
    windows.push({
      window: 'daily',
      key: `daily:${today.year}-${pad(today.month)}-${pad(today.day)}`,
      limitMinor: limits.daily,
      endsAt: localMidnight(addDays(today, 1), timeZone),
    });
  }
  if (limits.weekly !== undefined) {
    const { year, week, monday } = isoWeek(today);
    windows.push({
      window: 'weekly',
      key: `weekly:${year}-W${pad(week)}`,
      limitMinor: limits.weekly,
      endsAt: localMidnight(addDays(monday, 7), timeZone),
    });
  }
  if (limits.monthly !== undefined) {
    const next =
      today.month === 12
        ? { year: today.year + 1, month: 1, day: 1 }
        : { year: today.year, month: today.month + 1, day: 1 };
    windows.push({
      window: 'monthly',
      key: `monthly:${today.year}-${pad(today.month)}`,
      limitMinor: limits.monthly,
      endsAt: localMidnight(next, timeZone),
    });
  }
  return windows;
}

/**
 * The calendar windows of `limits` containing `at`, with their limits in minor units:
 * the enabled ones, or every configured one with `includeDisabled` (to report usage).
 */
export function limitWindows(
  limits: SpendingLimits,
  at: number,
  includeDisabled = false,
): ReservationWindow[] {
  const amount = (window: Exclude<LimitWindow, 'transaction'>) =>
    limits[window] !== undefined && (includeDisabled || limitEnabled(limits, window))
      ? parseMoney(limits[window]!, limits.currency, { allowZero: true })
      : undefined;
  const daily = amount('daily');
  const weekly = amount('weekly');
  const monthly = amount('monthly');
  return reservationWindows(at, limits.timeZone ?? 'UTC', {
    ...(daily !== undefined ? { daily } : {}),
    ...(weekly !== undefined ? { weekly } : {}),
    ...(monthly !== undefined ? { monthly } : {}),
  });
}

/**
 * The reservation that counts an amount (in minor units) in every enabled window of
 * `limits` at `now`, with the per-transaction limit when it is enabled, held until
 * `holdUntil`.
 */
export function reservationOf(
  reservationId: string,
  amountMinor: bigint,
  limits: SpendingLimits,
  now: number,
  holdUntil: number,
): ReservationRequest {
  return {
    reservationId,
    amountMinor,
    windows: limitWindows(limits, now),
    ...(limitEnabled(limits, 'transaction')
      ? {
          perTransactionMinor: parseMoney(limits.transaction!, limits.currency, {
            allowZero: true,
          }),
        }
      : {}),
    holdUntil,
  };
}
