// The OpenAI Agents SDK adapter against the real `@openai/agents` (a scripted model in
// place of OpenAI's) and the real service over loopback HTTP.
import { Agent, run, setTracingDisabled } from '@openai/agents';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectNothingSecret, refund, serviceFixture } from '../../test/fixtures.js';
import {
  functionCall,
  message,
  receivedBy,
  ScriptedModel,
} from '../../test/scripted-agents-model.js';
import { createHandshakeTools } from './tools.js';

beforeAll(() => setTracingDisabled(true));

const fixture = serviceFixture();
const start = fixture.start;
afterEach(() => fixture.stop());

/** The output of each function call the model was shown. */
const toolOutputs = (model: ScriptedModel) => {
  const input = model.received.at(-1)?.input ?? [];
  return (typeof input === 'string' ? [] : input).flatMap((item) =>
    item.type === 'function_call_result' ? [item.output] : [],
  );
};
const text = (value: string) => ({ type: 'text', text: value });

const agentWith = (
  tools: Awaited<ReturnType<typeof createHandshakeTools>>['tools'],
  model: ScriptedModel,
) => new Agent({ name: 'Support', instructions: 'Help with orders.', tools, model });

describe('createHandshakeTools (OpenAI Agents SDK)', () => {
  it('builds function tools from the catalog, and a read runs at once', async () => {
    const { service, runs } = await start();
    const { tools } = await createHandshakeTools(service.client, { tools: ['get_order'] });
    expect(tools.map((tool) => tool.name)).toEqual(['get_order']);
    const model = new ScriptedModel([
      [functionCall('get_order', { id: 'O-1' })],
      [message('Shipped.')],
    ]);
    const result = await run(agentWith(tools, model), 'Where is O-1?');
    expect(result.finalOutput).toBe('Shipped.');
    expect(runs).toEqual([{ tool: 'get_order', parameters: { id: 'O-1' } }]);
    expect(toolOutputs(model)).toEqual([text(JSON.stringify({ id: 'O-1', status: 'COMPLETED' }))]);
    expectNothingSecret(receivedBy(model), service.secrets);
  });

  it('a refund waits inside the tool for a person, who approves it, then runs once', async () => {
    const { service, runs } = await start('approve');
    const { tools } = await createHandshakeTools(service.client);
    const model = new ScriptedModel([
      [functionCall('create_refund', refund)],
      [message('Refunded.')],
    ]);
    await run(agentWith(tools, model), 'Refund CAP-1');
    expect(runs).toEqual([{ tool: 'create_refund', parameters: refund }]);
    expect(toolOutputs(model)).toEqual([
      text(JSON.stringify({ id: 'REFUND-1', status: 'COMPLETED' })),
    ]);
    expectNothingSecret(receivedBy(model), service.secrets);
  });

  it('a denial reaches the model as a denial', async () => {
    const { service, runs } = await start('deny');
    const { tools } = await createHandshakeTools(service.client);
    const model = new ScriptedModel([
      [functionCall('create_refund', refund)],
      [message('Denied.')],
    ]);
    await run(agentWith(tools, model), 'Refund CAP-1');
    expect(runs).toEqual([]);
    expect(toolOutputs(model)).toEqual([
      text(
        'APPROVAL_DENIED: A person denied this call. Do not retry it; tell the user it was denied.',
      ),
    ]);
    expectNothingSecret(receivedBy(model), service.secrets);
  });
});

describe('interruptions', () => {
  async function interrupted(person?: 'approve' | 'deny', approvalTimeoutMs?: number) {
    const started = await start(person);
    const handshake = await createHandshakeTools(started.service.client, {
      approval: 'interrupt',
      ...(approvalTimeoutMs ? { approvalTimeoutMs } : {}),
    });
    const model = new ScriptedModel([
      [functionCall('create_refund', refund)],
      [message('Finished.')],
    ]);
    const agent = agentWith(handshake.tools, model);
    const first = await run(agent, 'Refund CAP-1');
    expect(first.interruptions).toHaveLength(1);
    const item = first.interruptions[0];
    if (!item) throw new Error('no interruption');
    expect(await handshake.pendingOf(item)).toMatchObject({
      tool: 'create_refund',
      parameters: refund,
    });
    return { ...started, handshake, model, agent, first, item };
  }

  it('settle waits for the person’s out-of-band approval, and the resumed run executes once', async () => {
    const { service, runs, handshake, model, agent, first } = await interrupted('approve');
    expect(runs).toEqual([]);
    const resumed = await run(agent, await handshake.settle(first));
    expect(resumed.finalOutput).toBe('Finished.');
    expect(runs).toEqual([{ tool: 'create_refund', parameters: refund }]);
    expectNothingSecret(receivedBy(model), service.secrets);
  });

  it('a person’s decision in chat is decided on the service, recorded as chat, then resumed', async () => {
    const { service, runs, handshake, agent, first, item } = await interrupted();
    await handshake.decide(first.state, item, { approved: true }, service.chatApprover);
    await run(agent, first.state);
    expect(runs).toEqual([{ tool: 'create_refund', parameters: refund }]);
    await service.engine.flushAudit();
    expect(service.audit.events).toContainEqual(
      expect.objectContaining({ type: 'approval.decided', decidedBy: 'alice', channel: 'chat' }),
    );
  });

  it('a denial in chat reaches the model as a denial, and nothing runs', async () => {
    const { service, runs, handshake, model, agent, first, item } = await interrupted();
    await handshake.decide(first.state, item, { approved: false }, service.chatApprover);
    await run(agent, first.state);
    expect(runs).toEqual([]);
    expect(JSON.stringify(toolOutputs(model))).toContain(
      'APPROVAL_DENIED: A person denied this call.',
    );
    expectNothingSecret(receivedBy(model), service.secrets);
  });

  it('approving the interruption in the SDK alone runs nothing: the service still waits for a person', async () => {
    const { service, runs, agent, first, item, model } = await interrupted(undefined, 300);
    first.state.approve(item);
    await run(agent, first.state);
    expect(runs).toEqual([]);
    expect(JSON.stringify(toolOutputs(model))).toContain('TIMEOUT: The call is still waiting');
    expectNothingSecret(receivedBy(model), service.secrets);
  });
});
