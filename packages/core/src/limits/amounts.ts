import { HandshakeError, type Money, parseMoney } from '@handshake/protocol';
import { convertMinor } from './convert.js';
import { rateForCallerAmount } from './exchange-rates.js';
import { type ExchangeRateProviderV1, type LimitsSource, limitsOf } from './spending-limits.js';

/** The amount of a call, resolved against the limits' currency. */
export interface CountedAmount {
  original: Money;
  /** Minor units in the limits' currency (or the original currency without limits). */
  minor: bigint;
  currency: string;
  /** The rate of the conversion, when the amount was converted. */
  rate?: string;
}

/**
 * The amount a call of `userId` counts against their limits: as it is when no limit
 * applies or the currencies match, otherwise converted at the provider's rate (rounded
 * up). An amount in a currency no rate converts is the caller's mistake
 * (`VALIDATION_ERROR`).
 */
export async function countedAmount(
  money: Money,
  userId: string,
  source: LimitsSource | undefined,
  rates: ExchangeRateProviderV1 | undefined,
): Promise<CountedAmount> {
  const minor = parseMoney(money.value, money.currency, { allowZero: true });
  const limits = await limitsOf(source, userId);
  if (!limits || limits.currency === money.currency) {
    return { original: money, minor, currency: money.currency };
  }
  if (!rates) {
    throw new HandshakeError(
      'VALIDATION_ERROR',
      `Amounts in ${money.currency} cannot be counted against limits in ${limits.currency}`,
      { path: 'parameters' },
    );
  }
  const rate = await rateForCallerAmount(rates, money.currency, limits.currency, 'parameters');
  return {
    original: money,
    minor: convertMinor(minor, money.currency, limits.currency, rate.rate),
    currency: limits.currency,
    rate: rate.rate,
  };
}
