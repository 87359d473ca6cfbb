import { HandshakeError } from '../errors/handshake-error.js';

// ISO 4217 List One, column "Minor unit", as published 2024-06-25, plus XCG (Caribbean
// guilder, in circulation since 2025-03-31; ANG is kept while it is withdrawn). Codes
// whose minor unit is "N.A." (gold, silver, XDR, XXX, XTS, ...) are left out: an amount in
// them cannot be written in minor units.
const CODES_BY_EXPONENT: ReadonlyArray<readonly [exponent: number, codes: string]> = [
  [0, 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF'],
  [
    2,
    [
      'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP',
      'BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR',
      'FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW',
      'KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN',
      'NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD',
      'SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS',
      'VED VES WST XCD XCG YER ZAR ZMW ZWG',
    ].join(' '),
  ],
  [3, 'BHD IQD JOD KWD LYD OMR TND'],
  [4, 'CLF UYW'],
];

const EXPONENTS: ReadonlyMap<string, number> = new Map(
  CODES_BY_EXPONENT.flatMap(([exponent, codes]) =>
    codes.split(' ').map((code) => [code, exponent] as const),
  ),
);

/**
 * Every currency code Handshake accepts, sorted: the active ISO 4217 codes that have a
 * minor unit.
 *
 * @example
 * ```ts
 * import { CURRENCY_CODES } from '@handshake/protocol';
 *
 * CURRENCY_CODES.includes('EUR'); // true
 * ```
 */
export const CURRENCY_CODES: readonly string[] = Object.freeze([...EXPONENTS.keys()].sort());

/**
 * True when `code` is an ISO 4217 code that {@link currencyExponent} knows: exactly three
 * uppercase letters, listed in ISO 4217 with a minor unit.
 *
 * @example
 * ```ts
 * import { isCurrency } from '@handshake/protocol';
 *
 * isCurrency('USD'); // true
 * isCurrency('usd'); // false: codes are uppercase
 * isCurrency('XAU'); // false: gold has no minor unit
 * ```
 */
export function isCurrency(code: unknown): code is string {
  return typeof code === 'string' && EXPONENTS.has(code);
}

/**
 * The number of decimal places of a currency's minor unit, per ISO 4217: 2 for USD (cents),
 * 0 for JPY, 3 for KWD, 4 for CLF. An amount in minor units is the amount times
 * 10^exponent.
 *
 * The exponents are ISO's, which are not always what a payment provider accepts: ISO gives
 * HUF and TWD 2 decimals, for example, and ISK 0.
 *
 * @throws {HandshakeError} `VALIDATION_ERROR` when `code` is not three uppercase letters,
 * or is not an ISO 4217 currency with a minor unit.
 *
 * @example
 * ```ts
 * import { currencyExponent } from '@handshake/protocol';
 *
 * currencyExponent('USD'); // 2
 * currencyExponent('JPY'); // 0
 * currencyExponent('BHD'); // 3
 * ```
 */
export function currencyExponent(code: string): number {
  if (typeof code !== 'string' || !/^[A-Z]{3}$/.test(code)) {
    throw new HandshakeError(
      'VALIDATION_ERROR',
      'A currency must be a three-letter uppercase ISO 4217 code, like USD',
    );
  }
  const exponent = EXPONENTS.get(code);
  if (exponent === undefined) {
    throw new HandshakeError('VALIDATION_ERROR', `Unknown ISO 4217 currency ${code}`);
  }
  return exponent;
}
