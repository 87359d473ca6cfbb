import {
  type AuditSinkV1,
  createHandshake,
  createHandshakeHandler,
  type HandshakeEngine,
  parseKeyList,
  parseSessionList,
  staticKeyResolver,
  staticSessionVerifier,
} from '@handshake/core';
import { serve } from '@handshake/core/node';
import { createPayPalToolProvider } from '@handshake/paypal';
import { createSimulatedPayPal, type SimulatedPayPal } from '@handshake/paypal/testing';

// A small Handshake service with the PayPal provider, for trying this MCP server on one
// machine: PayPal simulated by default (PAYPAL_MODE=simulated), or the sandbox/live API
// with PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET. It prints each approval that waits,
// with the request that approves it. In production, run the reference service instead.

/** What {@link startLocalService} reads. */
export interface LocalServiceOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Extra audit sinks (tests listen here). */
  audit?: AuditSinkV1[];
  /** Where progress lines go (default stdout). */
  log?: (line: string) => void;
}

/** A running local service. */
export interface LocalService {
  url: string;
  engine: HandshakeEngine;
  /** The simulator, in simulated mode. */
  paypal: SimulatedPayPal | undefined;
  close(): Promise<void>;
}

function required(env: LocalServiceOptions['env'], name: string, what: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`${name} is not set: ${what}`);
  return value;
}

/** Starts the service on loopback. */
export async function startLocalService(options: LocalServiceOptions): Promise<LocalService> {
  const { env } = options;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const sessions = parseSessionList(
    required(env, 'HANDSHAKE_SESSIONS', 'user:sessionToken pairs, e.g. alice:dev-token-alice'),
  );
  const keys = parseKeyList(
    required(env, 'HANDSHAKE_KEYS', 'user:keyId:publicKey entries (see the keygen script)'),
  );
  const approverToken = required(env, 'HANDSHAKE_APPROVER_TOKEN', "the approvers' bearer token");
  const mode = env.PAYPAL_MODE ?? 'simulated';
  if (mode !== 'simulated' && mode !== 'sandbox' && mode !== 'live') {
    throw new Error('PAYPAL_MODE must be simulated, sandbox or live');
  }
  const paypal = mode === 'simulated' ? createSimulatedPayPal() : undefined;
  const tools =
    paypal?.provider ??
    createPayPalToolProvider({
      clientId: required(env, 'PAYPAL_CLIENT_ID', 'your PayPal REST app client id'),
      clientSecret: required(env, 'PAYPAL_CLIENT_SECRET', 'your PayPal REST app secret'),
      environment: mode === 'live' ? 'live' : 'sandbox',
    });

  let url = '';
  const announce: AuditSinkV1 = {
    specificationVersion: 'v1',
    write(event) {
      if (event.type !== 'approval.requested') return;
      const amount = event.amount ? ` ${event.amount.currency} ${event.amount.value}` : '';
      log(`approval waiting: ${event.tool}${amount} (${event.approvalId})`);
      log(
        `  approve: curl -X POST -H "authorization: Bearer $HANDSHAKE_APPROVER_TOKEN" -H 'content-type: application/json' -d '{"decision":"approve"}' ${url}/approvals/${event.approvalId}/decision`,
      );
    },
  };
  const engine = createHandshake({
    tools,
    sessions: staticSessionVerifier(sessions),
    keys: staticKeyResolver(keys),
    approverCredentials: { [approverToken]: 'approver' },
    audit: [announce, ...(options.audit ?? [])],
  });
  await engine.ready();
  const port = Number.parseInt(env.PORT ?? '8787', 10);
  const running = await serve(createHandshakeHandler(engine), { port });
  url = running.url.replace(/\/$/, '');
  return {
    url,
    engine,
    paypal,
    async close() {
      await running.close();
      await engine.close();
      paypal?.close();
    },
  };
}
