// A LangGraph agent on PayPal's tools, secured by the Handshake — all in one process:
// the toolkit's real code against a simulated PayPal, the service on a loopback port,
// a scripted chat model in place of a real one, and a simulated person who approves
// refunds within the spending limit and denies the others. A refund pauses the graph
// with an `interrupt`; the app resumes it once the person has decided.
import { createHandshakeTools, type HandshakeInterrupt } from '@handshake/agents/langchain';
import { refundScenario, reportLeaks, startSimulatedService } from '@handshake/agents/testing';
import { createSimulatedPayPal } from '@handshake/paypal/testing';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage, HumanMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import {
  Command,
  END,
  INTERRUPT,
  isInterrupted,
  MemorySaver,
  MessagesAnnotation,
  START,
  StateGraph,
} from '@langchain/langgraph';
import { ToolNode, toolsCondition } from '@langchain/langgraph/prebuilt';

const scenario = refundScenario((line) => console.log(line));

/** The model: asks for the tool its request names, then reports what the tool said. */
class ScriptedChatModel extends BaseChatModel {
  readonly received: BaseMessage[][] = [];

  _llmType(): string {
    return 'scripted';
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    this.received.push(messages);
    const last = messages.at(-1);
    let message: AIMessage;
    if (last?.getType() === 'tool') {
      const text = String(last.content);
      message = new AIMessage(
        /^[A-Z_]+: /.test(text) ? `I could not do that: ${text}` : 'It is done.',
      );
    } else {
      const planned = scenario.requests.find((entry) => entry.prompt === String(last?.content));
      if (!planned) throw new Error(`no script for ${String(last?.content)}`);
      const id = `call-${this.received.length}`;
      message = new AIMessage({
        content: '',
        tool_calls: [{ id, name: planned.tool, args: planned.input, type: 'tool_call' }],
      });
    }
    return { generations: [{ text: String(message.content), message }] };
  }

  // The calls are scripted; binding the tools changes nothing.
  override bindTools(): this {
    return this;
  }
}

const paypal = createSimulatedPayPal();
const service = await startSimulatedService({ tools: paypal.provider, ...scenario.service });

try {
  const model = new ScriptedChatModel({});
  // #region tools
  const { tools } = await createHandshakeTools(service.client, {
    tools: ['get_order', 'create_refund'],
    approval: 'interrupt',
  });
  const graph = new StateGraph(MessagesAnnotation)
    .addNode('agent', async (state) => ({
      messages: [await model.bindTools().invoke(state.messages)],
    }))
    .addNode('tools', new ToolNode(tools))
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', toolsCondition, ['tools', END])
    .addEdge('tools', 'agent')
    .compile({ checkpointer: new MemorySaver() });
  // #endregion tools

  let step = 0;
  for (const { prompt } of scenario.requests) {
    console.log(`${++step}. ${prompt}`);
    const thread = { configurable: { thread_id: `conversation-${step}` } };
    let state = await graph.invoke({ messages: [new HumanMessage(prompt)] }, thread);
    while (isInterrupted<HandshakeInterrupt>(state)) {
      for (const paused of state[INTERRUPT])
        console.log(`   the graph is interrupted: ${paused.value?.tool} waits for a person`);
      // The tool finds the person's decision on the service when the graph resumes.
      state = await graph.invoke(new Command({ resume: 'decided' }), thread);
    }
    for (const message of state.messages) {
      if (message.getType() === 'tool')
        console.log(`   ${message.name} answered ${String(message.content).slice(0, 100)}`);
    }
    console.log(`   model: ${String(state.messages.at(-1)?.content)}`);
  }

  reportLeaks(
    model.received.flat().map((message) => ({ role: message.getType(), content: message.content })),
    service.secrets,
  );
} finally {
  await service.close();
  paypal.close();
}
