import type { Awaitable } from '../types/common.js';

/**
 * Who a session belongs to.
 *
 * @example
 * ```ts
 * import type { SessionIdentity, SessionVerifierV1 } from '@handshake/core';
 *
 * const verifier: SessionVerifierV1 = {
 *   specificationVersion: 'v1',
 *   verify: (credential): SessionIdentity | undefined =>
 *     credential === 'dev-token' ? { userId: 'alice', scopes: [], sessionId: 'dev' } : undefined,
 * };
 * ```
 */
export interface SessionIdentity {
  userId: string;
  /** Scopes granted to the session; `handshake:approve` lets it decide others' approvals. */
  scopes: readonly string[];
  /**
   * Identifies this session for replay answers. Defaults to a digest of the bearer
   * credential; JWT verifiers use the `sid` claim when present, so a refreshed token of
   * the same session still receives its replays.
   */
  sessionId: string;
}

/**
 * Turns a bearer credential into an identity, or `undefined` when it is not valid.
 *
 * @example
 * ```ts
 * import { staticSessionVerifier } from '@handshake/core';
 *
 * const sessions = staticSessionVerifier({ 'dev-token-alice': 'alice' });
 * ```
 */
export interface SessionVerifierV1 {
  readonly specificationVersion: 'v1';
  verify(credential: string): Awaitable<SessionIdentity | undefined>;
}
