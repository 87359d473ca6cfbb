// For tests: a real Handshake service (the engine behind `serve()` on loopback) with the
// PayPal provider on the toolkit's real code against the simulated PayPal API, and an
// approver that decides through the service's approver API.
import {
  type AuditEvent,
  createHandshake,
  createHandshakeHandler,
  staticKeyResolver,
  staticSessionVerifier,
} from '@handshake/core';
import { serve } from '@handshake/core/node';
import { generateSigningKey } from '@handshake/protocol';
import { createSimulatedPayPal, type SimulatedPayPal } from '../testing/node.js';

export const APPROVER_TOKEN = 'approver-token-for-tests';

/** Each user's session credential at the Handshake service. */
export const HANDSHAKE_SESSIONS = {
  alice: 'handshake-session-alice',
  bob: 'handshake-session-bob',
} as const;

export interface LoopbackService {
  url: string;
  paypal: SimulatedPayPal;
  /** The signing key the MCP server holds, registered for alice and bob. */
  key: { keyId: string; privateKey: string };
  /** Every audit event so far. */
  audit: AuditEvent[];
  /** The next approval the service asks for. */
  nextApproval(): Promise<AuditEvent>;
  decide(approvalId: string, decision: 'approve' | 'deny'): Promise<Response>;
  close(): Promise<void>;
}

export async function startLoopbackService(): Promise<LoopbackService> {
  const paypal = createSimulatedPayPal();
  const key = generateSigningKey();
  const audit: AuditEvent[] = [];
  const waiters: Array<(event: AuditEvent) => void> = [];
  const engine = createHandshake({
    tools: paypal.provider,
    sessions: staticSessionVerifier({
      [HANDSHAKE_SESSIONS.alice]: 'alice',
      [HANDSHAKE_SESSIONS.bob]: 'bob',
    }),
    keys: staticKeyResolver([
      { userId: 'alice', keyId: 'mcp', publicKey: key.publicKey },
      { userId: 'bob', keyId: 'mcp', publicKey: key.publicKey },
    ]),
    approverCredentials: { [APPROVER_TOKEN]: 'ops' },
    audit: [
      {
        specificationVersion: 'v1',
        write(event) {
          audit.push(event);
          if (event.type === 'approval.requested') waiters.shift()?.(event);
        },
      },
    ],
  });
  await engine.ready();
  const running = await serve(createHandshakeHandler(engine), { port: 0 });
  const url = running.url;
  return {
    url,
    paypal,
    key: { keyId: 'mcp', privateKey: key.privateKey },
    audit,
    nextApproval: () => new Promise((resolve) => waiters.push(resolve)),
    decide: (approvalId, decision) =>
      fetch(`${url}/approvals/${encodeURIComponent(approvalId)}/decision`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${APPROVER_TOKEN}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ decision }),
      }),
    async close() {
      await running.close();
      await engine.close();
      paypal.close();
    },
  };
}
