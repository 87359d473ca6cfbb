import { HandshakeError } from '@handshake/protocol';
import { describe, expect, it } from 'vitest';
import { testClock } from '../../test/fixtures.js';
import { luhnCheckDigit, luhnValid, simulatedCardIssuer } from './simulated-card-issuer.js';

const FIVE_MINUTES = 5 * 60 * 1000;

function setup() {
  const clock = testClock();
  const issuer = simulatedCardIssuer({ clock });
  let n = 0;
  const issue = (value = '30.00', currency = 'USD') =>
    issuer.issueCard({
      userId: 'alice',
      transactionId: `tx_${++n}`,
      merchantName: 'Example Books',
      spendingLimit: { value, currency },
    });
  return { clock, issuer, issue };
}

function refusal(run: () => unknown): HandshakeError {
  try {
    run();
  } catch (error) {
    if (HandshakeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('Luhn', () => {
  it('agrees with published test card numbers', () => {
    // Card-network test numbers published by payment processors.
    for (const number of ['4242424242424242', '4000056655665556', '5555555555554444']) {
      expect(luhnValid(number)).toBe(true);
      expect(luhnCheckDigit(number.slice(0, -1))).toBe(Number(number.slice(-1)));
    }
    expect(luhnValid('4242424242424241')).toBe(false);
  });
});

describe('simulatedCardIssuer', () => {
  it('issues Luhn-valid 16-digit test numbers with a CVC, expiry and a 5-minute lifetime', () => {
    const { clock, issue } = setup();
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const card = issue('12.50');
      expect(card.cardNumber).toMatch(/^40000000\d{8}$/);
      expect(luhnValid(card.cardNumber)).toBe(true);
      expect(card.cvc).toMatch(/^\d{3}$/);
      expect(card.last4).toBe(card.cardNumber.slice(-4));
      expect(card.expiresAt).toBe(clock.now() + FIVE_MINUTES);
      expect(card.expYear).toBe(2029);
      expect(card.expMonth).toBe(11);
      expect(card.spendingLimit).toEqual({ value: '12.50', currency: 'USD' });
      seen.add(card.cardNumber);
    }
    expect(seen.size).toBe(50);
  });

  it('issues one card per transaction', () => {
    const { issuer } = setup();
    const request = {
      userId: 'alice',
      transactionId: 'tx_same',
      merchantName: 'Example Books',
      spendingLimit: { value: '5.00', currency: 'USD' },
    };
    issuer.issueCard(request);
    const other = { ...request, merchantName: 'Other Books' };
    expect(refusal(() => issuer.issueCard(other)).code).toBe('PROVIDER_ERROR');
    expect(issuer.issuedCount).toBe(1);
  });

  it('accepts one charge within the limit, then refuses the card as used', () => {
    const { issuer, issue } = setup();
    const card = issue('30.00');
    const details = {
      cardNumber: card.cardNumber,
      cvc: card.cvc,
      expMonth: card.expMonth,
      expYear: card.expYear,
    };
    const over = refusal(() =>
      issuer.simulateCharge({ ...details, amount: { value: '30.01', currency: 'USD' } }),
    );
    expect(over.code).toBe('INSUFFICIENT_BALANCE');
    const charge = issuer.simulateCharge({ ...details, amount: { value: 29.99 } });
    expect(charge).toMatchObject({
      amount: { value: '29.99', currency: 'USD' },
      last4: card.last4,
      merchantName: 'Example Books',
      cardId: card.cardId,
    });
    expect(refusal(() => issuer.simulateCharge(details)).code).toBe('TOKEN_ALREADY_USED');
  });

  it('refuses a wrong CVC or expiry, an unknown card, another currency, and an expired card', () => {
    const { clock, issuer, issue } = setup();
    const card = issue();
    const details = {
      cardNumber: card.cardNumber,
      cvc: card.cvc,
      expMonth: card.expMonth,
      expYear: card.expYear,
    };
    const wrongCvc = String((Number(card.cvc) + 1) % 1000).padStart(3, '0');
    const errors = [
      refusal(() => issuer.simulateCharge({ ...details, cvc: wrongCvc })),
      refusal(() => issuer.simulateCharge({ ...details, expYear: card.expYear + 1 })),
      refusal(() => issuer.simulateCharge({ ...details, cardNumber: '4242424242424242' })),
      refusal(() => issuer.simulateCharge({ ...details, cardNumber: '4242424242424241' })),
      refusal(() =>
        issuer.simulateCharge({ ...details, amount: { value: '1.00', currency: 'EUR' } }),
      ),
    ];
    expect(errors.map((e) => e.code)).toEqual(Array(5).fill('VALIDATION_ERROR'));
    expect(errors[0]?.message).toMatch(/security code/);
    clock.advance(FIVE_MINUTES);
    expect(refusal(() => issuer.simulateCharge(details)).code).toBe('TOKEN_EXPIRED');
    for (const error of errors) {
      expect(error.message).not.toContain(card.cardNumber);
      expect(error.message).not.toContain(card.last4);
      expect(error.message).not.toMatch(new RegExp(`\\b(${card.cvc}|${wrongCvc})\\b`));
    }
  });

  it('declines another merchant and accepts the one the card was issued for', () => {
    const { issuer, issue } = setup();
    const card = issue();
    const details = {
      cardNumber: card.cardNumber,
      cvc: card.cvc,
      expMonth: card.expMonth,
      expYear: card.expYear,
    };
    const other = refusal(() =>
      issuer.simulateCharge({ ...details, merchant: { name: 'Other Shop' } }),
    );
    expect(other.message).toMatch(/locked to the merchant/);
    const charge = issuer.simulateCharge({ ...details, merchant: { name: 'Example Books' } });
    expect(charge.merchantName).toBe('Example Books');
  });

  it('blocks a card after three wrong CVCs, even for the right one', () => {
    const { issuer, issue } = setup();
    const card = issue();
    const details = {
      cardNumber: card.cardNumber,
      cvc: card.cvc,
      expMonth: card.expMonth,
      expYear: card.expYear,
    };
    const wrong = card.cvc === '000' ? '001' : '000';
    for (let i = 0; i < 3; i++) {
      expect(refusal(() => issuer.simulateCharge({ ...details, cvc: wrong })).message).toMatch(
        /security code/,
      );
    }
    expect(refusal(() => issuer.simulateCharge(details)).message).toMatch(/blocked/);
  });
});

describe('the transaction as idempotency key', () => {
  it('a retry of the same transaction gets the card issued then, and no second card', async () => {
    const { issuer } = setup();
    const request = {
      userId: 'alice',
      transactionId: 'tx_crash',
      merchantName: 'Example Books',
      spendingLimit: { value: '30.00', currency: 'USD' },
    };
    const first = await issuer.issueCard(request);
    const retry = await issuer.issueCard(request);
    expect(retry).toEqual(first);
    expect(issuer.issuedCount).toBe(1);
    // The card rebuilt for the retry is the card that works (once).
    const charge = () =>
      issuer.simulateCharge!({
        cardNumber: retry.cardNumber,
        cvc: retry.cvc,
        expMonth: retry.expMonth,
        expYear: retry.expYear,
        amount: { value: '30.00', currency: 'USD' },
        merchant: { name: 'Example Books' },
      });
    expect(await charge()).toMatchObject({ cardId: first.cardId, last4: first.last4 });
    // Another purchase under the same transaction is refused, not issued.
    const other = await Promise.resolve()
      .then(() =>
        issuer.issueCard({ ...request, spendingLimit: { value: '31.00', currency: 'USD' } }),
      )
      .catch((error: HandshakeError) => error);
    expect(other).toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(issuer.issuedCount).toBe(1);
  });
});
