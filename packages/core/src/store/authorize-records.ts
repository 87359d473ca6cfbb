import type { LimitWindow } from '../limits/spending-limits.js';
import type { ApprovalRecord, TransactionRecord } from './records.js';
import type { AuthorizeOp, ReservationRequest } from './store-v1.js';

// The one place that says which limits an authorize's amount exceeds, and what a store
// keeps for it once it knows whether it reserved. Every store decides and builds its
// records here, so the engine reads the facts back from the store's answer instead of
// deriving them again.

/**
 * The limits a reservation would exceed, in the order the contract lists them: the
 * per-transaction limit, then each window whose use so far plus the amount is over its
 * limit. A store calls it inside its atomic step with what each window has used
 * (committed plus live reservations), and reserves only when it answers none.
 *
 * @example
 * ```ts
 * import { exceededLimits, type ReservationRequest } from '@handshake/core';
 * declare const request: ReservationRequest;
 * declare const usedMinor: (windowKey: string) => bigint; // committed plus live reservations
 *
 * const exceeded = exceededLimits(request, usedMinor); // e.g. ['daily']
 * const reserve = exceeded.length === 0;
 * ```
 */
export function exceededLimits(
  request: ReservationRequest,
  usedMinor: (windowKey: string) => bigint,
): LimitWindow[] {
  const exceeded: LimitWindow[] = [];
  if (
    request.perTransactionMinor !== undefined &&
    request.amountMinor > request.perTransactionMinor
  ) {
    exceeded.push('transaction');
  }
  for (const window of request.windows) {
    if (usedMinor(window.key) + request.amountMinor > window.limitMinor) {
      exceeded.push(window.window);
    }
  }
  return exceeded;
}

/**
 * The approval a store keeps for a pending authorize: `op.approval` with a
 * `{ kind: 'limit', window }` reason after the given ones for each limit exceeded, and
 * the reservation's id only when the store reserved the amount. A store returns this
 * record as the `approval` of its `pending` outcome.
 *
 * @example
 * ```ts
 * import { type AuthorizeOp, type AuthorizeOutcome, pendingApprovalRecord } from '@handshake/core';
 * declare const op: AuthorizeOp;
 *
 * // A store that found the daily limit exceeded, and so reserved nothing:
 * const approval = pendingApprovalRecord(op, { reserved: false, exceeded: ['daily'] });
 * const outcome: AuthorizeOutcome = { status: 'pending', reserved: false, exceeded: ['daily'], approval };
 * ```
 */
export function pendingApprovalRecord(
  op: AuthorizeOp,
  found: { reserved: boolean; exceeded: readonly LimitWindow[] },
): ApprovalRecord {
  return reservedOnly(
    {
      ...op.approval,
      reasons: [
        ...op.approval.reasons,
        ...found.exceeded.map((window) => ({ kind: 'limit' as const, window })),
      ],
    },
    op,
    found.reserved,
  );
}

/**
 * The token record a store keeps for an authorized call: `op.token.record`, with the
 * reservation's id only when the store reserved the amount.
 *
 * @example
 * ```ts
 * import { type AuthorizeOp, authorizedTokenRecord } from '@handshake/core';
 * declare const op: AuthorizeOp;
 *
 * const record = authorizedTokenRecord(op, { reserved: op.reservation !== undefined });
 * ```
 */
export function authorizedTokenRecord(
  op: AuthorizeOp,
  found: { reserved: boolean },
): TransactionRecord {
  return reservedOnly({ ...op.token.record }, op, found.reserved);
}

/** A record names a reservation only when one was made for it. */
function reservedOnly<T extends { reservationId?: string }>(
  record: T,
  op: AuthorizeOp,
  reserved: boolean,
): T {
  if (reserved && op.reservation) record.reservationId = op.reservation.reservationId;
  else delete record.reservationId;
  return record;
}
