/**
 * Count a card purchase at what the merchant captured: the part of the transaction's
 * reservation that the capture used stays counted, the rest is given back. Atomic and
 * once only per reservation: a repeated capture changes nothing.
 *
 * @example
 * ```ts
 * import type { CaptureReservationOp } from '@handshake/core';
 *
 * // A card of 30.00 USD was charged 24.00 USD: keep 24/30 of what was counted.
 * const op: CaptureReservationOp = {
 *   partition: '0123456789abcdef',
 *   reservationId: 'r_tx_1',
 *   now: Date.now(),
 *   share: { part: 2_400n, whole: 3_000n },
 * };
 * ```
 */
export interface CaptureReservationOp {
  partition: string;
  reservationId: string;
  now: number;
  /**
   * The share of the counted amount that stays counted, `part / whole` (rounded up to
   * a whole minor unit), e.g. the captured amount over the card's limit. A share
   * above 1 keeps the whole amount: a capture never counts more than was reserved.
   */
  share: { part: bigint; whole: bigint };
}

/**
 * The outcome of {@link CaptureReservationOp}: `captured` with what stays counted and what
 * was given back, `already_captured` when a capture was counted before (nothing
 * changed), `unknown` when the store holds no such reservation (never reserved, or
 * its windows have ended).
 *
 * @example
 * ```ts
 * import type { CaptureReservationOutcome } from '@handshake/core';
 * declare const outcome: CaptureReservationOutcome;
 *
 * if (outcome.status === 'captured') console.log(`gave back ${outcome.releasedMinor} minor units`);
 * ```
 */
export type CaptureReservationOutcome =
  | { status: 'captured'; keptMinor: bigint; releasedMinor: bigint }
  | { status: 'already_captured' }
  | { status: 'unknown' };

/**
 * The minor units of `amountMinor` that a share keeps: `amountMinor × part / whole`,
 * rounded up, and never more than `amountMinor` (so limits err on the side of counting).
 *
 * @example
 * ```ts
 * import { capturedShare } from '@handshake/core';
 *
 * capturedShare(3_000n, { part: 2_400n, whole: 3_000n }); // 2400n
 * capturedShare(1_000n, { part: 1n, whole: 3n }); // 334n: rounded up
 * ```
 */
export function capturedShare(amountMinor: bigint, share: { part: bigint; whole: bigint }): bigint {
  if (share.whole <= 0n || share.part < 0n) {
    throw new RangeError('share must have a positive whole and a part of at least zero');
  }
  if (share.part >= share.whole) return amountMinor;
  const product = amountMinor * share.part;
  return (product + share.whole - 1n) / share.whole;
}
