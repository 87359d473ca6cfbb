import {
  anySessionVerifier,
  jwtSessionVerifier,
  type SessionVerifierV1,
  staticSessionVerifier,
} from '@handshake/core';
import type { HttpConfig } from './config.js';

/** Checks hosts' bearers as the service checks its sessions: a fixed list, or JWTs. */
export function bearerVerifier(http: HttpConfig, resource: URL): SessionVerifierV1 {
  const verifiers: SessionVerifierV1[] = [];
  if (Object.keys(http.bearers).length > 0) verifiers.push(staticSessionVerifier(http.bearers));
  if (http.jwt) {
    const { secret, jwksUrl, issuer, audience } = http.jwt;
    verifiers.push(
      jwtSessionVerifier({
        ...(secret !== undefined ? { secret } : { jwksUrl: String(jwksUrl) }),
        ...(issuer !== undefined ? { issuer } : {}),
        // RFC 8707: a token is for this server only when issued for its URL.
        audience: audience ?? resource.href,
      }),
    );
  }
  return anySessionVerifier(...verifiers);
}
