import { HandshakeError } from '@handshake/protocol';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { T0, testTools } from '../../test/fixtures.js';
import { createHandshake } from '../engine/engine.js';
import { jwtSessionVerifier as real } from './jwt-session-verifier.js';

const jwtSessionVerifier = real as typeof real;

import { staticSessionVerifier } from './static-session-verifier.js';

const SECRET = 'a-32-byte-or-longer-shared-secret!!';
const key = new TextEncoder().encode(SECRET);
const seconds = (ms: number) => Math.floor(ms / 1000);

/** A signed HS256 token with exactly the claims given. */
function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
}

const verifier = (maxLifetimeSeconds?: number) =>
  jwtSessionVerifier({
    secret: SECRET,
    now: () => T0,
    ...(maxLifetimeSeconds !== undefined ? { maxLifetimeSeconds } : {}),
  });

describe('jwtSessionVerifier', () => {
  it('accepts a token with a subject and an exp within the maximum lifetime', async () => {
    const identity = await verifier().verify(
      await token({ sub: 'alice', sid: 's-1', iat: seconds(T0), exp: seconds(T0) + 3600 }),
    );
    expect(identity).toEqual({ userId: 'alice', scopes: [], sessionId: 'j:s-1' });
  });

  it('refuses a token without exp: it would never expire', async () => {
    expect(await verifier().verify(await token({ sub: 'alice', iat: seconds(T0) }))).toBe(
      undefined,
    );
    expect(await verifier().verify(await token({ sub: 'alice' }))).toBe(undefined);
  });

  it('refuses a token living longer than maxLifetimeSeconds, from now or from its iat', async () => {
    const hour = 3600;
    // Default maximum: one day.
    expect(
      await verifier().verify(await token({ sub: 'alice', exp: seconds(T0) + 2 * 86_400 })),
    ).toBe(undefined);
    expect(
      await verifier().verify(await token({ sub: 'alice', exp: seconds(T0) + 86_400 - 60 })),
    ).toMatchObject({ userId: 'alice' });
    // Configured maximum: one hour, counted from iat when the token has one.
    expect(
      await verifier(hour).verify(await token({ sub: 'alice', exp: seconds(T0) + 2 * hour })),
    ).toBe(undefined);
    expect(
      await verifier(hour).verify(
        await token({ sub: 'alice', iat: seconds(T0) - 3 * hour, exp: seconds(T0) + 600 }),
      ),
    ).toBe(undefined);
    expect(
      await verifier(hour).verify(
        await token({ sub: 'alice', iat: seconds(T0) - 600, exp: seconds(T0) + 600 }),
      ),
    ).toMatchObject({ userId: 'alice' });
    expect(() => jwtSessionVerifier({ secret: SECRET, maxLifetimeSeconds: 0 })).toThrow(
      /maxLifetimeSeconds/,
    );
  });

  it('refuses the reserved subject anonymous, so no session shares the anonymous bucket', async () => {
    expect(await verifier().verify(await token({ sub: 'anonymous', exp: seconds(T0) + 600 }))).toBe(
      undefined,
    );
  });
});

describe('reserved user ids in the engine', () => {
  it('refuses a session of any verifier that names a reserved user', async () => {
    const engine = createHandshake({
      tools: [testTools().provider],
      sessions: staticSessionVerifier({
        'session-anon': { userId: 'anonymous', scopes: ['handshake:approve'] },
      }),
      clock: { now: () => T0 },
    });
    const refusal = await engine
      .authorize({ tool: 'get_exchange_rate', parameters: {} }, 'session-anon')
      .catch((error: unknown) => error);
    expect(HandshakeError.isInstance(refusal) && refusal.code).toBe('UNAUTHORIZED');
    const approver = await engine.identifyApprover('session-anon').catch((e: unknown) => e);
    expect(HandshakeError.isInstance(approver) && approver.code).toBe('UNAUTHORIZED');
  });
});
