import { type ApprovalSummary, type ApproverOverview, formatMoney } from '@handshake/protocol';
import { limitEnabled, limitsOf } from '../limits/spending-limits.js';
import { limitWindows } from '../limits/windows.js';
import { listApprovals } from './approvals.js';
import { type EngineContext, storeCall } from './context.js';
import { identifyApprover } from './identity.js';
import { partitionOf } from './keys.js';
import { iso } from './views.js';

/** Pending approvals listed, and users whose spend is shown, at most. */
export const OVERVIEW_ROWS = 20;
/** Approvals read to count the pending ones and to find the recent users, at most. */
const READ_LIMIT = 200;
/** A user is shown when one of their approvals was requested this recently. */
const RECENT_MS = 24 * 60 * 60 * 1000;

/**
 * The approvers' overview (`GET /overview`): built from what the approvals list already
 * shows this approver, so it names no user the approver could not see there, and holds
 * no token or parameter. The users are those with an approval requested in the last 24
 * hours among the 200 most recent, the ones with a pending request first.
 */
export async function approverOverview(
  ctx: EngineContext,
  credential: string | undefined,
): Promise<ApproverOverview> {
  const approver = await identifyApprover(ctx, credential);
  const pending = await listApprovals(ctx, { status: 'pending', limit: READ_LIMIT }, credential);
  const recent = await listApprovals(ctx, { limit: READ_LIMIT }, credential);
  const now = ctx.clock.now();
  const ageOf = (summary: ApprovalSummary) =>
    Math.max(0, Math.floor((now - Date.parse(summary.createdAt)) / 1000));
  const oldestFirst = [...pending].sort(
    (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt),
  );

  const users: string[] = [];
  const seen = new Set<string>();
  for (const summary of [...oldestFirst, ...recent]) {
    if (seen.has(summary.userId)) continue;
    if (summary.status !== 'pending' && now - Date.parse(summary.createdAt) > RECENT_MS) continue;
    seen.add(summary.userId);
    users.push(summary.userId);
  }

  const spendUsers: ApproverOverview['spend']['users'] = [];
  for (const userId of users.slice(0, OVERVIEW_ROWS))
    spendUsers.push(await userSpend(ctx, userId, now));

  const overview: ApproverOverview = {
    now: iso(now),
    pending: {
      count: pending.length,
      more: pending.length >= READ_LIMIT,
      oldestAgeSeconds: oldestFirst[0] ? ageOf(oldestFirst[0]) : 0,
      approvals: oldestFirst.slice(0, OVERVIEW_ROWS).map((summary) => ({
        approvalId: summary.approvalId,
        tool: summary.tool,
        tier: summary.tier,
        userId: summary.userId,
        ...(summary.amount ? { amount: summary.amount } : {}),
        createdAt: summary.createdAt,
        expiresAt: summary.expiresAt,
        ageSeconds: ageOf(summary),
      })),
    },
    spend: { users: spendUsers, more: users.length > OVERVIEW_ROWS },
  };
  // Refusals are counted across every user: a person's own approver credential, which
  // sees only its own requests, does not see them.
  if (!approver.ownOnly) {
    const byCode = ctx.refusalCounts.byCode(now);
    overview.refusals = {
      minutes: ctx.refusalCounts.minutes,
      total: byCode.reduce((sum, entry) => sum + entry.count, 0),
      byCode,
    };
  }
  return overview;
}

/** One user's usage of each calendar window of their limits, reservations counted. */
async function userSpend(
  ctx: EngineContext,
  userId: string,
  now: number,
): Promise<ApproverOverview['spend']['users'][number]> {
  const limits = await limitsOf(ctx.options.limits, userId);
  if (!limits) return { userId, windows: [] };
  const windows = limitWindows(limits, now, true);
  const usage =
    windows.length === 0
      ? { used: {} as Record<string, bigint> }
      : await storeCall(() =>
          ctx.store.reservationUsage({ partition: partitionOf(userId), userId, now, windows }),
        );
  return {
    userId,
    currency: limits.currency,
    timeZone: limits.timeZone ?? 'UTC',
    windows: windows.map((w) => {
      const used = usage.used[w.key] ?? 0n;
      return {
        window: w.window,
        limit: formatMoney(w.limitMinor, limits.currency),
        used: formatMoney(used, limits.currency),
        // In ten-thousandths, so no float ever holds the amounts themselves.
        share:
          w.limitMinor > 0n ? Number((used * 10_000n) / w.limitMinor) / 10_000 : used > 0n ? 1 : 0,
        enabled: limitEnabled(limits, w.window),
        resetsAt: iso(w.endsAt),
      };
    }),
  };
}
