import type * as wire from '@handshake/protocol';
import type { SessionIdentity } from '../sessions/session-verifier.js';
import type { ApprovalRecord } from '../store/records.js';
import * as approvals from './approvals.js';
import type { EngineContext } from './context.js';
import { decideApproval, withdrawApproval } from './decisions.js';
import { approverOverview } from './overview.js';
import { type ApprovalWatcher, type WatchApprovalsOptions, watchStoreApprovals } from './watch.js';

/**
 * The approvals side of the engine, which {@link HandshakeEngine} extends: the
 * requester's view and withdrawal, the approvers' lists, decisions and overview, and
 * live watching. Every method takes the caller's credential and answers with what that
 * caller may see.
 *
 * @example
 * ```ts
 * import type { HandshakeEngine } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const waiting = await engine.listApprovals({ status: 'pending' }, 'approver-token');
 * for (const approval of waiting) await engine.decide(approval.approvalId, { decision: 'deny' }, 'approver-token');
 * ```
 */
export class ApprovalDesk {
  readonly #ctx: EngineContext;

  protected constructor(ctx: EngineContext) {
    this.#ctx = ctx;
  }

  /**
   * The requesting user's view of an approval. To the session that asked, an approved
   * request carries an ephemeral token; each read issues one, and the tokens issued
   * before stay live (up to a bound), so a lost answer never strands an approval and two
   * waiters never revoke each other. Consuming any of them spends the approval: from
   * then on the view says `executed: true` and carries no token.
   */
  approvalStatus(approvalId: string, credential: string | undefined): Promise<wire.ApprovalView> {
    return approvals.approvalStatus(this.#ctx, approvalId, credential);
  }

  /** Approvals for approvers, newest first. */
  listApprovals(
    filter: { status?: ApprovalRecord['status']; limit?: number },
    credential: string | undefined,
  ): Promise<wire.ApprovalSummary[]> {
    return approvals.listApprovals(this.#ctx, filter, credential);
  }

  /** One approval as approvers see it. */
  approvalSummary(
    approvalId: string,
    credential: string | undefined,
  ): Promise<wire.ApprovalSummary> {
    return approvals.approvalSummary(this.#ctx, approvalId, credential);
  }

  /**
   * An approver's decision. Final: a decided or expired approval cannot be decided
   * again, and nobody may approve their own request.
   *
   * @example
   * ```ts
   * import type { HandshakeEngine } from '@handshake/core';
   * declare const engine: HandshakeEngine;
   *
   * await engine.decide('apr_…', { decision: 'approve' }, 'approver-token');
   * ```
   */
  decide(
    approvalId: string,
    decision: wire.DecisionRequest,
    credential: string | undefined,
  ): Promise<wire.ApprovalSummary> {
    return decideApproval(this.#ctx, approvalId, decision, credential);
  }

  /**
   * The requester withdraws its own pending approval, e.g. because the call that waits
   * for it was cancelled: the approval becomes `withdrawn`, final, nobody can approve or
   * deny it any more, and its spend is given back as on a denial. Only the user who
   * requested it may (another user's approval answers `NOT_FOUND`); a decided approval
   * answers `APPROVAL_PENDING` (409) naming its status, an expired one `APPROVAL_EXPIRED`,
   * and an approval already withdrawn is answered as it is.
   *
   * @example
   * ```ts
   * import type { HandshakeEngine } from '@handshake/core';
   * declare const engine: HandshakeEngine;
   *
   * const view = await engine.withdraw('apr_…', 'agent-session-token');
   * console.log(view.status); // 'withdrawn'
   * ```
   */
  withdraw(approvalId: string, credential: string | undefined): Promise<wire.ApprovalView> {
    return withdrawApproval(this.#ctx, approvalId, credential);
  }

  /**
   * The approvers' overview (`GET /overview`): the approvals waiting and their age, the
   * spend of the users with a recent request against their limits, and this engine's
   * refusals of the last hour by code. It names only users the approver's list of
   * approvals already shows, and holds no token or parameter.
   *
   * @example
   * ```ts
   * import type { HandshakeEngine } from '@handshake/core';
   * declare const engine: HandshakeEngine;
   *
   * const overview = await engine.overview('approver-token');
   * console.log(`${overview.pending.count} waiting; ${overview.refusals?.total ?? 0} refusals this hour`);
   * ```
   */
  overview(credential: string | undefined): Promise<wire.ApproverOverview> {
    return approverOverview(this.#ctx, credential);
  }

  /**
   * Watches approvals live: an async iterator of their changes, through ONE store
   * subscription shared by every watcher of this engine (taken with the first, given
   * back with the last). Each change says which approval to read again; it carries no
   * record, so callers read with their own credential's rights.
   *
   * @example
   * ```ts
   * import type { HandshakeEngine } from '@handshake/core';
   * declare const engine: HandshakeEngine;
   *
   * for await (const change of engine.watchApprovals({ ids: ['apr_0123456789abcdef_x'] })) {
   *   if (change.type === 'changed' && change.status !== 'pending') break;
   * }
   * ```
   */
  watchApprovals(options: WatchApprovalsOptions = {}): ApprovalWatcher {
    return watchStoreApprovals(this.#ctx.store, options);
  }

  /** The approval's record for streaming; `undefined` when the session may not see it. */
  approvalForSession(
    approvalId: string,
    identity: SessionIdentity,
  ): Promise<ApprovalRecord | undefined> {
    return approvals.approvalForSession(this.#ctx, approvalId, identity);
  }
}
