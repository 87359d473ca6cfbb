import { HandshakeError, isCurrency } from '@handshake/protocol';
import { type Clock, systemClock } from '../types/common.js';
import { UnsupportedSpecificationVersionError } from '../types/specification-version.js';
import type { ExchangeRate, ExchangeRateProviderV1 } from './spending-limits.js';

/** A positive decimal rate, as `convertMinor` accepts it (at most 12 digits either side). */
const RATE = /^(\d{1,12})(?:\.(\d{1,12}))?$/;

/** Decimal places of rates the simulated provider derives (inverse and cross rates). */
const DERIVED_PLACES = 6;

/** A decimal as an integer numerator over a power of ten. */
interface Decimal {
  digits: bigint;
  scale: number;
}

function parseRate(rate: string): Decimal | undefined {
  const match = typeof rate === 'string' ? RATE.exec(rate) : null;
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  const digits = BigInt(`${match[1]}${fraction}`);
  return digits > 0n ? { digits, scale: fraction.length } : undefined;
}

/**
 * True for a positive decimal rate such as `"1.0850"`, the form every provider answers in.
 *
 * @example
 * ```ts
 * import { isExchangeRate } from '@handshake/core';
 *
 * isExchangeRate('1.0850'); // true
 * isExchangeRate('1e3'); // false
 * ```
 */
export function isExchangeRate(rate: unknown): rate is string {
  return typeof rate === 'string' && parseRate(rate) !== undefined;
}

/**
 * Compares two rates as numbers (`"1.085"` equals `"1.0850"`); -1, 0 or 1.
 *
 * @example
 * ```ts
 * import { compareRates } from '@handshake/core';
 *
 * compareRates('1.085', '1.0850'); // 0
 * ```
 */
export function compareRates(a: string, b: string): number {
  const x = parseRate(a);
  const y = parseRate(b);
  if (!x || !y) throw new TypeError('rates must be positive decimals');
  const left = x.digits * 10n ** BigInt(y.scale);
  const right = y.digits * 10n ** BigInt(x.scale);
  return left === right ? 0 : left < right ? -1 : 1;
}

/** `numerator / denominator` to `places` decimals, rounding half up. */
function divide(numerator: Decimal, denominator: Decimal, places: number): string {
  // (n / 10^ns) / (d / 10^ds) = n * 10^ds / (d * 10^ns)
  const top = numerator.digits * 10n ** BigInt(denominator.scale + places);
  const bottom = denominator.digits * 10n ** BigInt(numerator.scale);
  const quotient = (top * 2n + bottom) / (bottom * 2n);
  return format(quotient, places);
}

/** `a × b` to `places` decimals, rounding half up. */
function multiply(a: Decimal, b: Decimal, places: number): string {
  const scale = a.scale + b.scale;
  const product = a.digits * b.digits;
  if (scale <= places) return format(product * 10n ** BigInt(places - scale), places);
  const divisor = 10n ** BigInt(scale - places);
  return format((product * 2n + divisor) / (divisor * 2n), places);
}

function format(value: bigint, places: number): string {
  const text = value.toString().padStart(places + 1, '0');
  const whole = text.slice(0, -places);
  const fraction = text.slice(-places).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/**
 * The rates {@link simulatedExchangeRates} starts from: fixed, illustrative values, not
 * market data. Keys are the two ISO 4217 codes, base first: `EURUSD` is how many US
 * dollars one euro buys.
 *
 * @example
 * ```ts
 * import { SIMULATED_RATES, simulatedExchangeRates } from '@handshake/core';
 *
 * const rates = simulatedExchangeRates({ ...SIMULATED_RATES, EURGBP: '0.8500' });
 * ```
 */
export const SIMULATED_RATES: Readonly<Record<string, string>> = Object.freeze({
  EURUSD: '1.0850',
  GBPUSD: '1.2700',
  AUDUSD: '0.6600',
  USDCAD: '1.3600',
  USDCHF: '0.8800',
  USDJPY: '151.20',
  USDSEK: '10.5000',
  USDMXN: '17.0000',
});

/**
 * Options of {@link simulatedExchangeRates}.
 *
 * @example
 * ```ts
 * import { type SimulatedExchangeRatesOptions, simulatedExchangeRates } from '@handshake/core';
 *
 * const options: SimulatedExchangeRatesOptions = { clock: { now: () => Date.parse('2026-03-02T10:00:00Z') } };
 * const rates = simulatedExchangeRates({ EURUSD: '1.0850' }, options);
 * await rates.getRate('EUR', 'USD'); // { rate: '1.0850', asOf: 1772445600000 }
 * ```
 */
export interface SimulatedExchangeRatesOptions {
  /** Stamps `asOf` on each rate (default: the system clock). */
  clock?: Clock;
}

/**
 * A deterministic exchange-rate provider for tests, demos and development: it answers
 * from a fixed table (default {@link SIMULATED_RATES}) and never touches a network.
 * A pair missing from the table is derived: the inverse of the opposite pair, or a
 * cross rate through USD, rounded half up to 6 decimals. A pair it cannot derive
 * fails with `VALIDATION_ERROR` naming both currencies.
 *
 * @example
 * ```ts
 * import { simulatedExchangeRates } from '@handshake/core';
 *
 * const rates = simulatedExchangeRates({ EURUSD: '1.0850' });
 * await rates.getRate('EUR', 'USD'); // { rate: '1.0850', asOf: … }
 * await rates.getRate('USD', 'EUR'); // { rate: '0.921659', asOf: … }
 * ```
 */
export function simulatedExchangeRates(
  table: Readonly<Record<string, string>> = SIMULATED_RATES,
  options: SimulatedExchangeRatesOptions = {},
): ExchangeRateProviderV1 {
  const clock = options.clock ?? systemClock;
  const rates = new Map<string, Decimal>();
  for (const [pair, rate] of Object.entries(table)) {
    const from = pair.slice(0, 3);
    const to = pair.slice(3);
    if (!/^[A-Z]{6}$/.test(pair) || !isCurrency(from) || !isCurrency(to)) {
      throw new TypeError(`exchange-rate pair "${pair}" must be two ISO 4217 codes, e.g. EURUSD`);
    }
    const parsed = parseRate(rate);
    if (!parsed) throw new TypeError(`exchange rate ${pair} must be a positive decimal string`);
    rates.set(pair, parsed);
  }
  const direct = (from: string, to: string): string | undefined => {
    if (from === to) return '1';
    const rate = rates.get(`${from}${to}`);
    if (rate) return table[`${from}${to}`];
    const inverse = rates.get(`${to}${from}`);
    return inverse ? divide({ digits: 1n, scale: 0 }, inverse, DERIVED_PLACES) : undefined;
  };
  return {
    specificationVersion: 'v1',
    getRate(from, to) {
      let rate = direct(from, to);
      if (rate === undefined && from !== 'USD' && to !== 'USD') {
        const toUsd = direct(from, 'USD');
        const fromUsd = direct('USD', to);
        if (toUsd !== undefined && fromUsd !== undefined) {
          rate = multiply(parseRate(toUsd)!, parseRate(fromUsd)!, DERIVED_PLACES);
        }
      }
      if (rate === undefined || !isExchangeRate(rate)) {
        // The caller's currency, not the provider, is at fault: a 4xx (see ExchangeRateProviderV1).
        throw new HandshakeError('VALIDATION_ERROR', `No exchange rate is known for ${from}/${to}`);
      }
      return { rate, asOf: clock.now() };
    },
  };
}

/**
 * Options of {@link cachedExchangeRates}.
 *
 * @example
 * ```ts
 * import { type CachedExchangeRatesOptions, cachedExchangeRates, simulatedExchangeRates } from '@handshake/core';
 *
 * const options: CachedExchangeRatesOptions = { ttlMs: 60 * 60 * 1000, maxEntries: 256 };
 * const rates = cachedExchangeRates(simulatedExchangeRates(), options);
 * ```
 */
export interface CachedExchangeRatesOptions {
  /** How long a fetched rate is reused (default 24 hours). */
  ttlMs?: number;
  /** The clock that ages entries (default: the system clock). */
  clock?: Clock;
  /** Pairs kept at most; the oldest is dropped first (default 1024). */
  maxEntries?: number;
}

/**
 * Caches another provider's rates per currency pair for `ttlMs` (24 hours by default,
 * as the spend API's seed does), so every authorization in that time counts a pair at
 * the same rate. Concurrent misses for one pair share a single fetch; a failed fetch
 * is not cached. The engine binds the rate it used into each authorization
 * (`exchangeRate` and `originalAmount` of the transaction record).
 *
 * Give the same instance to `createHandshake({ exchangeRates })` and to
 * `spendTools({ exchangeRates })`, so a card is converted at the rate its validation
 * was counted at.
 *
 * @example
 * ```ts
 * import { cachedExchangeRates, simulatedExchangeRates } from '@handshake/core';
 *
 * const rates = cachedExchangeRates(simulatedExchangeRates(), { ttlMs: 24 * 60 * 60 * 1000 });
 * ```
 */
export function cachedExchangeRates(
  provider: ExchangeRateProviderV1,
  options: CachedExchangeRatesOptions = {},
): ExchangeRateProviderV1 {
  UnsupportedSpecificationVersionError.check('exchange rate provider', provider);
  const ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new TypeError('ttlMs must be a positive number');
  const maxEntries = options.maxEntries ?? 1024;
  const clock = options.clock ?? systemClock;
  const cache = new Map<string, { rate: ExchangeRate; fetchedAt: number }>();
  const inFlight = new Map<string, Promise<ExchangeRate>>();

  const fetchRate = async (key: string, from: string, to: string): Promise<ExchangeRate> => {
    const fetchedAt = clock.now();
    const answer = await provider.getRate(from, to);
    if (!answer || !isExchangeRate(answer.rate)) {
      throw new HandshakeError(
        'PROVIDER_ERROR',
        `The exchange rate for ${from}/${to} is not a positive decimal`,
      );
    }
    const rate: ExchangeRate = { rate: answer.rate, asOf: answer.asOf };
    cache.delete(key);
    cache.set(key, { rate, fetchedAt });
    while (cache.size > maxEntries) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
    return rate;
  };

  return {
    specificationVersion: 'v1',
    getRate(from, to) {
      const key = `${from}/${to}`;
      const hit = cache.get(key);
      if (hit && clock.now() - hit.fetchedAt < ttlMs) return { ...hit.rate };
      let pending = inFlight.get(key);
      if (!pending) {
        pending = fetchRate(key, from, to).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending.then((rate) => ({ ...rate }));
    },
  };
}

/**
 * Reads the rate from `from` to `to`, for an amount the caller sent. A provider that
 * knows no rate for the pair throws `VALIDATION_ERROR`; that refusal is answered `400`
 * naming both currencies and the field at `path`. Any other failure is passed on.
 *
 * @example
 * ```ts
 * import { rateForCallerAmount, simulatedExchangeRates } from '@handshake/core';
 *
 * const rate = await rateForCallerAmount(simulatedExchangeRates(), 'EUR', 'USD', 'amount');
 * console.log(rate.rate);
 * ```
 */
export async function rateForCallerAmount(
  provider: ExchangeRateProviderV1,
  from: string,
  to: string,
  path: string,
): Promise<ExchangeRate> {
  try {
    return await provider.getRate(from, to);
  } catch (error) {
    if (HandshakeError.isInstance(error) && error.code === 'VALIDATION_ERROR') {
      throw new HandshakeError(
        'VALIDATION_ERROR',
        `Amounts in ${from} cannot be converted to ${to}: no exchange rate is known for ${from}/${to}`,
        { path, cause: error },
      );
    }
    throw error;
  }
}
