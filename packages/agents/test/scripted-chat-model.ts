// A scripted chat model for LangChain: LangChain's own BaseChatModel answering each
// call with the next scripted message, and remembering every conversation it was sent.
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';

export class ScriptedChatModel extends BaseChatModel {
  readonly received: BaseMessage[][] = [];
  readonly #script: AIMessage[];

  constructor(script: AIMessage[]) {
    super({});
    this.#script = [...script];
  }

  _llmType(): string {
    return 'scripted';
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    this.received.push(messages);
    const message = this.#script.shift() ?? new AIMessage('Done.');
    return {
      generations: [{ text: typeof message.content === 'string' ? message.content : '', message }],
    };
  }

  // The tools are scripted already; binding them changes nothing.
  override bindTools(): this {
    return this;
  }
}

export const toolCall = (name: string, args: Record<string, unknown>, id = 'call-1') =>
  new AIMessage({ content: '', tool_calls: [{ id, name, args, type: 'tool_call' }] });

/** Every message the model was sent, as role and content. */
export const receivedBy = (model: ScriptedChatModel) =>
  model.received.flat().map((message) => ({ role: message.getType(), content: message.content }));
