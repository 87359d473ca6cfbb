import type { Tier } from '@handshake/protocol';
import type { Awaitable } from '../types/common.js';
import type { AuditAttributes } from './audit-attributes.js';

/**
 * Kinds of audit events.
 *
 * @example
 * ```ts
 * import type { AuditEvent, AuditEventType } from '@handshake/core';
 * declare const events: AuditEvent[];
 *
 * const wanted: AuditEventType = 'approval.decided';
 * const decisions = events.filter((event) => event.type === wanted);
 * ```
 */
export type AuditEventType =
  | 'authorize'
  | 'approval.requested'
  | 'approval.decided'
  /** The requester withdrew its pending approval (its caller cancelled or went away). */
  | 'approval.withdrawn'
  | 'approval.token_issued'
  | 'execute'
  | 'refusal'
  /** A card issuer's decision on a merchant's charge (approved or declined). */
  | 'card.authorization'
  /** A merchant's capture on a card, counted against spending limits. */
  | 'card.capture';

/**
 * One audit event. It carries `paramsHash`, never the parameters, and never a token,
 * a session credential, a card number or a CVC. `prevHash` and `hash` chain events so
 * that a changed, removed or reordered event is detected by `verifyAuditChain`.
 *
 * @example
 * ```ts
 * import type { AuditEvent } from '@handshake/core';
 *
 * function line(event: AuditEvent): string {
 *   return `${event.at} ${event.type} ${event.tool ?? ''} ${event.outcome} ${event.paramsHash ?? ''}`;
 * }
 * ```
 */
export interface AuditEvent {
  /** Position in this chain, from 0. */
  seq: number;
  /** ISO 8601 time. */
  at: string;
  type: AuditEventType;
  /** `authorized`, `pending`, `approved`, `denied`, `expired`, `withdrawn`, `completed`, `failed`, or an error code. */
  outcome: string;
  /** Chain this event belongs to (one per service instance). */
  chain: string;
  transactionId?: string;
  approvalId?: string;
  userId?: string;
  tool?: string;
  tier?: Tier;
  paramsHash?: string;
  /** Amount counted against limits, e.g. `{ value: '30.00', currency: 'USD' }`. */
  amount?: { value: string; currency: string };
  /** Who decided an approval (on `approval.withdrawn`: the requester who withdrew it). */
  decidedBy?: string;
  /** Where the decision was taken: `console`, `chat`, `api` or `mcp`. */
  channel?: 'console' | 'chat' | 'api' | 'mcp';
  /** Short, secret-free explanation. */
  detail?: string;
  /**
   * Short, non-secret facts the tool or integration supplied (e.g. `cardLast4` of an
   * issued card), cleaned by `auditAttributes`.
   */
  attributes?: AuditAttributes;
  /** The merchant of a card event, as the card network names it (and its category). */
  merchant?: string;
  /** The client address of a refused caller, when the HTTP surface knows it. */
  source?: string;
  /**
   * On a refusal summary: how many more refusals of this code, user and source the
   * window held after the one written at its start.
   */
  count?: number;
  /** Hash of the previous event (64 zeros for the first). */
  prevHash: string;
  /** SHA-256 of the canonical form of this event without `hash`. */
  hash: string;
}

/**
 * Receives audit events, in order. `write` may be async; the engine awaits it for
 * RESTRICTED calls when the sink fails closed.
 *
 * @example
 * ```ts
 * import { memoryAuditSink } from '@handshake/core';
 *
 * const sink = memoryAuditSink();
 * ```
 */
export interface AuditSinkV1 {
  readonly specificationVersion: 'v1';
  write(event: AuditEvent): Awaitable<void>;
  close?(): Awaitable<void>;
}
