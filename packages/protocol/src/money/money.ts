import { HandshakeError } from '../errors/handshake-error.js';
import { currencyExponent } from './currencies.js';

/**
 * Money on the wire: a decimal string and an ISO 4217 code.
 *
 * @example
 * ```ts
 * import type { Money } from '@handshake/protocol';
 *
 * const refund: Money = { value: '12.50', currency: 'EUR' };
 * ```
 */
export interface Money {
  value: string;
  currency: string;
}

/**
 * Options accepted by {@link parseMoney} and {@link toMinor}.
 *
 * @example
 * ```ts
 * import { type ParseMoneyOptions, parseMoney } from '@handshake/protocol';
 *
 * const refund: ParseMoneyOptions = { allowNegative: true };
 * parseMoney('-12.50', 'EUR', refund); // -1250n
 * ```
 */
export interface ParseMoneyOptions {
  /** Accept amounts below zero, e.g. for refunds or adjustments. Default `false`. */
  allowNegative?: boolean;
  /** Accept an amount of zero. Default `false`: paying nothing is usually a mistake. */
  allowZero?: boolean;
}

// Far beyond any real payment: a longer amount is a mistake or an attack, refused before it
// reaches arithmetic, a store or a provider.
const MAX_INTEGER_DIGITS = 18;

// IEEE 754 doubles hold every decimal of up to 15 significant digits exactly (DBL_DIG);
// beyond that, the number may not be the one its sender wrote.
const MAX_NUMBER_DIGITS = 15;

// Plain decimal notation only: no exponent, no '+', no spaces, no digit separators, no
// bare '.5' or '5.'.
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Converts a decimal amount to an integer number of the currency's minor units: `'12.34'`
 * USD is `1234n` cents, `'500'` JPY is `500n` yen.
 *
 * A string must be a plain decimal (`/^-?\d+(\.\d+)?$/`; leading zeros are fine) with no
 * more decimal places than the currency has (ISO 4217) and at most 18 integer digits. A
 * number is read through its shortest round-trip decimal form (`String(n)`), so `0.1` is
 * exactly 10 cents while `1.005` USD, `0.1 + 0.2` and `1e21` are refused; a number of more
 * than 15 significant digits is refused as well, since a double may not hold what its
 * sender wrote. Prefer strings on the wire.
 *
 * @throws {HandshakeError} `VALIDATION_ERROR` for anything else, and for negative or zero
 * amounts unless allowed. Messages may name the currency, never the amount.
 *
 * @example
 * ```ts
 * import { parseMoney } from '@handshake/protocol';
 *
 * parseMoney('12.34', 'USD'); // 1234n
 * parseMoney('12.3', 'USD'); // 1230n
 * parseMoney('1.500', 'BHD'); // 1500n
 * parseMoney(0.1, 'EUR'); // 10n
 * parseMoney('-5', 'USD', { allowNegative: true }); // -500n
 * parseMoney('1.5', 'JPY'); // throws: more decimal places than JPY allows (0)
 * ```
 */
export function parseMoney(
  value: string | number,
  currency: string,
  options: ParseMoneyOptions = {},
): bigint {
  const exponent = currencyExponent(currency);
  const text = typeof value === 'number' ? numberToDecimal(value) : value;
  if (typeof text !== 'string') {
    throw invalid('An amount must be a decimal string, like "12.34"');
  }
  const match = DECIMAL.exec(text);
  if (match === null) {
    throw invalid(
      'An amount must be written as a plain decimal, like "12.34": digits, an optional ' +
        'leading "-" and an optional fraction, without exponent, "+", spaces or separators',
    );
  }
  const [, sign = '', integer = '', fraction = ''] = match;
  if (integer.replace(/^0+/, '').length > MAX_INTEGER_DIGITS) {
    throw invalid(`The amount has more than ${MAX_INTEGER_DIGITS} integer digits`);
  }
  if (fraction.length > exponent) {
    throw invalid(`The amount has more decimal places than ${currency} allows (${exponent})`);
  }
  const magnitude = BigInt(integer + fraction.padEnd(exponent, '0'));
  const minor = sign === '-' ? -magnitude : magnitude;
  if (minor < 0n && options.allowNegative !== true) {
    throw invalid('The amount must not be negative');
  }
  if (minor === 0n && options.allowZero !== true) {
    throw invalid('The amount must not be zero');
  }
  return minor;
}

/**
 * Writes an amount of minor units as the decimal string of its currency, with exactly as
 * many decimal places as the currency has: `1234n` USD is `'12.34'`, `5n` USD `'0.05'`,
 * `500n` JPY `'500'`, `1500n` BHD `'1.500'`, `-250n` EUR `'-2.50'`.
 *
 * @throws {HandshakeError} `VALIDATION_ERROR` when `minor` is not a bigint or the currency
 * is unknown.
 *
 * @example
 * ```ts
 * import { formatMoney } from '@handshake/protocol';
 *
 * formatMoney(1234n, 'USD'); // '12.34'
 * formatMoney(500n, 'JPY'); // '500'
 * ```
 */
export function formatMoney(minor: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  if (typeof minor !== 'bigint') {
    throw invalid('An amount in minor units must be a bigint');
  }
  const sign = minor < 0n ? '-' : '';
  const digits = (minor < 0n ? -minor : minor).toString().padStart(exponent + 1, '0');
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * The amount of a {@link Money} in minor units of its currency; see {@link parseMoney}.
 *
 * @throws {HandshakeError} `VALIDATION_ERROR` as {@link parseMoney} does.
 *
 * @example
 * ```ts
 * import { toMinor } from '@handshake/protocol';
 *
 * toMinor({ value: '12.34', currency: 'USD' }); // 1234n
 * ```
 */
export function toMinor(money: Money, options?: ParseMoneyOptions): bigint {
  if (typeof money !== 'object' || money === null) {
    throw invalid('Money must be an object like { value: "12.34", currency: "USD" }');
  }
  return parseMoney(money.value, money.currency, options);
}

/**
 * The {@link Money} for an amount of minor units; see {@link formatMoney}.
 *
 * @throws {HandshakeError} `VALIDATION_ERROR` as {@link formatMoney} does.
 *
 * @example
 * ```ts
 * import { fromMinor } from '@handshake/protocol';
 *
 * fromMinor(1234n, 'USD'); // { value: '12.34', currency: 'USD' }
 * ```
 */
export function fromMinor(minor: bigint, currency: string): Money {
  return { value: formatMoney(minor, currency), currency };
}

/** The decimal a JSON number stands for, or a refusal when that is not certain. */
function numberToDecimal(value: number): string {
  if (!Number.isFinite(value)) {
    throw invalid('An amount must be a finite number');
  }
  // ECMAScript Number::toString gives the shortest decimal that reads back as `value`,
  // switching to exponent notation at 1e21 and below 1e-6.
  const text = String(value);
  if (/e/i.test(text)) {
    throw invalid('The amount is too large or too small for a JSON number; send a decimal string');
  }
  if (text.replace(/^-|\./g, '').replace(/^0+/, '').length > MAX_NUMBER_DIGITS) {
    throw invalid(
      `The amount has more than ${MAX_NUMBER_DIGITS} significant digits, more than a JSON ` +
        'number holds exactly; send a decimal string',
    );
  }
  return text;
}

function invalid(message: string): HandshakeError {
  return new HandshakeError('VALIDATION_ERROR', message);
}
