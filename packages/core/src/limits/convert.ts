import { currencyExponent, HandshakeError } from '@handshake/protocol';

/**
 * Converts minor units between currencies at a decimal rate, exactly, rounding up so
 * that a converted amount never counts less against a limit than it is worth.
 *
 * @example
 * ```ts
 * import { convertMinor } from '@handshake/core';
 *
 * convertMinor(1000n, 'EUR', 'USD', '1.0850'); // 1085n (10.00 EUR → 10.85 USD)
 * ```
 */
export function convertMinor(amountMinor: bigint, from: string, to: string, rate: string): bigint {
  const match = /^(\d{1,12})(?:\.(\d{1,12}))?$/.exec(rate);
  if (!match || /^0*(\.0*)?$/.test(rate)) {
    throw new HandshakeError(
      'PROVIDER_ERROR',
      `Exchange rate ${from}/${to} is not a positive decimal`,
    );
  }
  const fraction = match[2] ?? '';
  const numerator = BigInt(`${match[1]}${fraction}`);
  const denominator = 10n ** BigInt(fraction.length);
  const shift = currencyExponent(to) - currencyExponent(from);
  let top = amountMinor * numerator;
  let bottom = denominator;
  if (shift >= 0) top *= 10n ** BigInt(shift);
  else bottom *= 10n ** BigInt(-shift);
  const quotient = top / bottom;
  return top % bottom === 0n ? quotient : quotient + (amountMinor >= 0n ? 1n : 0n);
}
