import { type Money, parseMoney } from '@handshake/protocol';
import type { TransactionRecord } from './records.js';

/**
 * The amount a transaction record was authorized for, as one comparable string: the
 * currency and the minor units of the amount the tool declared (before any conversion
 * to the limits' currency), e.g. `USD 1250`; `''` when the record carries no amount.
 * Stores compare it with `ConsumeOp.expect.amount`, which the engine writes with
 * {@link moneyBinding} from the amount the tool declares at execute.
 *
 * @example
 * ```ts
 * import { amountBinding } from '@handshake/core';
 *
 * amountBinding({ amountMinor: '1250', currency: 'USD' }); // 'USD 1250'
 * amountBinding({
 *   amountMinor: '1100',
 *   currency: 'USD',
 *   originalAmount: { value: '10.00', currency: 'EUR' },
 * }); // 'EUR 1000'
 * amountBinding({}); // ''
 * ```
 */
export function amountBinding(
  record: Pick<TransactionRecord, 'amountMinor' | 'currency' | 'originalAmount'>,
): string {
  if (record.originalAmount) return moneyBinding(record.originalAmount);
  if (record.amountMinor !== undefined && record.currency !== undefined) {
    return `${record.currency} ${record.amountMinor}`;
  }
  return '';
}

/**
 * The binding string of an amount a tool declares (see {@link amountBinding}); `''` for
 * none. `10`, `10.0` and `10.00` USD bind alike.
 *
 * @example
 * ```ts
 * import { moneyBinding } from '@handshake/core';
 *
 * moneyBinding({ value: '12.5', currency: 'USD' }); // 'USD 1250'
 * moneyBinding(undefined); // ''
 * ```
 */
export function moneyBinding(money: Money | undefined): string {
  if (!money) return '';
  return `${money.currency} ${parseMoney(money.value, money.currency, { allowZero: true })}`;
}
