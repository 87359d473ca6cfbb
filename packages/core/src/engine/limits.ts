import { formatMoney } from '@handshake/protocol';
import { type LimitWindow, limitEnabled, limitsOf } from '../limits/spending-limits.js';
import { limitWindows } from '../limits/windows.js';
import { type EngineContext, storeCall } from './context.js';
import { identify } from './identity.js';
import { partitionOf } from './keys.js';
import { iso } from './views.js';

/**
 * Remaining balances, as `GET /api/mcp/limits` reports them.
 *
 * @example
 * ```ts
 * import type { HandshakeEngine, LimitsView } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const view: LimitsView | undefined = await engine.limits('session-token-of-alice');
 * for (const window of view?.windows ?? []) {
 *   console.log(`${window.window}: ${window.remaining} ${view?.currency} left until ${window.resetsAt}`);
 * }
 * ```
 */
export interface LimitsView {
  currency: string;
  timeZone: string;
  windows: Array<{
    window: Exclude<LimitWindow, 'transaction'>;
    limit: string;
    used: string;
    remaining: string;
    resetsAt: string;
  }>;
  transaction?: string;
  enabled: Record<LimitWindow, boolean>;
}

/** Remaining spend for the caller, reservations counted; `undefined` when no limit applies. */
export async function limitsView(
  ctx: EngineContext,
  credential: string | undefined,
): Promise<LimitsView | undefined> {
  const identity = await identify(ctx, credential);
  const limits = await limitsOf(ctx.options.limits, identity.userId);
  if (!limits) return undefined;
  const now = ctx.clock.now();
  const windows = limitWindows(limits, now, true);
  const usage = await storeCall(() =>
    ctx.store.reservationUsage({
      partition: partitionOf(identity.userId),
      userId: identity.userId,
      now,
      windows,
    }),
  );
  return {
    currency: limits.currency,
    timeZone: limits.timeZone ?? 'UTC',
    windows: windows.map((w) => {
      const used = usage.used[w.key] ?? 0n;
      const remaining = w.limitMinor - used > 0n ? w.limitMinor - used : 0n;
      return {
        window: w.window,
        limit: formatMoney(w.limitMinor, limits.currency),
        used: formatMoney(used, limits.currency),
        remaining: formatMoney(remaining, limits.currency),
        resetsAt: iso(w.endsAt),
      };
    }),
    ...(limits.transaction !== undefined ? { transaction: limits.transaction } : {}),
    enabled: {
      daily: limitEnabled(limits, 'daily'),
      weekly: limitEnabled(limits, 'weekly'),
      monthly: limitEnabled(limits, 'monthly'),
      transaction: limitEnabled(limits, 'transaction'),
    },
  };
}
