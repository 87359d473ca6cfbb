import { HandshakeError } from '@handshake/protocol';
import { describe, expect, it } from 'vitest';
import { testClock } from '../../test/fixtures.js';
import {
  cachedExchangeRates,
  compareRates,
  isExchangeRate,
  simulatedExchangeRates,
} from './exchange-rates.js';
import type { ExchangeRateProviderV1 } from './spending-limits.js';

const DAY = 24 * 60 * 60 * 1000;

function counting(provider: ExchangeRateProviderV1) {
  const calls: string[] = [];
  const counted: ExchangeRateProviderV1 = {
    specificationVersion: 'v1',
    getRate(from, to) {
      calls.push(`${from}/${to}`);
      return provider.getRate(from, to);
    },
  };
  return { provider: counted, calls };
}

describe('simulatedExchangeRates', () => {
  it('answers from its table, deterministically, stamped by the injected clock', async () => {
    const clock = testClock();
    const rates = simulatedExchangeRates(undefined, { clock });
    expect(await rates.getRate('EUR', 'USD')).toEqual({ rate: '1.0850', asOf: clock.now() });
    expect(await rates.getRate('USD', 'JPY')).toEqual({ rate: '151.20', asOf: clock.now() });
    expect((await rates.getRate('GBP', 'GBP')).rate).toBe('1');
  });

  it('derives inverse and cross rates, rounded half up to 6 decimals', async () => {
    const rates = simulatedExchangeRates({ EURUSD: '1.0850', USDJPY: '151.20' });
    // 1 / 1.085 = 0.921658986…
    expect((await rates.getRate('USD', 'EUR')).rate).toBe('0.921659');
    // 1.085 × 151.20 = 164.052
    expect((await rates.getRate('EUR', 'JPY')).rate).toBe('164.052');
    // Through USD: 1 / 151.20 → 0.006614, 1 / 1.085 → 0.921659; 0.006614 × 0.921659 = 0.0060958…
    expect((await rates.getRate('JPY', 'EUR')).rate).toBe('0.006096');
  });

  it('refuses a pair it cannot derive with VALIDATION_ERROR naming the pair', async () => {
    const rates = simulatedExchangeRates({ EURUSD: '1.0850' });
    const error = await Promise.resolve()
      .then(() => rates.getRate('EUR', 'SEK'))
      .catch((e: unknown) => e);
    expect(HandshakeError.isInstance(error) && error.code).toBe('VALIDATION_ERROR');
    expect((error as Error).message).toContain('EUR/SEK');
  });

  it('refuses a malformed table when it is built', () => {
    expect(() => simulatedExchangeRates({ EURUSD: '-1' })).toThrow(/positive decimal/);
    expect(() => simulatedExchangeRates({ EURUSD: '1e3' })).toThrow(/positive decimal/);
    expect(() => simulatedExchangeRates({ EUR_USD: '1.1' })).toThrow(/ISO 4217/);
    expect(() => simulatedExchangeRates({ XXXYYY: '1.1' })).toThrow(/ISO 4217/);
  });
});

describe('cachedExchangeRates', () => {
  it('reuses a rate for 24 hours and fetches it again after, by the injected clock', async () => {
    const clock = testClock();
    const { provider, calls } = counting(simulatedExchangeRates(undefined, { clock }));
    const rates = cachedExchangeRates(provider, { clock });
    const first = await rates.getRate('EUR', 'USD');
    clock.advance(DAY - 1);
    expect(await rates.getRate('EUR', 'USD')).toEqual(first);
    expect(calls).toEqual(['EUR/USD']);
    // Another pair has its own entry.
    await rates.getRate('GBP', 'USD');
    expect(calls).toEqual(['EUR/USD', 'GBP/USD']);
    clock.advance(1);
    const refreshed = await rates.getRate('EUR', 'USD');
    expect(calls).toEqual(['EUR/USD', 'GBP/USD', 'EUR/USD']);
    expect(refreshed.asOf).toBe(clock.now());
  });

  it('shares one fetch between concurrent misses, and does not cache a failure', async () => {
    let calls = 0;
    let fail = true;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const rates = cachedExchangeRates({
      specificationVersion: 'v1',
      async getRate() {
        calls += 1;
        await gate;
        if (fail) throw new HandshakeError('PROVIDER_ERROR', 'rates service unavailable');
        return { rate: '0.9000', asOf: 0 };
      },
    });
    const both = Promise.allSettled([rates.getRate('USD', 'EUR'), rates.getRate('USD', 'EUR')]);
    release();
    expect((await both).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    fail = false;
    expect((await rates.getRate('USD', 'EUR')).rate).toBe('0.9000');
    expect(calls).toBe(2);
  });

  it('refuses a provider answer that is not a positive decimal', async () => {
    const rates = cachedExchangeRates({
      specificationVersion: 'v1',
      getRate: () => ({ rate: '1.1e2', asOf: 0 }),
    });
    await expect(rates.getRate('EUR', 'USD')).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
  });
});

describe('rate helpers', () => {
  it('compares rates as numbers', () => {
    expect(compareRates('1.085', '1.0850')).toBe(0);
    expect(compareRates('1.0851', '1.085')).toBe(1);
    expect(compareRates('0.9', '1')).toBe(-1);
    expect(isExchangeRate('0')).toBe(false);
    expect(isExchangeRate('12.5')).toBe(true);
  });
});
