/**
 * Sensitivity tiers, lowest first. Each tier adds checks to the ones below it.
 *
 * @example
 * ```ts
 * import { TIERS } from '@handshake/protocol';
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
 * import type { Tier } from '@handshake/protocol';
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
 * import { tierRank } from '@handshake/protocol';
 *
 * tierRank('RESTRICTED') > tierRank('INTERNAL'); // true: RESTRICTED adds checks to INTERNAL's
 * ```
 */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}
