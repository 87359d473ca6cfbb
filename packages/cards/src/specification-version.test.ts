import { simulatedExchangeRates, UnsupportedSpecificationVersionError } from '@handshake/core';
import { describe, expect, it } from 'vitest';
import type { CardIssuerV1 } from './card-issuer.js';
import { instrumentCardIssuer } from './opentelemetry/card-issuer.js';
import { spendTools } from './spend-tools.js';
import { simulatedCardIssuer } from './testing/simulated-card-issuer.js';

/** An issuer from a release of the card issuer contract this one does not know. */
const issuerV2 = {
  ...simulatedCardIssuer(),
  specificationVersion: 'v2',
} as unknown as CardIssuerV1;

function refusal(run: () => unknown): UnsupportedSpecificationVersionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UnsupportedSpecificationVersionError);
    return error as UnsupportedSpecificationVersionError;
  }
  throw new Error('expected an UnsupportedSpecificationVersionError');
}

describe('the card product refuses providers of an unknown specification version', () => {
  it('spendTools refuses a card issuer declaring "v2", naming it', () => {
    const error = refusal(() => spendTools({ issuer: issuerV2 }));
    expect(error.message).toBe(
      'Unsupported specification version "v2" of the card issuer: this release of Handshake supports specification version "v1" only',
    );
  });

  it('spendTools refuses exchange rates declaring no version', () => {
    const { specificationVersion: _, ...unversioned } = simulatedExchangeRates();
    const error = refusal(() =>
      spendTools({
        issuer: simulatedCardIssuer(),
        exchangeRates: unversioned as ReturnType<typeof simulatedExchangeRates>,
      }),
    );
    expect({ kind: error.kind, version: error.version }).toEqual({
      kind: 'exchange rate provider',
      version: undefined,
    });
  });

  it('instrumentCardIssuer refuses what it would pass on as v1, and wraps a v1 issuer', () => {
    expect(refusal(() => instrumentCardIssuer(issuerV2)).kind).toBe('card issuer');
    expect(instrumentCardIssuer(simulatedCardIssuer()).specificationVersion).toBe('v1');
    expect(spendTools({ issuer: simulatedCardIssuer() }).specificationVersion).toBe('v1');
  });
});
