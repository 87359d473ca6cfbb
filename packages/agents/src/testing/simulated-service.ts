import { createHandshakeClient, type HandshakeClient } from '@handshake/client';
import {
  APPROVE_OWN_SCOPE,
  createHandshake,
  createHandshakeHandler,
  type HandshakeEngine,
  type HandshakeOptions,
  type MemoryAuditSink,
  memoryAuditSink,
  staticKeyResolver,
  staticSessionVerifier,
  type ToolProviderV1,
} from '@handshake/core';
import { serve } from '@handshake/core/node';
import { type ApprovalSummary, ed25519PublicKey, generateSigningKey } from '@handshake/protocol';
import { type ChatApprover, createChatApprover } from '../calls/chat-approver.js';

/**
 * What the simulated person does with a pending approval; `undefined` leaves it for
 * someone else (a test, the chat).
 *
 * @example
 * ```ts
 * import type { PersonDecision } from '@handshake/agents/testing';
 *
 * const decision: PersonDecision = { decision: 'deny', reason: 'not this one' };
 * ```
 */
export interface PersonDecision {
  decision: 'approve' | 'deny';
  reason?: string;
}

/**
 * Options of {@link startSimulatedService}.
 *
 * @example
 * ```ts
 * import type { SimulatedServiceOptions } from '@handshake/agents/testing';
 * import type { ToolProviderV1 } from '@handshake/core';
 * declare const tools: ToolProviderV1;
 *
 * const options: SimulatedServiceOptions = {
 *   tools,
 *   person: (approval) => (approval.tool === 'create_refund' ? { decision: 'approve' } : undefined),
 * };
 * ```
 */
export interface SimulatedServiceOptions {
  tools: ToolProviderV1 | readonly ToolProviderV1[];
  /** A person watching the approvals (as in the console), asked about each new pending one. */
  person?: (approval: ApprovalSummary) => PersonDecision | undefined;
  /** Engine options to add or replace (limits, approver, clock…). */
  engine?: Partial<HandshakeOptions>;
}

/**
 * A running service, the agent's client and the signed-in person's chat approver.
 *
 * @example
 * ```ts
 * import type { SimulatedService } from '@handshake/agents/testing';
 * declare const service: SimulatedService;
 *
 * const tools = await service.client.tools();
 * await service.close();
 * ```
 */
export interface SimulatedService {
  /** `http://127.0.0.1:PORT/` */
  baseUrl: string;
  engine: HandshakeEngine;
  /** The agent's client: alice's session and signing key. */
  client: HandshakeClient;
  /** Alice's own approver, as an app's server holds it for in-chat approval. */
  chatApprover: ChatApprover;
  /** The audit trail. */
  audit: MemoryAuditSink;
  /** The credentials in play, so a test can check none reaches a model. */
  secrets: readonly string[];
  close(): Promise<void>;
}

const AGENT_SESSION = 'session-alice-agent-0123456789';
const CHAT_APPROVER = 'approver-own-alice-0123456789';
const PERSON = 'approver-console-ops-0123456789';

/**
 * Starts a Handshake service on a loopback port with the given tools, for user
 * `alice`: her agent's session and signing key, her own approver credential for the
 * chat, and an approvals-console credential used by the simulated `person`.
 *
 * @example
 * ```ts
 * import { startSimulatedService } from '@handshake/agents/testing';
 * import type { ToolProviderV1 } from '@handshake/core';
 * declare const tools: ToolProviderV1;
 *
 * const service = await startSimulatedService({ tools, person: () => ({ decision: 'approve' }) });
 * console.log(await service.client.call('get_order', { id: 'O-1' }));
 * await service.close();
 * ```
 */
export async function startSimulatedService(
  options: SimulatedServiceOptions,
): Promise<SimulatedService> {
  const key = generateSigningKey();
  const audit = memoryAuditSink();
  const engine = createHandshake({
    tools: options.tools,
    sessions: staticSessionVerifier({
      [AGENT_SESSION]: 'alice',
      [CHAT_APPROVER]: { userId: 'alice', scopes: [APPROVE_OWN_SCOPE] },
    }),
    keys: staticKeyResolver([
      { userId: 'alice', keyId: 'agent-key', publicKey: ed25519PublicKey(key.privateKey) },
    ]),
    approverCredentials: { [PERSON]: 'person' },
    audit,
    rateLimit: false,
    ...options.engine,
  });
  const running = await serve(createHandshakeHandler(engine, { retryMs: 50 }), { port: 0 });
  const baseUrl = `${running.url}/`;
  const seen = new Set<string>();
  let stopped = false;
  let polling: Promise<void> | undefined;
  const person = options.person;
  const timer = person
    ? setInterval(() => {
        polling ??= (async () => {
          try {
            const pending = await engine.listApprovals({ status: 'pending' }, PERSON);
            for (const approval of pending) {
              if (stopped || seen.has(approval.approvalId)) continue;
              seen.add(approval.approvalId);
              const verdict = person(approval);
              if (!verdict) continue;
              await engine.decide(
                approval.approvalId,
                { ...verdict, paramsHash: approval.paramsHash, channel: 'console' },
                PERSON,
              );
            }
          } catch {
            // A decision that lost a race (decided in chat, expired) is no failure here.
          } finally {
            polling = undefined;
          }
        })();
      }, 20)
    : undefined;
  return {
    baseUrl,
    engine,
    client: createHandshakeClient({
      baseUrl,
      session: AGENT_SESSION,
      signer: { keyId: 'agent-key', privateKey: key.privateKey },
      waiter: { pollIntervalMs: 200 },
    }),
    chatApprover: createChatApprover({ baseUrl, credential: CHAT_APPROVER }),
    audit,
    secrets: [AGENT_SESSION, CHAT_APPROVER, PERSON, key.privateKey],
    async close() {
      stopped = true;
      if (timer) clearInterval(timer);
      await polling;
      await running.close();
    },
  };
}
