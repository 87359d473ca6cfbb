import { type HandshakeClient, HandshakeError } from '@handshake/client';
import { type FunctionTool, type RunState, type RunToolApprovalItem, tool } from '@openai/agents';
import {
  type CallSettings,
  inputSchemaOf,
  type PendingApproval,
  type StartedCall,
  toolSetup,
} from '../calls/calls.js';
import type { ChatApprover } from '../calls/chat-approver.js';
import { toModelRefusal } from '../calls/refusal.js';

/**
 * Options of {@link createHandshakeTools}.
 *
 * @example
 * ```ts
 * import type { HandshakeToolsOptions } from '@handshake/agents/openai-agents';
 *
 * const options: HandshakeToolsOptions = { tools: ['get_order', 'create_refund'], approval: 'interrupt' };
 * ```
 */
export interface HandshakeToolsOptions extends CallSettings {
  /**
   * `wait` (default): a call the service holds waits inside the tool for the person's
   * decision. `interrupt`: it becomes an interruption of the run; the app waits for
   * the decision ({@link HandshakeAgentTools.settle}) or takes it in chat
   * ({@link HandshakeAgentTools.decide}), then resumes the run with its state.
   */
  approval?: 'wait' | 'interrupt';
}

/**
 * The OpenAI Agents SDK's view of the service's tools.
 *
 * @example
 * ```ts
 * import { Agent } from '@openai/agents';
 * import type { HandshakeAgentTools } from '@handshake/agents/openai-agents';
 * declare const handshake: HandshakeAgentTools;
 *
 * const agent = new Agent({ name: 'Support', instructions: 'Help with orders.', tools: handshake.tools });
 * ```
 */
export interface HandshakeAgentTools {
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's own tool list type
  tools: FunctionTool<any, any, any>[];
  /** The call behind an interruption, when it is one of these tools waiting for a person. */
  pendingOf(item: RunToolApprovalItem): Promise<PendingApproval | undefined>;
  /**
   * Waits (over the client's SSE waiter) for the service's decision on each of the
   * run's interruptions that are these tools', and approves or rejects them in the
   * run's state accordingly. Answers the state to resume with `run(agent, state)`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any agent's run state
  settle<State extends RunState<any, any>>(result: {
    interruptions: RunToolApprovalItem[];
    state: State;
  }): Promise<State>;
  /**
   * Takes the signed-in person's decision in chat: decides on the service with their
   * own approver (which refuses another user's call or other parameters), then
   * approves or rejects the interruption in the run's state.
   */
  decide(
    // biome-ignore lint/suspicious/noExplicitAny: any agent's run state
    state: RunState<any, any>,
    item: RunToolApprovalItem,
    decision: { approved: boolean; reason?: string },
    approver: ChatApprover,
  ): Promise<void>;
}

/** The denial a rejected interruption hands the model. */
const DENIED = toModelRefusal(new HandshakeError('APPROVAL_DENIED', 'denied in chat')).text;

/**
 * Builds OpenAI Agents SDK function tools from the service's own catalog. Each
 * authorizes the exact call, waits for a person when the service asks (inside the
 * tool, or as an interruption), signs and executes; a refusal is the tool's output, a
 * short stable sentence for the model, never a URL or a token.
 *
 * @example
 * ```ts
 * import { createHandshakeClient } from '@handshake/client';
 * import { createHandshakeTools } from '@handshake/agents/openai-agents';
 * import { Agent, run } from '@openai/agents';
 *
 * const client = createHandshakeClient({ baseUrl: 'https://handshake.example.com', session: 'agent-session' });
 * const { tools } = await createHandshakeTools(client, { tools: ['get_order', 'create_refund'] });
 * const agent = new Agent({ name: 'Support', instructions: 'Help with orders.', tools });
 * const result = await run(agent, 'Refund capture CAP-1');
 * ```
 */
export async function createHandshakeTools(
  client: HandshakeClient,
  options: HandshakeToolsOptions = {},
): Promise<HandshakeAgentTools> {
  const { listed, names, pending, start, finish } = await toolSetup(client, options);
  const interrupt = options.approval === 'interrupt';

  const run = async (name: string, input: unknown, callId: string | undefined) => {
    try {
      const paused = callId === undefined ? undefined : await pending.get(callId);
      if (paused && callId !== undefined) await pending.delete(callId);
      const started = paused ?? (await start(name, input));
      if (started.status === 'pending' && !paused) options.onPending?.(started.approval);
      return JSON.stringify(await finish(started));
    } catch (error) {
      return toModelRefusal(error).text;
    }
  };

  const tools = listed.map((listing) =>
    tool({
      name: listing.name,
      description: listing.description,
      parameters: inputSchemaOf(listing) as never,
      strict: false,
      execute: (input, _context, details) => run(listing.name, input, details?.toolCall?.callId),
      ...(interrupt
        ? {
            needsApproval: async (_context: unknown, input: unknown, callId?: string) => {
              if (callId === undefined) return false;
              let started: StartedCall;
              try {
                started = await start(listing.name, input);
              } catch {
                return false; // execution authorizes again and reports the refusal
              }
              await pending.set(callId, started);
              if (started.status === 'authorized') return false;
              options.onPending?.(started.approval);
              return true;
            },
          }
        : {}),
    }),
  );

  const pendingOf = async (item: RunToolApprovalItem) => {
    const raw = item.rawItem;
    if (raw.type !== 'function_call' || !names.has(raw.name)) return undefined;
    const started = await pending.get(raw.callId);
    return started?.status === 'pending' ? started.approval : undefined;
  };

  return {
    tools,
    pendingOf,
    async settle(result) {
      for (const item of result.interruptions) {
        const approval = await pendingOf(item);
        if (!approval) continue;
        try {
          await client.waitForApproval(approval.approvalId, {
            ...(options.approvalTimeoutMs !== undefined
              ? { timeoutMs: options.approvalTimeoutMs }
              : {}),
          });
          result.state.approve(item);
        } catch (error) {
          result.state.reject(item, { message: toModelRefusal(error).text });
        }
      }
      return result.state;
    },
    async decide(state, item, decision, approver) {
      const approval = await pendingOf(item);
      const raw = item.rawItem;
      if (!approval || raw.type !== 'function_call') {
        throw new TypeError('The interruption is not a Handshake call waiting for a person');
      }
      await approver.decide({
        approvalId: approval.approvalId,
        parameters: JSON.parse(raw.arguments) as Record<string, unknown>,
        approved: decision.approved,
        ...(decision.reason ? { reason: decision.reason } : {}),
      });
      if (decision.approved) {
        state.approve(item);
      } else {
        state.reject(item, { message: DENIED });
        await pending.delete(raw.callId);
      }
    },
  };
}
