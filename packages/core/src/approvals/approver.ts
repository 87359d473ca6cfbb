import { type Money, parseMoney, type Tier } from '@handshake/protocol';
import type { ApprovalReason } from '../store/records.js';
import type { Awaitable } from '../types/common.js';

/**
 * What an approver is shown. Parameters are redacted of card data.
 *
 * @example
 * ```ts
 * import { agentApprover, type ApprovalRequest } from '@handshake/core';
 *
 * const approver = agentApprover({
 *   decide: (request: ApprovalRequest) =>
 *     request.amount && Number.parseFloat(request.amount.value) <= 20
 *       ? { decision: 'approve', reason: `small ${request.tool}` }
 *       : { decision: 'escalate' },
 * });
 * ```
 */
export interface ApprovalRequest {
  approvalId: string;
  transactionId: string;
  userId: string;
  tool: string;
  tier: Tier;
  parameters: unknown;
  paramsHash: string;
  amount?: Money;
  payee?: string;
  reasons: readonly ApprovalReason[];
}

/**
 * An approver's answer. `escalate` leaves the request pending for a person.
 *
 * @example
 * ```ts
 * import type { ApprovalVerdict } from '@handshake/core';
 *
 * const verdict: ApprovalVerdict = { decision: 'deny', reason: 'the payee is not on the allow list' };
 * ```
 */
export type ApprovalVerdict =
  | { decision: 'approve'; reason?: string }
  | { decision: 'deny'; reason?: string }
  | { decision: 'escalate'; reason?: string };

/**
 * Decides RESTRICTED and over-limit requests as they arrive. A person decides through
 * the approvals API when `review` answers `escalate` (or when there is no `review`).
 * The engine never lets a non-human approver approve a request that exceeds a
 * spending limit, nor one above its own `maxAutoApprove`: those escalate.
 *
 * @example
 * ```ts
 * import { humanApprover } from '@handshake/core';
 *
 * const approver = humanApprover();
 * ```
 */
export interface ApproverV1 {
  readonly specificationVersion: 'v1';
  /** Name recorded in the audit trail as the decider. */
  readonly name: string;
  /** `human` approvers only escalate; others may decide. */
  readonly kind: 'human' | 'agent' | 'rules';
  review?(request: ApprovalRequest): Awaitable<ApprovalVerdict>;
  /** The most an agent or rule may approve alone, in the limits' currency. */
  readonly maxAutoApprove?: Money;
}

/**
 * Every request waits for a person deciding through `POST /approvals/{id}/decision`.
 *
 * @example
 * ```ts
 * import { humanApprover } from '@handshake/core';
 *
 * const approver = humanApprover();
 * ```
 */
export function humanApprover(): ApproverV1 {
  return { specificationVersion: 'v1', name: 'human', kind: 'human' };
}

/**
 * Options of {@link agentApprover}.
 *
 * @example
 * ```ts
 * import { type AgentApproverOptions, agentApprover } from '@handshake/core';
 *
 * const options: AgentApproverOptions = {
 *   name: 'second-opinion',
 *   decide: () => ({ decision: 'escalate' }),
 *   maxAutoApprove: { value: '25.00', currency: 'USD' },
 * };
 * const approver = agentApprover(options);
 * ```
 */
export interface AgentApproverOptions {
  /** The confirmation agent: a second model or any function. */
  decide: (request: ApprovalRequest) => Awaitable<ApprovalVerdict>;
  /** Name in the audit trail (default `confirmation-agent`). */
  name?: string;
  /** Above this amount the agent's approval becomes an escalation to a person. */
  maxAutoApprove?: Money;
}

/**
 * A confirmation agent decides first; it may approve (within `maxAutoApprove` and the
 * limits), deny, or escalate to a person.
 *
 * @example
 * ```ts
 * import { agentApprover } from '@handshake/core';
 *
 * const approver = agentApprover({
 *   decide: (request) =>
 *     request.tool === 'create_refund' ? { decision: 'escalate' } : { decision: 'approve' },
 *   maxAutoApprove: { value: '50.00', currency: 'USD' },
 * });
 * ```
 */
export function agentApprover(options: AgentApproverOptions): ApproverV1 {
  return {
    specificationVersion: 'v1',
    name: options.name ?? 'confirmation-agent',
    kind: 'agent',
    review: options.decide,
    ...(options.maxAutoApprove ? { maxAutoApprove: options.maxAutoApprove } : {}),
  };
}

/**
 * One rule of {@link rulesApprover}; the first rule that matches decides.
 *
 * @example
 * ```ts
 * import { type ApprovalRule, rulesApprover } from '@handshake/core';
 *
 * const smallRefunds: ApprovalRule = {
 *   tools: ['create_refund'],
 *   maxAmount: { value: '20.00', currency: 'USD' },
 *   decision: 'approve',
 *   reason: 'small refund',
 * };
 * const approver = rulesApprover([smallRefunds]);
 * ```
 */
export interface ApprovalRule {
  /** Tool names the rule applies to (all when omitted). */
  tools?: readonly string[];
  /** Applies only when the amount is at most this (same currency). */
  maxAmount?: Money;
  decision: 'approve' | 'deny' | 'escalate';
  reason?: string;
}

/**
 * Fixed rules; a request no rule matches escalates to a person.
 *
 * @example
 * ```ts
 * import { rulesApprover } from '@handshake/core';
 *
 * const approver = rulesApprover([
 *   { tools: ['accept_dispute_claim'], decision: 'deny', reason: 'disputes go to finance' },
 * ]);
 * ```
 */
export function rulesApprover(rules: readonly ApprovalRule[], name = 'rules'): ApproverV1 {
  return {
    specificationVersion: 'v1',
    name,
    kind: 'rules',
    review(request) {
      for (const rule of rules) {
        if (rule.tools && !rule.tools.includes(request.tool)) continue;
        if (rule.maxAmount) {
          if (!request.amount || request.amount.currency !== rule.maxAmount.currency) continue;
          const opts = { allowZero: true } as const;
          const amount = parseMoney(request.amount.value, request.amount.currency, opts);
          if (amount > parseMoney(rule.maxAmount.value, rule.maxAmount.currency, opts)) continue;
        }
        return rule.reason === undefined
          ? { decision: rule.decision }
          : { decision: rule.decision, reason: rule.reason };
      }
      return { decision: 'escalate' };
    },
  };
}
