import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HandshakeError } from '../errors/handshake-error.js';
import { CURRENCY_CODES, currencyExponent } from './currencies.js';
import { formatMoney, fromMinor, type Money, parseMoney, toMinor } from './money.js';

function refusal(run: () => unknown): HandshakeError {
  try {
    run();
  } catch (error) {
    expect(HandshakeError.isInstance(error)).toBe(true);
    expect((error as HandshakeError).code).toBe('VALIDATION_ERROR');
    return error as HandshakeError;
  }
  throw new Error('expected a VALIDATION_ERROR, nothing was thrown');
}

describe('parseMoney', () => {
  it.each([
    ['12.34', 'USD', 1234n],
    ['12.3', 'USD', 1230n],
    ['12', 'USD', 1200n],
    ['0.5', 'USD', 50n],
    ['0.01', 'USD', 1n],
    ['007.5', 'USD', 750n],
    ['999999999999999999.99', 'USD', 99999999999999999999n],
    ['000000000000000000001', 'USD', 100n],
    ['500', 'JPY', 500n],
    ['1.5', 'BHD', 1500n],
    ['1.500', 'BHD', 1500n],
    ['0.001', 'KWD', 1n],
    ['1.2345', 'CLF', 12345n],
  ] as const)('%s %s is %s minor units', (value, currency, minor) => {
    expect(parseMoney(value, currency)).toBe(minor);
  });

  it.each([
    [0.1, 'USD', 10n],
    [12.34, 'USD', 1234n],
    [12, 'USD', 1200n],
    [1.1, 'USD', 110n],
    [19.99, 'EUR', 1999n],
    [500, 'JPY', 500n],
    [0.001, 'BHD', 1n],
    [123456789012.34, 'USD', 12345678901234n],
  ] as const)('the JSON number %s %s is exactly %s minor units', (value, currency, minor) => {
    expect(parseMoney(value, currency)).toBe(minor);
  });

  it('accepts negative amounts and zero only when allowed', () => {
    expect(parseMoney('-12.34', 'USD', { allowNegative: true })).toBe(-1234n);
    expect(parseMoney(-0.5, 'USD', { allowNegative: true })).toBe(-50n);
    expect(parseMoney('0', 'USD', { allowZero: true })).toBe(0n);
    expect(parseMoney('0.00', 'USD', { allowZero: true })).toBe(0n);
    expect(parseMoney('-0', 'USD', { allowZero: true })).toBe(0n);
    expect(parseMoney(-0, 'USD', { allowZero: true })).toBe(0n);
    expect(refusal(() => parseMoney('-12.34', 'USD')).message).toMatch(/negative/);
    expect(refusal(() => parseMoney('-1', 'USD', { allowZero: true })).message).toMatch(/negative/);
    expect(refusal(() => parseMoney('0', 'USD')).message).toMatch(/zero/);
    expect(refusal(() => parseMoney('0.00', 'USD', { allowNegative: true })).message).toMatch(
      /zero/,
    );
  });

  it.each([
    ['three decimals in USD', '1.234', 'USD', /more decimal places than USD allows \(2\)/],
    ['a trailing zero beyond USD cents', '1.230', 'USD', /USD allows \(2\)/],
    ['decimals in JPY', '1.5', 'JPY', /more decimal places than JPY allows \(0\)/],
    ['a zero decimal in JPY', '500.0', 'JPY', /JPY allows \(0\)/],
    ['four decimals in BHD', '1.0001', 'BHD', /BHD allows \(3\)/],
    ['exponent notation', '1e3', 'USD', /plain decimal/],
    ['a leading +', '+5', 'USD', /plain decimal/],
    ['a leading space', ' 5', 'USD', /plain decimal/],
    ['a trailing space', '5 ', 'USD', /plain decimal/],
    ['a thousands separator', '1,000.00', 'USD', /plain decimal/],
    ['a decimal comma', '12,34', 'USD', /plain decimal/],
    ['a bare fraction', '.5', 'USD', /plain decimal/],
    ['a bare point', '5.', 'USD', /plain decimal/],
    ['a currency symbol', '$5', 'USD', /plain decimal/],
    ['letters', 'twelve', 'USD', /plain decimal/],
    ['the empty string', '', 'USD', /plain decimal/],
    ['a lone minus', '-', 'USD', /plain decimal/],
    ['a double minus', '--5', 'USD', /plain decimal/],
    ['non-ASCII digits', '١٢', 'USD', /plain decimal/],
    ['Infinity', 'Infinity', 'USD', /plain decimal/],
    ['NaN', 'NaN', 'USD', /plain decimal/],
    ['hexadecimal', '0x10', 'USD', /plain decimal/],
    ['19 integer digits', '1000000000000000000', 'USD', /more than 18 integer digits/],
    ['a huge amount', '9'.repeat(400), 'USD', /more than 18 integer digits/],
    ['a lowercase currency', '1.00', 'usd', /three-letter uppercase/],
    ['an unknown currency', '1.00', 'ABC', /Unknown ISO 4217 currency ABC/],
  ] as const)('refuses %s', (_, value, currency, message) => {
    const error = refusal(() => parseMoney(value, currency));
    expect(error.message).toMatch(message);
    if (value.length > 1) expect(error.message).not.toContain(value);
  });

  it.each([
    ['1.005 in USD (three decimals)', 1.005, /USD allows \(2\)/],
    ['0.1 + 0.2', 0.1 + 0.2, /significant digits|decimal places/],
    ['1e21', 1e21, /decimal string/],
    ['1e-7', 1e-7, /decimal string/],
    ['NaN', Number.NaN, /finite/],
    ['Infinity', Number.POSITIVE_INFINITY, /finite/],
    ['-Infinity', Number.NEGATIVE_INFINITY, /finite/],
    ['2^53 + 1, which a double cannot hold', JSON.parse('9007199254740993'), /significant digits/],
    ['16 significant digits', 1234567890123.456, /significant digits/],
  ] as const)('refuses the JSON number %s', (_, value, message) => {
    expect(refusal(() => parseMoney(value, 'USD', { allowNegative: true })).message).toMatch(
      message,
    );
  });

  it('refuses what is neither a string nor a number', () => {
    for (const value of [null, undefined, 12n, ['1'], { value: '1' }, true]) {
      refusal(() => parseMoney(value as unknown as string, 'USD'));
    }
  });
});

describe('formatMoney', () => {
  it.each([
    [1234n, 'USD', '12.34'],
    [5n, 'USD', '0.05'],
    [50n, 'USD', '0.50'],
    [0n, 'USD', '0.00'],
    [-250n, 'EUR', '-2.50'],
    [-5n, 'USD', '-0.05'],
    [500n, 'JPY', '500'],
    [-500n, 'JPY', '-500'],
    [0n, 'JPY', '0'],
    [1500n, 'BHD', '1.500'],
    [1n, 'KWD', '0.001'],
    [12345n, 'CLF', '1.2345'],
    [99999999999999999999n, 'USD', '999999999999999999.99'],
  ] as const)('%s %s is %s', (minor, currency, text) => {
    expect(formatMoney(minor, currency)).toBe(text);
  });

  it('refuses what is not a bigint, and unknown currencies', () => {
    refusal(() => formatMoney(1234 as unknown as bigint, 'USD'));
    refusal(() => formatMoney(1234n, 'XAU'));
  });

  it('round-trips through parseMoney with exactly the currency decimals', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.constantFrom(...CURRENCY_CODES),
        (minor, currency) => {
          const text = formatMoney(minor, currency);
          const exponent = currencyExponent(currency);
          expect(text).toMatch(
            exponent === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${exponent}}$`),
          );
          expect(parseMoney(text, currency, { allowNegative: true, allowZero: true })).toBe(minor);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('reads back any decimal string parseMoney accepts', () => {
    const decimal = fc
      .tuple(
        fc.constantFrom('', '-'),
        fc.stringMatching(/^\d{1,18}$/),
        fc.constantFrom(...CURRENCY_CODES),
        fc.nat({ max: 4 }),
      )
      .chain(([sign, integer, currency, decimals]) =>
        fc
          .stringMatching(new RegExp(`^\\d{${Math.min(decimals, currencyExponent(currency))}}$`))
          .map((fraction) => ({
            text: sign + integer + (fraction ? `.${fraction}` : ''),
            currency,
          })),
      );
    fc.assert(
      fc.property(decimal, ({ text, currency }) => {
        const minor = parseMoney(text, currency, { allowNegative: true, allowZero: true });
        const back = formatMoney(minor, currency);
        // Equal as numbers: only leading zeros, trailing zeros and "-0" may differ.
        expect(parseMoney(back, currency, { allowNegative: true, allowZero: true })).toBe(minor);
        expect(Number(back)).toBe(Number(text) === 0 ? 0 : Number(text));
      }),
    );
  });
});

describe('Money', () => {
  it('converts to and from minor units', () => {
    const money: Money = { value: '12.34', currency: 'USD' };
    expect(toMinor(money)).toBe(1234n);
    expect(fromMinor(1234n, 'USD')).toEqual(money);
    expect(fromMinor(toMinor({ value: '7', currency: 'JPY' }), 'JPY')).toEqual({
      value: '7',
      currency: 'JPY',
    });
    expect(toMinor({ value: '-1.00', currency: 'EUR' }, { allowNegative: true })).toBe(-100n);
  });

  it('refuses malformed money', () => {
    refusal(() => toMinor({ value: '1.234', currency: 'USD' }));
    refusal(() => toMinor({ value: '0', currency: 'USD' }));
    refusal(() => toMinor(null as unknown as Money));
    refusal(() => toMinor({ value: '1.00' } as unknown as Money));
    refusal(() => fromMinor(1n, 'usd'));
  });
});
