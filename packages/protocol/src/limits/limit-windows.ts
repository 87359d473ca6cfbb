/**
 * The windows a spending limit applies to: a calendar day, ISO week or month, and each
 * single transaction. The one list the wire schemas, core's `LimitWindow` and the
 * service's configuration are built from.
 *
 * @example
 * ```ts
 * import { LIMIT_WINDOWS } from '@handshake/protocol';
 *
 * for (const window of LIMIT_WINDOWS) console.log(window); // daily, weekly, monthly, transaction
 * ```
 */
export const LIMIT_WINDOWS = ['daily', 'weekly', 'monthly', 'transaction'] as const;
