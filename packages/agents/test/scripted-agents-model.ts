// A scripted model for the OpenAI Agents SDK: it answers each request with the next
// scripted output and remembers every request it received.
import type { AgentOutputItem, Model, ModelRequest, ModelResponse } from '@openai/agents';
import { Usage } from '@openai/agents';

export const functionCall = (name: string, input: unknown, callId = 'call-1'): AgentOutputItem => ({
  type: 'function_call',
  callId,
  name,
  arguments: JSON.stringify(input),
  status: 'completed',
});

export const message = (text: string): AgentOutputItem => ({
  type: 'message',
  role: 'assistant',
  status: 'completed',
  content: [{ type: 'output_text', text }],
});

export class ScriptedModel implements Model {
  readonly received: ModelRequest[] = [];
  readonly #steps: AgentOutputItem[][];

  constructor(steps: AgentOutputItem[][]) {
    this.#steps = [...steps];
  }

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.received.push(request);
    return { usage: new Usage(), output: this.#steps.shift() ?? [message('Done.')] };
  }

  // biome-ignore lint/correctness/useYield: the examples and tests never stream
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('the scripted model does not stream');
  }
}

/** What the model received, without the tracing handle. */
export const receivedBy = (model: ScriptedModel) =>
  model.received.map(({ input, systemInstructions, tools }) => ({
    input,
    systemInstructions,
    tools,
  }));
