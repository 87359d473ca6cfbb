// The LangChain adapter in a real LangGraph graph (ToolNode, checkpointer, interrupt)
// with a scripted chat model, against the real service over loopback HTTP.
import { AIMessage, HumanMessage } from '@langchain/core/messages';
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
import { afterEach, describe, expect, it } from 'vitest';
import { expectNothingSecret, refund, serviceFixture } from '../../test/fixtures.js';
import { receivedBy, ScriptedChatModel, toolCall } from '../../test/scripted-chat-model.js';
import { createHandshakeTools, type HandshakeInterrupt } from './tools.js';

const fixture = serviceFixture();
const start = fixture.start;
afterEach(() => fixture.stop());

function agentGraph(model: ScriptedChatModel, tools: ConstructorParameters<typeof ToolNode>[0]) {
  return new StateGraph(MessagesAnnotation)
    .addNode('agent', async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addNode('tools', new ToolNode(tools))
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', toolsCondition, ['tools', END])
    .addEdge('tools', 'agent')
    .compile({ checkpointer: new MemorySaver() });
}

/** What the last tool message the model was sent says. */
const lastToolOutput = (model: ScriptedChatModel) =>
  receivedBy(model)
    .filter((message) => message.role === 'tool')
    .at(-1)?.content;

const thread = (id: string) => ({ configurable: { thread_id: id } });

describe('createHandshakeTools (LangChain)', () => {
  it('builds tools from the catalog, and a read runs at once', async () => {
    const { service, runs } = await start();
    const { tools } = await createHandshakeTools(service.client, { tools: ['get_order'] });
    expect(tools.map((tool) => tool.name)).toEqual(['get_order']);
    const model = new ScriptedChatModel([
      toolCall('get_order', { id: 'O-1' }),
      new AIMessage('Shipped.'),
    ]);
    await agentGraph(model, tools).invoke(
      { messages: [new HumanMessage('Where is O-1?')] },
      thread('read'),
    );
    expect(runs).toEqual([{ tool: 'get_order', parameters: { id: 'O-1' } }]);
    expect(lastToolOutput(model)).toBe(JSON.stringify({ id: 'O-1', status: 'COMPLETED' }));
    expectNothingSecret(receivedBy(model), service.secrets);
  });

  it('a refund waits in the tool for a person, who approves it, then runs once', async () => {
    const { service, runs } = await start('approve');
    const { tools } = await createHandshakeTools(service.client);
    const model = new ScriptedChatModel([
      toolCall('create_refund', refund),
      new AIMessage('Refunded.'),
    ]);
    await agentGraph(model, tools).invoke(
      { messages: [new HumanMessage('Refund CAP-1')] },
      thread('wait'),
    );
    expect(runs).toEqual([{ tool: 'create_refund', parameters: refund }]);
    expect(lastToolOutput(model)).toBe(JSON.stringify({ id: 'REFUND-1', status: 'COMPLETED' }));
    expectNothingSecret(receivedBy(model), service.secrets);
  });

  it('a denial reaches the model as a denial', async () => {
    const { service, runs } = await start('deny');
    const { tools } = await createHandshakeTools(service.client);
    const model = new ScriptedChatModel([
      toolCall('create_refund', refund),
      new AIMessage('Denied.'),
    ]);
    await agentGraph(model, tools).invoke(
      { messages: [new HumanMessage('Refund CAP-1')] },
      thread('deny'),
    );
    expect(runs).toEqual([]);
    expect(lastToolOutput(model)).toBe(
      'APPROVAL_DENIED: A person denied this call. Do not retry it; tell the user it was denied.',
    );
    expectNothingSecret(receivedBy(model), service.secrets);
  });
});

describe('LangGraph interrupt', () => {
  async function interrupted(person?: 'approve' | 'deny') {
    const started = await start(person);
    const handshake = await createHandshakeTools(started.service.client, { approval: 'interrupt' });
    const model = new ScriptedChatModel([
      toolCall('create_refund', refund),
      new AIMessage('Finished.'),
    ]);
    const graph = agentGraph(model, handshake.tools);
    const first = await graph.invoke({ messages: [new HumanMessage('Refund CAP-1')] }, thread('t'));
    if (!isInterrupted<HandshakeInterrupt>(first)) throw new Error('not interrupted');
    const value = first[INTERRUPT][0]?.value;
    if (!value) throw new Error('no interrupt value');
    expect(value).toMatchObject({
      type: 'handshake_approval',
      tool: 'create_refund',
      parameters: refund,
    });
    expect(JSON.stringify(value)).not.toMatch(/https?:|hset_/);
    return { ...started, handshake, model, graph, value };
  }

  it('pauses the graph; resumed after the person approved out of band, the refund runs once', async () => {
    const { service, runs, model, graph } = await interrupted('approve');
    expect(runs).toEqual([]);
    await graph.invoke(new Command({ resume: { approved: true } }), thread('t'));
    expect(runs).toEqual([{ tool: 'create_refund', parameters: refund }]);
    expectNothingSecret(receivedBy(model), service.secrets);
  });

  it('a decision in chat is decided on the service as chat; a denial reaches the model', async () => {
    const { service, runs, handshake, model, graph, value } = await interrupted();
    await handshake.decide(value, { approved: false }, service.chatApprover);
    // Resuming with "approved" changes nothing: the service's decision is the one that counts.
    await graph.invoke(new Command({ resume: { approved: true } }), thread('t'));
    expect(runs).toEqual([]);
    expect(lastToolOutput(model)).toContain('APPROVAL_DENIED');
    await service.engine.flushAudit();
    expect(service.audit.events).toContainEqual(
      expect.objectContaining({ type: 'approval.decided', outcome: 'denied', channel: 'chat' }),
    );
    expectNothingSecret(receivedBy(model), service.secrets);
  });

  it('an approval in chat for changed parameters is refused by the service', async () => {
    const { service, runs, handshake, value } = await interrupted();
    const changed = {
      ...value,
      parameters: { ...refund, amount: { value: '2500.00', currency_code: 'USD' } },
    };
    await expect(
      handshake.decide(changed, { approved: true }, service.chatApprover),
    ).rejects.toMatchObject({
      code: 'TRANSACTION_MISMATCH',
    });
    expect(runs).toEqual([]);
  });
});
