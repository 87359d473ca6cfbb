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
