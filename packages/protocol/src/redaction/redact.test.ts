import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasSensitive, redactSensitive } from './redact.js';

/** The definition hasSensitive answers: the redacted copy differs from the value as JSON. */
const byDefinition = (value: unknown) =>
  JSON.stringify(redactSensitive(value)) !== JSON.stringify(value);

const CARD = '4242424242424242';

describe('hasSensitive', () => {
  it('answers false for data with nothing to hide, copying nothing', () => {
    expect(hasSensitive({ id: 'O-1', amount: { value: '25.00' }, items: [1, 'two', null] })).toBe(
      false,
    );
    expect(hasSensitive('1234567890123')).toBe(false); // 13 digits, not Luhn-valid
    expect(hasSensitive(undefined)).toBe(false);
    expect(hasSensitive({ note: undefined, n: Number.NaN })).toBe(false);
  });

  it('finds a sensitive member at any depth the redaction reaches', () => {
    expect(hasSensitive({ card: { cvc: '123' } })).toBe(true);
    expect(hasSensitive([{ ok: 1 }, { access_token: 'x' }])).toBe(true);
    expect(hasSensitive({ password: undefined })).toBe(true); // the copy names it
    expect(hasSensitive({ secret: '[redacted]' })).toBe(false); // already hidden
  });

  it('finds card numbers, whole or inside a text', () => {
    expect(hasSensitive(CARD)).toBe(true);
    expect(hasSensitive({ note: `refund to 4242 4242 4242 4242 today` })).toBe(true);
    expect(hasSensitive({ note: '4242--4242--4242--4242' })).toBe(true); // whole string only
    expect(hasSensitive({ note: '4242 4242 4242 4241' })).toBe(false);
  });

  it('answers anything not plain data by comparing the copies, as before', () => {
    expect(hasSensitive(new Date(0))).toBe(byDefinition(new Date(0)));
    expect(hasSensitive({ at: new Date(0) })).toBe(true);
    class Box {
      constructor(readonly inner: string) {}
    }
    expect(hasSensitive(new Box('x'))).toBe(false);
    expect(hasSensitive({ token: { toJSON: () => '[redacted]' } })).toBe(false);
    expect(() => hasSensitive({ big: 1n })).toThrow(TypeError);
    let deep: unknown = 1;
    for (let i = 0; i < 70; i += 1) deep = { d: deep };
    expect(hasSensitive(deep)).toBe(true);
    const free = Object.assign(Object.create(null), { cvv: '1' });
    expect(hasSensitive(free)).toBe(true);
  });

  it('agrees with its definition on arbitrary JSON with card numbers and sensitive names', () => {
    const text = fc.oneof(
      fc.string(),
      fc.constantFrom(
        CARD,
        '4242 4242 4242 4242',
        `x ${CARD} y`,
        '[redacted]',
        '4111-1111-1111-1111',
      ),
    );
    const key = fc.oneof(
      fc.string(),
      fc.constantFrom('cardNumber', 'pan', 'cvc', 'security_code', 'apiToken', 'note', '0', '1'),
    );
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        text,
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
        fc.array(tie('value')),
        fc.dictionary(key, tie('value')),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => hasSensitive(v) === byDefinition(v)),
      { numRuns: 2000 },
    );
  });
});
