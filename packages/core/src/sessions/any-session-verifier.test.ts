import { describe, expect, it } from 'vitest';
import { UnsupportedSpecificationVersionError } from '../types/specification-version.js';
import { anySessionVerifier, type SessionVerifierV1 } from './session-verifier.js';
import { staticSessionVerifier } from './static-session-verifier.js';

describe('anySessionVerifier', () => {
  const fixed = staticSessionVerifier({ 'token-alice': 'alice' });
  const asked: string[] = [];
  const second: SessionVerifierV1 = {
    specificationVersion: 'v1',
    verify: async (credential) => {
      asked.push(credential);
      return credential === 'token-bob'
        ? { userId: 'bob', scopes: [], sessionId: 's:bob' }
        : undefined;
    },
  };

  it('answers the first identity, asking the next verifier only when one refuses', async () => {
    asked.length = 0;
    const sessions = anySessionVerifier(fixed, second);
    expect(await sessions.verify('token-alice')).toMatchObject({ userId: 'alice' });
    expect(asked).toEqual([]);
    expect(await sessions.verify('token-bob')).toMatchObject({ userId: 'bob' });
    expect(await sessions.verify('token-mallory')).toBeUndefined();
    expect(asked).toEqual(['token-bob', 'token-mallory']);
  });

  it('accepts nobody with no verifier, and is the verifier itself with one', async () => {
    expect(await anySessionVerifier().verify('token-alice')).toBeUndefined();
    expect(anySessionVerifier(fixed)).toBe(fixed);
  });

  it('stops at a verifier that throws: an unreachable issuer is not a refusal', async () => {
    const broken: SessionVerifierV1 = {
      specificationVersion: 'v1',
      verify: () => {
        throw new Error('JWKS unreachable');
      },
    };
    await expect(anySessionVerifier(broken, fixed).verify('token-alice')).rejects.toThrow(
      'JWKS unreachable',
    );
  });

  it('refuses a verifier of an unknown specification version', () => {
    const future = { ...fixed, specificationVersion: 'v2' } as unknown as SessionVerifierV1;
    expect(() => anySessionVerifier(fixed, future)).toThrow(UnsupportedSpecificationVersionError);
  });
});
