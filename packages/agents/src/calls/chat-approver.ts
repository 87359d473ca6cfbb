import { type FetchLike, HandshakeError } from '@handshake/client';
import { type DecisionRequest, hashParams } from '@handshake/protocol';

/**
 * Options of {@link createChatApprover}.
 *
 * @example
 * ```ts
 * import type { ChatApproverOptions } from '@handshake/agents';
 *
 * const options: ChatApproverOptions = {
 *   baseUrl: 'https://handshake.example.com',
 *   credential: 'the-signed-in-person-s-own-approver-token',
 * };
 * ```
 */
export interface ChatApproverOptions {
  /** The service's base URL. */
  baseUrl: string | URL;
  /**
   * The signed-in person's own approver credential (a session with the scope
   * `handshake:approve:own`): it decides only that person's requests. Never the
   * agent's session.
   */
  credential: string | (() => string | Promise<string>);
  fetch?: FetchLike;
}

/**
 * One decision a person took in chat, on the call they were shown.
 *
 * @example
 * ```ts
 * import type { ChatDecision } from '@handshake/agents';
 *
 * const decision: ChatDecision = {
 *   approvalId: 'apr_0123456789abcdef_x',
 *   parameters: { capture_id: 'CAP-1', amount: { value: '25.00', currency_code: 'USD' } },
 *   approved: true,
 * };
 * ```
 */
export interface ChatDecision {
  approvalId: string;
  /** The parameters the person saw; the service refuses a decision for any others. */
  parameters: Record<string, unknown>;
  approved: boolean;
  reason?: string;
}

/**
 * Decides approvals on the service for the person signed in to a chat, recorded with
 * the channel `chat`. The service enforces who may decide what: a decision for
 * another user's request or for other parameters is refused (`FORBIDDEN`,
 * `TRANSACTION_MISMATCH`), as is a second decision.
 *
 * @example
 * ```ts
 * import type { ChatApprover } from '@handshake/agents';
 * declare const approver: ChatApprover;
 *
 * await approver.decide({ approvalId: 'apr_0123456789abcdef_x', parameters: { order_id: 'O-1' }, approved: false });
 * ```
 */
export interface ChatApprover {
  decide(decision: ChatDecision): Promise<void>;
}

/**
 * Creates a {@link ChatApprover} for the app's server, with the signed-in person's own
 * approver credential.
 *
 * @example
 * ```ts
 * import { createChatApprover } from '@handshake/agents';
 * declare function ownApproverToken(): Promise<string>; // of the person signed in
 *
 * const approver = createChatApprover({ baseUrl: 'https://handshake.example.com', credential: ownApproverToken });
 * ```
 */
export function createChatApprover(options: ChatApproverOptions): ChatApprover {
  const base = new URL(String(options.baseUrl));
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return {
    async decide(decision) {
      const credential =
        typeof options.credential === 'function' ? await options.credential() : options.credential;
      const body: DecisionRequest = {
        decision: decision.approved ? 'approve' : 'deny',
        paramsHash: hashParams(decision.parameters),
        channel: 'chat',
        ...(decision.reason ? { reason: decision.reason.slice(0, 500) } : {}),
      };
      const url = new URL(`approvals/${encodeURIComponent(decision.approvalId)}/decision`, base);
      let response: Response;
      try {
        response = await send(url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${credential}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: JSON.stringify(body),
        });
      } catch (error) {
        throw new HandshakeError('NETWORK_ERROR', `Decision failed: POST ${url.href}`, {
          cause: error,
        });
      }
      if (response.ok) {
        await response.body?.cancel();
        return;
      }
      const answer = (await response.json().catch(() => undefined)) as
        | { error?: { code?: string; message?: string } }
        | undefined;
      const code = answer?.error?.code;
      throw new HandshakeError(
        code && /^[A-Z_]+$/.test(code) ? (code as 'FORBIDDEN') : 'INTERNAL_ERROR',
        `Decision failed with ${code ?? response.status}: POST ${url.href} (${answer?.error?.message ?? 'no message'})`,
      );
    },
  };
}
