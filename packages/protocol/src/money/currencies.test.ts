import { describe, expect, it } from 'vitest';
import { HandshakeError } from '../errors/handshake-error.js';
import { CURRENCY_CODES, currencyExponent, isCurrency } from './currencies.js';

describe('currencyExponent', () => {
  it.each([
    // ISO 4217 minor units, including the ones often gotten wrong.
    ['USD', 2],
    ['EUR', 2],
    ['GBP', 2],
    ['HUF', 2],
    ['TWD', 2],
    ['INR', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['VND', 0],
    ['CLP', 0],
    ['ISK', 0],
    ['XOF', 0],
    ['BHD', 3],
    ['IQD', 3],
    ['JOD', 3],
    ['KWD', 3],
    ['LYD', 3],
    ['OMR', 3],
    ['TND', 3],
    ['CLF', 4],
    ['UYW', 4],
    ['VED', 2],
    ['ZWG', 2],
    ['XCG', 2],
  ] as const)('%s has %i decimals', (code, exponent) => {
    expect(currencyExponent(code)).toBe(exponent);
    expect(isCurrency(code)).toBe(true);
  });

  it.each([
    ['lowercase', 'usd'],
    ['two letters', 'US'],
    ['four letters', 'USDT'],
    ['digits', '840'],
    ['padding', ' USD'],
    ['empty', ''],
    ['a withdrawn code', 'HRK'],
    ['a code without minor unit (gold)', 'XAU'],
    ['the no-currency code', 'XXX'],
    ['an unassigned code', 'ABC'],
  ])('refuses %s', (_, code) => {
    expect(isCurrency(code)).toBe(false);
    expect(() => currencyExponent(code)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_ERROR' }),
    );
  });

  it('refuses what is not a string', () => {
    expect(isCurrency(840)).toBe(false);
    expect(() => currencyExponent(null as unknown as string)).toThrow(HandshakeError);
  });

  it('names a well-formed unknown code, but does not echo malformed input', () => {
    expect(() => currencyExponent('ABC')).toThrow(/ABC/);
    expect(() => currencyExponent('<script>')).not.toThrow(/script/);
  });

  it('is not fooled by Object.prototype', () => {
    expect(isCurrency('constructor')).toBe(false);
    expect(isCurrency('__proto__')).toBe(false);
  });
});

describe('CURRENCY_CODES', () => {
  it('lists the active ISO 4217 codes with a minor unit, sorted and unique', () => {
    expect(CURRENCY_CODES).toHaveLength(167);
    expect(new Set(CURRENCY_CODES).size).toBe(CURRENCY_CODES.length);
    expect([...CURRENCY_CODES].sort()).toEqual(CURRENCY_CODES);
    for (const code of CURRENCY_CODES) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3, 4]).toContain(currencyExponent(code));
    }
  });

  it('cannot be changed', () => {
    expect(Object.isFrozen(CURRENCY_CODES)).toBe(true);
  });
});
