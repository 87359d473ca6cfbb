import { z } from 'zod';
import { LimitWindowSchema, MoneySchema, TierSchema } from './wire.js';

/**
 * `GET /overview`: what approvers see at a glance, from the service's own state — the
 * approvals waiting and how long they have waited, the spend of the users they can see
 * against those users' limits, and the refusals of the last hour by code. Bounded: at
 * most 20 pending approvals and 20 users, each list saying when there were more.
 *
 * @example
 * ```ts
 * import { ApproverOverviewSchema } from '@handshake/protocol';
 *
 * declare const body: unknown; // the JSON answer of GET /overview
 *
 * const overview = ApproverOverviewSchema.parse(body);
 * console.log(`${overview.pending.count} waiting, the oldest for ${overview.pending.oldestAgeSeconds} s`);
 * ```
 */
export const ApproverOverviewSchema = z.object({
  /** The service's clock when the overview was read. */
  now: z.string(),
  pending: z.object({
    /** Approvals waiting, as far as the service counted (see `more`). */
    count: z.number().int().nonnegative(),
    /** True when more approvals wait than the service counted. */
    more: z.boolean(),
    oldestAgeSeconds: z.number().int().nonnegative(),
    /** The longest-waiting first; at most 20. */
    approvals: z.array(
      z.object({
        approvalId: z.string(),
        tool: z.string(),
        tier: TierSchema,
        userId: z.string(),
        amount: MoneySchema.optional(),
        createdAt: z.string(),
        expiresAt: z.string(),
        ageSeconds: z.number().int().nonnegative(),
      }),
    ),
  }),
  spend: z.object({
    /** The users with a recent approval request the approver can see; at most 20. */
    users: z.array(
      z.object({
        userId: z.string(),
        /** Absent when no limit applies to the user. */
        currency: z.string().optional(),
        timeZone: z.string().optional(),
        windows: z.array(
          z.object({
            window: LimitWindowSchema.exclude(['transaction']),
            limit: z.string(),
            /** Committed plus reserved, in the limits' currency. */
            used: z.string(),
            /** `used / limit`, from 0 (may pass 1 after a capture above the reservation). */
            share: z.number().nonnegative(),
            enabled: z.boolean(),
            resetsAt: z.string(),
          }),
        ),
      }),
    ),
    /** True when more users had requests than are listed. */
    more: z.boolean(),
  }),
  /** Absent for a person's own approver credential, which sees only its own requests. */
  refusals: z
    .object({
      /** The minutes counted: the current one and those before it. */
      minutes: z.number().int().positive(),
      total: z.number().int().nonnegative(),
      /** The most frequent first; codes beyond the service's bound count as `_OTHER`. */
      byCode: z.array(z.object({ code: z.string(), count: z.number().int().positive() })),
    })
    .optional(),
});

/**
 * What `GET /overview` answers approvers (see {@link ApproverOverviewSchema}).
 *
 * @example
 * ```ts
 * import type { ApproverOverview } from '@handshake/protocol';
 * declare const overview: ApproverOverview;
 *
 * for (const user of overview.spend.users) {
 *   const today = user.windows.find((window) => window.window === 'daily');
 *   if (today) console.log(`${user.userId}: ${today.used} of ${today.limit} ${user.currency}`);
 * }
 * ```
 */
export type ApproverOverview = z.infer<typeof ApproverOverviewSchema>;
