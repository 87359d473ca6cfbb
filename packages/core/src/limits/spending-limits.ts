import type { LIMIT_WINDOWS } from '@handshake/protocol';
import type { Awaitable } from '../types/common.js';

/**
 * A window a spending limit applies to: a calendar day, ISO week or month in the limits'
 * time zone, or each single transaction.
 *
 * @example
 * ```ts
 * import type { LimitWindow, SpendingLimits } from '@handshake/core';
 * import { LIMIT_WINDOWS } from '@handshake/protocol';
 * declare const limits: SpendingLimits;
 *
 * const active: LimitWindow[] = LIMIT_WINDOWS.filter(
 *   (window) => limits[window] !== undefined && limits.enabled?.[window] !== false,
 * );
 * ```
 */
export type LimitWindow = (typeof LIMIT_WINDOWS)[number];

/**
 * A user's spending limits, in one currency. Amounts are decimal strings; a window
 * left out (or disabled in `enabled`) is not limited.
 *
 * @example
 * ```ts
 * import type { SpendingLimits } from '@handshake/core';
 *
 * const limits: SpendingLimits = {
 *   currency: 'USD',
 *   daily: '1000.00',
 *   weekly: '5000.00',
 *   monthly: '20000.00',
 *   transaction: '500.00',
 * };
 * ```
 */
export interface SpendingLimits {
  currency: string;
  daily?: string;
  weekly?: string;
  monthly?: string;
  transaction?: string;
  /** Turns a configured window off without removing its amount. */
  enabled?: Partial<Record<LimitWindow, boolean>>;
  /** IANA time zone of the calendar windows (default `UTC`). */
  timeZone?: string;
}

/**
 * Limits for everyone, or per user (`undefined`: no limit for that user).
 *
 * @example
 * ```ts
 * import type { LimitsSource, SpendingLimits } from '@handshake/core';
 * declare function loadLimits(userId: string): Promise<SpendingLimits | undefined>;
 *
 * const everyone: LimitsSource = { currency: 'USD', daily: '1000.00', transaction: '250.00' };
 * const perUser: LimitsSource = (userId) => loadLimits(userId); // undefined: no limit for that user
 * ```
 */
export type LimitsSource =
  | SpendingLimits
  | ((userId: string) => Awaitable<SpendingLimits | undefined>);

/**
 * A rate from one currency to another, as a decimal string, and when it was read.
 *
 * @example
 * ```ts
 * import type { ExchangeRate } from '@handshake/core';
 *
 * const eurToUsd: ExchangeRate = { rate: '1.0850', asOf: Date.parse('2026-03-02T10:00:00Z') };
 * ```
 */
export interface ExchangeRate {
  /** Units of `to` for one unit of `from`, e.g. `"0.9215"`. */
  rate: string;
  asOf: number;
}

/**
 * Supplies exchange rates for counting foreign-currency amounts against limits.
 *
 * `getRate` throws `HandshakeError('VALIDATION_ERROR', …)` for a pair it has no rate
 * for: the caller chose that currency, so the service answers `400` naming it. Any
 * other failure (a rates service down) is a `PROVIDER_ERROR`, answered `502`.
 *
 * @example
 * ```ts
 * import { simulatedExchangeRates } from '@handshake/core';
 *
 * const rates = simulatedExchangeRates({ EURUSD: '1.0850' });
 * ```
 */
export interface ExchangeRateProviderV1 {
  readonly specificationVersion: 'v1';
  getRate(from: string, to: string): Awaitable<ExchangeRate>;
}

/** The limits that apply to `userId`, or `undefined` when none does. */
export async function limitsOf(
  source: LimitsSource | undefined,
  userId: string,
): Promise<SpendingLimits | undefined> {
  if (!source) return undefined;
  return typeof source === 'function' ? await source(userId) : source;
}

/** Whether `window` is limited: an amount is configured and not turned off. */
export function limitEnabled(limits: SpendingLimits, window: LimitWindow): boolean {
  return limits[window] !== undefined && limits.enabled?.[window] !== false;
}
