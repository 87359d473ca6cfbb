/** A value or a promise of it: provider methods may be sync or async. */
export type Awaitable<T> = T | Promise<T>;

/**
 * The source of time. Injected everywhere so tests drive time instead of sleeping.
 *
 * @example
 * ```ts
 * import type { Clock } from '@handshake/core';
 *
 * let now = Date.parse('2026-01-01T00:00:00Z');
 * const clock: Clock = { now: () => now };
 * now += 31_000; // the next call sees 31 s later
 * ```
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** Sensitivity tiers, lowest first. Each tier adds checks to the ones below it. */
export const TIERS = ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'RESTRICTED'] as const;

/** A tool's sensitivity tier. */
export type Tier = (typeof TIERS)[number];

/** The rank of a tier (PUBLIC 0 … RESTRICTED 3), for cumulative comparisons. */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

/** Money on the wire: a decimal string and an ISO 4217 code. */
export interface Money {
  value: string;
  currency: string;
}
