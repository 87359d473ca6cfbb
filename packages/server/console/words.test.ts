import { describe, expect, it } from 'vitest';
import { amountInWords, describeAmount, groupDigits, integerToWords } from './words.js';

describe('integerToWords', () => {
  it.each([
    ['0', 'zero'],
    ['7', 'seven'],
    ['13', 'thirteen'],
    ['20', 'twenty'],
    ['21', 'twenty-one'],
    ['99', 'ninety-nine'],
    ['100', 'one hundred'],
    ['105', 'one hundred five'],
    ['110', 'one hundred ten'],
    ['999', 'nine hundred ninety-nine'],
    ['1000', 'one thousand'],
    ['1001', 'one thousand one'],
    ['1205', 'one thousand two hundred five'],
    ['12500', 'twelve thousand five hundred'],
    ['1000000', 'one million'],
    ['2000017', 'two million seventeen'],
    ['1000000000', 'one billion'],
    ['007', 'seven'],
    [
      '999999999999999999',
      'nine hundred ninety-nine quadrillion nine hundred ninety-nine trillion nine hundred ninety-nine billion nine hundred ninety-nine million nine hundred ninety-nine thousand nine hundred ninety-nine',
    ],
  ])('%s is "%s"', (digits, words) => {
    expect(integerToWords(digits)).toBe(words);
  });

  it('refuses what is not a whole number', () => {
    expect(() => integerToWords('1.5')).toThrow(TypeError);
    expect(() => integerToWords('-1')).toThrow(TypeError);
    expect(() => integerToWords('')).toThrow(TypeError);
    expect(() => integerToWords('1'.repeat(30))).toThrow(RangeError);
  });
});

describe('amountInWords', () => {
  it.each([
    ['25.00', 'USD', 'twenty-five US dollars and zero cents'],
    ['1.01', 'USD', 'one US dollar and one cent'],
    ['0.99', 'USD', 'zero US dollars and ninety-nine cents'],
    ['1250.50', 'USD', 'one thousand two hundred fifty US dollars and fifty cents'],
    ['1.00', 'EUR', 'one euro and zero cents'],
    ['12.01', 'GBP', 'twelve pounds sterling and one penny'],
    ['12.02', 'GBP', 'twelve pounds sterling and two pence'],
    ['1500', 'JPY', 'one thousand five hundred yen'],
    ['1.000', 'KWD', 'one Kuwaiti dinar and zero fils'],
    ['2.5', 'USD', 'two US dollars and fifty cents'],
    ['-3.00', 'USD', 'minus three US dollars and zero cents'],
    ['-0.00', 'USD', 'zero US dollars and zero cents'],
    // Currencies without a name here are read with their code.
    ['12.50', 'CZK', 'twelve CZK and fifty hundredths'],
    ['12.01', 'CZK', 'twelve CZK and one hundredth'],
    ['12.00', 'CZK', 'twelve CZK'],
    ['7', 'CLF', 'seven CLF'],
    ['7.0001', 'CLF', 'seven CLF and one ten-thousandth'],
    // More digits than the currency has: read them all rather than drop any.
    ['1.005', 'USD', 'one USD and five thousandths'],
  ])('%s %s is "%s"', (value, currency, words) => {
    expect(amountInWords(value, currency)).toBe(words);
  });

  it('refuses what is not a decimal string', () => {
    expect(() => amountInWords('1e3', 'USD')).toThrow(TypeError);
    expect(() => amountInWords('12,50', 'EUR')).toThrow(TypeError);
  });
});

describe('describeAmount', () => {
  it('puts digits and words side by side', () => {
    expect(describeAmount({ value: '25.00', currency: 'USD' })).toEqual({
      digits: '25.00 USD',
      words: 'twenty-five US dollars and zero cents',
      text: '25.00 USD — twenty-five US dollars and zero cents',
    });
  });

  it('groups thousands in the digits', () => {
    expect(groupDigits('1234567.89')).toBe('1,234,567.89');
    expect(groupDigits('-1000')).toBe('-1,000');
    expect(groupDigits('999.99')).toBe('999.99');
    expect(describeAmount({ value: '12500.00', currency: 'EUR' }).text).toBe(
      '12,500.00 EUR — twelve thousand five hundred euros and zero cents',
    );
  });

  it('still shows the digits when the value cannot be read out', () => {
    expect(describeAmount({ value: 'n/a', currency: 'USD' })).toEqual({
      digits: 'n/a USD',
      words: '',
      text: 'n/a USD',
    });
  });
});
