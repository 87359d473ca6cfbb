/**
 * A value or a promise of it: provider methods may be sync or async.
 *
 * @example
 * ```ts
 * import type { Awaitable } from '@handshake/core';
 *
 * const sync = (): Awaitable<number> => 1;
 * const async = async (): Promise<number> => 2; // also an Awaitable<number>
 * const total = (await sync()) + (await async());
 * ```
 */
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

/**
 * The system clock.
 *
 * @example
 * ```ts
 * import { createHandshake, systemClock, type ToolProviderV1 } from '@handshake/core';
 * declare const tools: ToolProviderV1;
 *
 * const engine = createHandshake({ tools, clock: systemClock }); // the default
 * ```
 */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * Sensitivity tiers, lowest first. Each tier adds checks to the ones below it.
 *
 * @example
 * ```ts
 * import { TIERS } from '@handshake/core';
 *
 * for (const tier of TIERS) console.log(tier); // PUBLIC, INTERNAL, CONFIDENTIAL, RESTRICTED
 * ```
 */
export const TIERS = ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'RESTRICTED'] as const;

/**
 * A tool's sensitivity tier.
 *
 * @example
 * ```ts
 * import type { Tier } from '@handshake/core';
 *
 * const tier: Tier = 'CONFIDENTIAL';
 * ```
 */
export type Tier = (typeof TIERS)[number];

/**
 * The rank of a tier (PUBLIC 0 … RESTRICTED 3), for cumulative comparisons.
 *
 * @example
 * ```ts
 * import { tierRank } from '@handshake/core';
 *
 * tierRank('RESTRICTED') > tierRank('INTERNAL'); // true: RESTRICTED adds checks to INTERNAL's
 * ```
 */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

/**
 * Money on the wire: a decimal string and an ISO 4217 code.
 *
 * @example
 * ```ts
 * import type { Money } from '@handshake/core';
 *
 * const refund: Money = { value: '12.50', currency: 'EUR' };
 * ```
 */
export interface Money {
  value: string;
  currency: string;
}
