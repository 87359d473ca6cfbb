import type { HandshakeClient } from '@handshake/client';
import { type DynamicStructuredTool, tool } from '@langchain/core/tools';
import { interrupt } from '@langchain/langgraph';
import { type CallSettings, inputSchemaOf, type StartedCall, toolSetup } from '../calls/calls.js';
import type { ChatApprover } from '../calls/chat-approver.js';
import { toModelRefusal } from '../calls/refusal.js';

/**
 * Options of {@link createHandshakeTools}.
 *
 * @example
 * ```ts
 * import type { HandshakeToolsOptions } from '@handshake/agents/langchain';
 *
 * const options: HandshakeToolsOptions = { tools: ['get_order', 'create_refund'], approval: 'interrupt' };
 * ```
 */
export interface HandshakeToolsOptions extends CallSettings {
  /**
   * `wait` (default): a call the service holds waits inside the tool for the person's
   * decision. `interrupt`: it raises a LangGraph `interrupt` with a
   * {@link HandshakeInterrupt}; resume the graph (`new Command({ resume: … })`) once a
   * person decided, in the console or in chat ({@link HandshakeLangChainTools.decide}).
   * The graph needs a checkpointer, and the tools must run in a graph node.
   */
  approval?: 'wait' | 'interrupt';
}

/**
 * The value of the `interrupt` a tool raises while a person decides. Carries no token
 * and no URL.
 *
 * @example
 * ```ts
 * import type { HandshakeInterrupt } from '@handshake/agents/langchain';
 *
 * const show = (value: HandshakeInterrupt) => `Approve ${value.tool} with ${JSON.stringify(value.parameters)}?`;
 * ```
 */
export interface HandshakeInterrupt {
  type: 'handshake_approval';
  approvalId: string;
  tool: string;
  parameters: Record<string, unknown>;
  expiresAt: string;
}

/**
 * LangChain's view of the service's tools.
 *
 * @example
 * ```ts
 * import { ToolNode } from '@langchain/langgraph/prebuilt';
 * import type { HandshakeLangChainTools } from '@handshake/agents/langchain';
 * declare const handshake: HandshakeLangChainTools;
 *
 * const toolNode = new ToolNode(handshake.tools);
 * ```
 */
export interface HandshakeLangChainTools {
  tools: DynamicStructuredTool[];
  /**
   * Takes the signed-in person's decision on an interrupt in chat, on the service
   * with their own approver (which refuses another user's call or other parameters).
   * Resume the graph afterwards: the tool then finds the decision on the service.
   */
  decide(
    value: HandshakeInterrupt,
    decision: { approved: boolean; reason?: string },
    approver: ChatApprover,
  ): Promise<void>;
}

/**
 * Builds LangChain tools from the service's own catalog (name, description, JSON
 * Schema input). Each authorizes the exact call, waits for a person when the service
 * asks (inside the tool, or as a LangGraph `interrupt`), signs and executes; a refusal
 * is the tool's output, a short stable sentence for the model, never a URL or a token.
 *
 * @example
 * ```ts
 * import { createHandshakeClient } from '@handshake/client';
 * import { createHandshakeTools } from '@handshake/agents/langchain';
 * import { ToolNode } from '@langchain/langgraph/prebuilt';
 *
 * const client = createHandshakeClient({ baseUrl: 'https://handshake.example.com', session: 'agent-session' });
 * const { tools } = await createHandshakeTools(client, { tools: ['get_order', 'create_refund'] });
 * const toolNode = new ToolNode(tools);
 * ```
 */
export async function createHandshakeTools(
  client: HandshakeClient,
  options: HandshakeToolsOptions = {},
): Promise<HandshakeLangChainTools> {
  const { listed, pending, start, finish } = await toolSetup(client, options);
  const interrupting = options.approval === 'interrupt';

  const tools = listed.map((listing) =>
    tool(
      async (input: unknown, config) => {
        const callId = config?.toolCall?.id;
        let started: StartedCall;
        let paused = false;
        try {
          const kept = interrupting && callId ? await pending.get(callId) : undefined;
          paused = kept !== undefined;
          started = kept ?? (await start(listing.name, input, config?.signal));
        } catch (error) {
          return toModelRefusal(error).text;
        }
        if (started.status === 'pending') {
          if (!paused) options.onPending?.(started.approval);
          if (interrupting && callId) {
            if (!paused) await pending.set(callId, started);
            const { approvalId, tool: name, parameters, expiresAt } = started.approval;
            // Throws to pause the graph the first time; answers the resume value after.
            // The value decides nothing: the service's decision does.
            interrupt<HandshakeInterrupt>({
              type: 'handshake_approval',
              approvalId,
              tool: name,
              parameters,
              expiresAt,
            });
            await pending.delete(callId);
          }
        }
        try {
          return JSON.stringify(await finish(started, config?.signal));
        } catch (error) {
          return toModelRefusal(error).text;
        }
      },
      {
        name: listing.name,
        description: listing.description,
        schema: inputSchemaOf(listing) as Record<string, never>,
      },
    ),
  ) as unknown as DynamicStructuredTool[];

  return {
    tools,
    async decide(value, decision, approver) {
      await approver.decide({
        approvalId: value.approvalId,
        parameters: value.parameters,
        approved: decision.approved,
        ...(decision.reason ? { reason: decision.reason } : {}),
      });
    },
  };
}
