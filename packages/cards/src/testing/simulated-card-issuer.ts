import {
  type Clock,
  cryptoRandomSource,
  type RandomSource,
  systemClock,
  timingSafeEqualString,
} from '@handshake/core';
import {
  base64urlEncode,
  formatMoney,
  HandshakeError,
  parseMoney,
  sha256Hex,
} from '@handshake/protocol';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type {
  CardCharge,
  CardChargeRequest,
  CardIssueRequest,
  CardIssuerV1,
  IssuedCard,
} from '../card-issuer.js';

/**
 * Options of {@link simulatedCardIssuer}.
 *
 * @example
 * ```ts
 * import { simulatedCardIssuer, type SimulatedCardIssuerOptions } from '@handshake/cards/testing';
 *
 * let now = Date.parse('2026-03-02T10:00:00Z');
 * const options: SimulatedCardIssuerOptions = { clock: { now: () => now }, lifetimeMs: 60_000 };
 * const issuer = simulatedCardIssuer(options);
 * now += 61_000; // cards issued before now are past their lifetime
 * ```
 */
export interface SimulatedCardIssuerOptions {
  clock?: Clock;
  random?: RandomSource;
  /** How long a card works after it is issued (default 5 minutes). */
  lifetimeMs?: number;
  /** Wrong CVCs tolerated before the card is blocked (default 3). */
  maxCvcAttempts?: number;
  /** How long a card's record is kept after it stops working, for checkout answers (default 1 h). */
  retainMs?: number;
}

/**
 * A simulated issuer, with a view of what it holds for tests.
 *
 * @example
 * ```ts
 * import { type SimulatedCardIssuer, simulatedCardIssuer } from '@handshake/cards/testing';
 *
 * const issuer: SimulatedCardIssuer = simulatedCardIssuer();
 * issuer.issuedCount; // 0
 * ```
 */
export interface SimulatedCardIssuer extends CardIssuerV1 {
  issueCard(request: CardIssueRequest): IssuedCard;
  simulateCharge(request: CardChargeRequest): CardCharge;
  /** How many cards it has issued (all time). */
  readonly issuedCount: number;
}

interface CardRecord {
  cardId: string;
  transactionId: string;
  userId: string;
  /** Card numbers drawn from the transaction's stream until one was free. */
  draws: number;
  cvcDigest: string;
  expMonth: number;
  expYear: number;
  expiresAt: number;
  limitMinor: bigint;
  currency: string;
  merchantName: string;
  last4: string;
  used: boolean;
  cvcFailures: number;
}

// Visa's documented test range: these numbers pass the Luhn check but belong to no
// account, so a leaked simulated card is worth nothing.
const TEST_PREFIX = '40000000';
const CARD_LENGTH = 16;

/**
 * The Luhn check digit (ISO/IEC 7812-1 Annex B) for a number without it.
 *
 * @example
 * ```ts
 * import { luhnCheckDigit } from '@handshake/cards/testing';
 *
 * luhnCheckDigit('424242424242424'); // 2: 4242 4242 4242 4242 is valid
 * ```
 */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  let double = true;
  for (let i = payload.length - 1; i >= 0; i -= 1) {
    let d = payload.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * True when `digits` (digits only) passes the Luhn check.
 *
 * @example
 * ```ts
 * import { luhnValid } from '@handshake/cards/testing';
 *
 * luhnValid('4242424242424242'); // true
 * ```
 */
export function luhnValid(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  return luhnCheckDigit(digits.slice(0, -1)) === Number(digits.slice(-1));
}

/** `count` uniformly random decimal digits (rejection sampling: no modulo bias). */
function randomDigits(random: RandomSource, count: number): string {
  let out = '';
  while (out.length < count) {
    for (const byte of random(new Uint8Array(count * 2))) {
      if (byte < 250 && out.length < count) out += String(byte % 10);
    }
  }
  return out;
}

const cardKey = (cardNumber: string) => sha256Hex(`handshake:card:${cardNumber}`);

/**
 * A card issuer that runs in memory, for tests, demos and development. Cards are
 * 16-digit, Luhn-valid **test numbers** in Visa's test range (`4000 0000 …`, 7 random
 * digits and a check digit), with a random 3-digit CVC, a printed expiry three years
 * out, a spending limit equal to the approved amount and a 5-minute lifetime by the
 * injected clock. It remembers each card under a digest of its number, with the
 * CVC's digest, so `simulateCharge` (the mock checkout) can check a charge: card
 * known, CVC and expiry right, card not expired, not used before (single use), amount
 * within the limit. Three wrong CVCs block a card.
 *
 * @example
 * ```ts
 * import { simulatedCardIssuer } from '@handshake/cards/testing';
 *
 * const issuer = simulatedCardIssuer();
 * const card = await issuer.issueCard({
 *   userId: 'alice',
 *   transactionId: 'tx_1',
 *   merchantName: 'Example Books',
 *   spendingLimit: { value: '30.00', currency: 'USD' },
 * });
 * card.last4; // e.g. '4821'
 * ```
 */
export function simulatedCardIssuer(options: SimulatedCardIssuerOptions = {}): SimulatedCardIssuer {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? cryptoRandomSource;
  const lifetimeMs = options.lifetimeMs ?? 5 * 60 * 1000;
  const maxCvcAttempts = options.maxCvcAttempts ?? 3;
  const retainMs = options.retainMs ?? 60 * 60 * 1000;
  const cards = new Map<string, CardRecord>();
  /** Transaction id → the card's key in `cards`: the transaction is the idempotency key. */
  const byTransaction = new Map<string, string>();
  // A card's number, CVC and id come from a stream keyed by its transaction, so a retry
  // of the same transaction rebuilds the same card without the issuer keeping either.
  const secret = random(new Uint8Array(32));
  const streamOf = (transactionId: string): RandomSource => {
    let block = 0;
    let pool = new Uint8Array(0);
    let at = 0;
    return (bytes) => {
      for (let i = 0; i < bytes.length; i += 1) {
        if (at >= pool.length) {
          pool = hmac(sha256, secret, utf8ToBytes(`card:${transactionId}:${block}`));
          block += 1;
          at = 0;
        }
        bytes[i] = pool[at] as number;
        at += 1;
      }
      return bytes;
    };
  };
  const drawNumber = (stream: RandomSource) => {
    const payload = TEST_PREFIX + randomDigits(stream, CARD_LENGTH - TEST_PREFIX.length - 1);
    return payload + String(luhnCheckDigit(payload));
  };
  const issuedCard = (card: CardRecord, cardNumber: string, cvc: string): IssuedCard => ({
    cardId: card.cardId,
    cardNumber,
    cvc,
    expMonth: card.expMonth,
    expYear: card.expYear,
    expiresAt: card.expiresAt,
    spendingLimit: { value: formatMoney(card.limitMinor, card.currency), currency: card.currency },
    last4: card.last4,
    brand: 'visa',
  });
  /** The card issued earlier for this transaction, rebuilt from its stream. */
  const reissue = (card: CardRecord): IssuedCard => {
    const stream = streamOf(card.transactionId);
    let cardNumber = '';
    for (let i = 0; i < card.draws; i += 1) cardNumber = drawNumber(stream);
    return issuedCard(card, cardNumber, randomDigits(stream, 3));
  };
  let issued = 0;

  const sweep = (now: number) => {
    for (const [key, card] of cards) {
      if (card.expiresAt + retainMs <= now) {
        cards.delete(key);
        byTransaction.delete(card.transactionId);
      }
    }
  };

  const issueCard = (request: CardIssueRequest): IssuedCard => {
    const now = clock.now();
    sweep(now);
    const limitMinor = parseMoney(request.spendingLimit.value, request.spendingLimit.currency);
    const earlier = byTransaction.get(request.transactionId);
    const previous = earlier === undefined ? undefined : cards.get(earlier);
    if (previous) {
      // A retry of the same transaction (after a crash, say) gets the card issued then.
      if (
        previous.userId !== request.userId ||
        previous.merchantName !== request.merchantName ||
        previous.limitMinor !== limitMinor ||
        previous.currency !== request.spendingLimit.currency
      ) {
        throw new HandshakeError(
          'PROVIDER_ERROR',
          'A card was already issued for this transaction, on other terms',
        );
      }
      return reissue(previous);
    }
    const stream = streamOf(request.transactionId);
    let cardNumber: string;
    let draws = 0;
    do {
      cardNumber = drawNumber(stream);
      draws += 1;
    } while (cards.has(cardKey(cardNumber)));
    const cvc = randomDigits(stream, 3);
    const printed = new Date(now);
    const card: CardRecord = {
      cardId: `card_${base64urlEncode(random(new Uint8Array(12)))}`,
      transactionId: request.transactionId,
      userId: request.userId,
      draws,
      cvcDigest: '',
      expMonth: printed.getUTCMonth() + 1,
      expYear: printed.getUTCFullYear() + 3,
      expiresAt: now + lifetimeMs,
      limitMinor,
      currency: request.spendingLimit.currency,
      merchantName: request.merchantName,
      last4: cardNumber.slice(-4),
      used: false,
      cvcFailures: 0,
    };
    card.cvcDigest = sha256Hex(`handshake:cvc:${card.cardId}:${cvc}`);
    cards.set(cardKey(cardNumber), card);
    byTransaction.set(request.transactionId, cardKey(cardNumber));
    issued += 1;
    return issuedCard(card, cardNumber, cvc);
  };

  const simulateCharge = (request: CardChargeRequest): CardCharge => {
    const now = clock.now();
    const declined = (message: string) => new HandshakeError('VALIDATION_ERROR', message);
    const number =
      typeof request.cardNumber === 'string' ? request.cardNumber.replace(/[ -]/g, '') : '';
    if (!/^\d{12,19}$/.test(number) || !luhnValid(number)) {
      throw declined('The card number is not a valid card number');
    }
    const card = cards.get(cardKey(number));
    if (!card) throw declined('The card was declined: it was not issued by this issuer');
    if (card.cvcFailures >= maxCvcAttempts) {
      throw declined('The card was declined: it is blocked after too many wrong security codes');
    }
    const cvcDigest = sha256Hex(`handshake:cvc:${card.cardId}:${String(request.cvc)}`);
    if (!timingSafeEqualString(cvcDigest, card.cvcDigest)) {
      card.cvcFailures += 1;
      throw declined('The card was declined: the security code (CVC) does not match');
    }
    if (Number(request.expMonth) !== card.expMonth || Number(request.expYear) !== card.expYear) {
      throw declined('The card was declined: the expiry date does not match');
    }
    if (request.merchant !== undefined && request.merchant.name !== card.merchantName) {
      throw declined('The card was declined: it is locked to the merchant it was issued for');
    }
    if (card.used) {
      throw new HandshakeError('TOKEN_ALREADY_USED', 'The card was declined: it was already used');
    }
    if (now >= card.expiresAt) {
      throw new HandshakeError('TOKEN_EXPIRED', 'The card was declined: it has expired');
    }
    let amountMinor = card.limitMinor;
    if (request.amount) {
      if (request.amount.currency !== undefined && request.amount.currency !== card.currency) {
        throw declined(`The card was declined: it can only be charged in ${card.currency}`);
      }
      amountMinor = parseMoney(request.amount.value, card.currency);
      if (amountMinor > card.limitMinor) {
        throw new HandshakeError(
          'INSUFFICIENT_BALANCE',
          'The card was declined: the amount exceeds its spending limit',
        );
      }
    }
    // Single use: marked in the same synchronous step that checked it.
    card.used = true;
    return {
      chargeId: `ch_${base64urlEncode(random(new Uint8Array(12)))}`,
      cardId: card.cardId,
      last4: card.last4,
      brand: 'visa',
      amount: { value: formatMoney(amountMinor, card.currency), currency: card.currency },
      merchantName: card.merchantName,
      authorizationCode: randomDigits(random, 6),
      chargedAt: now,
    };
  };

  return {
    specificationVersion: 'v1',
    issueCard,
    simulateCharge,
    get issuedCount() {
      return issued;
    },
  };
}
