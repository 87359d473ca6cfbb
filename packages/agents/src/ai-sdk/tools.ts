import type { HandshakeClient } from '@handshake/client';
import { hashParams } from '@handshake/protocol';
import {
  dynamicTool,
  jsonSchema,
  type ModelMessage,
  type ToolApprovalConfiguration,
  type ToolSet,
} from 'ai';
import {
  type CallSettings,
  inputSchemaOf,
  refusing,
  type StartedCall,
  toolSetup,
} from '../calls/calls.js';
import type { ChatApprover } from '../calls/chat-approver.js';
import { HandshakeToolRefusal } from '../calls/refusal.js';

/**
 * Options of {@link createHandshakeTools}.
 *
 * @example
 * ```ts
 * import type { HandshakeToolsOptions } from '@handshake/agents/ai-sdk';
 *
 * const options: HandshakeToolsOptions = {
 *   tools: ['get_order', 'create_refund'],
 *   onPending: (approval) => console.log(`approve ${approval.tool} in the console`),
 * };
 * ```
 */
export interface HandshakeToolsOptions extends CallSettings {}

/**
 * What the preliminary output of a tool says while a person decides: the AI SDK's
 * pending state. Shown to the app's interface, never sent to the model.
 *
 * @example
 * ```ts
 * import type { PendingOutput } from '@handshake/agents/ai-sdk';
 *
 * const isPending = (output: unknown): output is PendingOutput =>
 *   typeof output === 'object' && output !== null && (output as PendingOutput).status === 'pending';
 * ```
 */
export interface PendingOutput {
  status: 'pending';
  tool: string;
  approvalId: string;
  expiresAt: string;
}

/**
 * The AI SDK's view of the service's tools.
 *
 * @example
 * ```ts
 * import { generateText, type LanguageModel } from 'ai';
 * import type { HandshakeTools } from '@handshake/agents/ai-sdk';
 * declare const handshake: HandshakeTools;
 * declare const model: LanguageModel;
 *
 * await generateText({ model, tools: handshake.tools, prompt: 'Refund order O-1' });
 * ```
 */
export interface HandshakeTools {
  /** One tool per catalog entry; each authorizes, waits, signs and executes on the service. */
  tools: ToolSet;
  /**
   * Opt-in in-chat approval: pass as `toolApproval` to `generateText`/`streamText`. A
   * call the service holds for a person becomes the AI SDK's tool-approval request;
   * the app's server turns the answer into a decision with {@link applyApprovalResponses}.
   */
  toolApproval: ToolApprovalConfiguration<ToolSet, unknown>;
  /**
   * Decides, on the service, each pending call the messages hold a
   * `tool-approval-response` for, with the signed-in person's own approver: the
   * parameters are those of the tool call in the messages, so a response for changed
   * parameters, another user's call or another approval is refused by the service.
   * Call it before `generateText` on the request that carries the responses.
   */
  applyApprovalResponses(
    messages: readonly ModelMessage[],
    approver: ChatApprover,
  ): Promise<number>;
}

/**
 * Builds AI SDK tools from the service's own catalog (name, description, JSON Schema
 * input). Each tool authorizes the exact call, waits for a person when the service
 * asks (a preliminary {@link PendingOutput}, then the SSE waiter), signs and executes.
 * A refusal reaches the model as a tool error whose text is the short, stable
 * refusal: never a URL or a token.
 *
 * @example
 * ```ts
 * import { createHandshakeClient } from '@handshake/client';
 * import { createHandshakeTools } from '@handshake/agents/ai-sdk';
 * import { generateText, type LanguageModel } from 'ai';
 * declare const model: LanguageModel;
 *
 * const client = createHandshakeClient({ baseUrl: 'https://handshake.example.com', session: 'agent-session' });
 * const { tools } = await createHandshakeTools(client, { tools: ['get_order', 'create_refund'] });
 * const result = await generateText({ model, tools, prompt: 'Refund capture CAP-1' });
 * ```
 */
export async function createHandshakeTools(
  client: HandshakeClient,
  options: HandshakeToolsOptions = {},
): Promise<HandshakeTools> {
  const { listed, names, pending, start, finish } = await toolSetup(client, options);

  const tools: ToolSet = {};
  for (const listing of listed) {
    const name = listing.name;
    tools[name] = dynamicTool({
      description: listing.description,
      inputSchema: jsonSchema(inputSchemaOf(listing) as Parameters<typeof jsonSchema>[0]),
      async *execute(input, { toolCallId, abortSignal }) {
        const paused = await pending.get(toolCallId);
        if (paused) await pending.delete(toolCallId);
        const started = paused ?? (await refusing(() => start(name, input, abortSignal)));
        const authorized =
          started.status === 'authorized' ? started.parameters : started.approval.parameters;
        if (paused && hashParams(authorized) !== hashParams(input)) {
          throw new HandshakeToolRefusal({
            code: 'TRANSACTION_MISMATCH',
            message: 'The call did not match what was authorized and did not run.',
            next: 'Do not retry; tell the user.',
            text: 'TRANSACTION_MISMATCH: The call did not match what was authorized and did not run. Do not retry; tell the user.',
          });
        }
        if (started.status === 'pending' && !paused) {
          options.onPending?.(started.approval);
          const waiting: PendingOutput = {
            status: 'pending',
            tool: name,
            approvalId: started.approval.approvalId,
            expiresAt: started.approval.expiresAt,
          };
          yield waiting;
        }
        yield await refusing(() => finish(started, abortSignal));
      },
    });
  }

  const toolApproval: ToolApprovalConfiguration<ToolSet, unknown> = async ({ toolCall }) => {
    if (!names.has(toolCall.toolName)) return undefined;
    let started: StartedCall;
    try {
      started = await start(toolCall.toolName, toolCall.input);
    } catch {
      // The tool's own execution authorizes again and reports the refusal to the model.
      return 'not-applicable';
    }
    await pending.set(toolCall.toolCallId, started);
    if (started.status === 'authorized') return 'not-applicable';
    options.onPending?.(started.approval);
    return { type: 'user-approval', reason: `The service holds ${toolCall.toolName} for a person` };
  };

  return {
    tools,
    toolApproval,
    async applyApprovalResponses(messages, approver) {
      const requests = new Map<string, string>();
      const calls = new Map<string, unknown>();
      const responses: Array<{ approvalId: string; approved: boolean; reason?: string }> = [];
      for (const message of messages) {
        if (typeof message.content === 'string') continue;
        for (const part of message.content) {
          if (part.type === 'tool-call') calls.set(part.toolCallId, part.input);
          if (part.type === 'tool-approval-request') requests.set(part.approvalId, part.toolCallId);
          if (part.type === 'tool-approval-response') responses.push(part);
        }
      }
      let decided = 0;
      for (const response of responses) {
        const toolCallId = requests.get(response.approvalId);
        const started = toolCallId === undefined ? undefined : await pending.get(toolCallId);
        if (toolCallId === undefined || started?.status !== 'pending') continue;
        const input = calls.get(toolCallId);
        await approver.decide({
          approvalId: started.approval.approvalId,
          parameters: (typeof input === 'object' && input !== null ? input : {}) as Record<
            string,
            unknown
          >,
          approved: response.approved,
          ...(response.reason ? { reason: response.reason } : {}),
        });
        // A denied call is never executed by the SDK: nothing will resume it.
        if (!response.approved) await pending.delete(toolCallId);
        decided += 1;
      }
      return decided;
    },
  };
}
