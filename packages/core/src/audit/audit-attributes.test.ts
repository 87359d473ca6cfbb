import { describe, expect, it } from 'vitest';
import { auditAttributes } from './audit-attributes.js';

describe('auditAttributes', () => {
  it('keeps short string values under plain keys', () => {
    expect(auditAttributes({ cardLast4: '4242', merchant_ref: 'M-17' })).toEqual({
      cardLast4: '4242',
      merchant_ref: 'M-17',
    });
  });

  it('drops secrets by key and card numbers by value, alone or inside a text', () => {
    expect(
      auditAttributes({
        cardNumber: '4000',
        cvc: '123',
        apiToken: 'abc',
        pan: '4242424242424242',
        note: 'paid with 4242 4242 4242 4242',
        other: '4111111111111111',
        last4: '1111',
      }),
    ).toEqual({ last4: '1111' });
  });

  it('drops non-strings, empty and long values, odd keys, and keeps at most eight', () => {
    expect(
      auditAttributes({
        n: 4,
        empty: '',
        long: 'x'.repeat(65),
        'a b': 'spaced',
        ['k'.repeat(33)]: 'long key',
      }),
    ).toBeUndefined();
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, `v${i}`]));
    expect(Object.keys(auditAttributes(many) ?? {})).toHaveLength(8);
  });

  it('gives nothing for what is not a plain object', () => {
    expect(auditAttributes(undefined)).toBeUndefined();
    expect(auditAttributes('4242')).toBeUndefined();
    expect(auditAttributes(['4242'])).toBeUndefined();
  });
});
