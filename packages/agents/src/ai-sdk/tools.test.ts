// The AI SDK adapter against the real `ai` package (its mock language model) and the
// real service over loopback HTTP.
import { generateText, type ModelMessage } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { afterEach, describe, expect, it } from 'vitest';
import { expectNothingSecret, refund, serviceFixture } from '../../test/fixtures.js';
import type { PendingApproval } from '../calls/calls.js';
import { createHandshakeTools } from './tools.js';

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
};
const callTool = (toolName: string, input: unknown, toolCallId = 'call-1') => ({
  content: [{ type: 'tool-call' as const, toolCallId, toolName, input: JSON.stringify(input) }],
  finishReason: { unified: 'tool-calls' as const, raw: undefined },
  usage,
  warnings: [],
});
const say = (text: string) => ({
  content: [{ type: 'text' as const, text }],
  finishReason: { unified: 'stop' as const, raw: undefined },
  usage,
  warnings: [],
});
/** A scripted model: the given tool call, then a closing sentence. */
const scripted = (toolName: string, input: unknown) =>
  new MockLanguageModelV4({ doGenerate: [callTool(toolName, input), say('Done.')] });

const fixture = serviceFixture();
const start = fixture.start;
afterEach(() => fixture.stop());

/** The tool results the model was last shown. */
const toolOutputs = (model: MockLanguageModelV4) =>
  (model.doGenerateCalls.at(-1)?.prompt ?? []).flatMap((message) =>
    message.role === 'tool'
      ? message.content.flatMap((part) => (part.type === 'tool-result' ? [part.output] : []))
      : [],
  );

describe('createHandshakeTools (AI SDK)', () => {
  it('builds the tools from the service catalog, and a read runs at once', async () => {
    const { service, runs } = await start();
    const { tools } = await createHandshakeTools(service.client, { tools: ['get_order'] });
    expect(Object.keys(tools)).toEqual(['get_order']);
    expect(tools.get_order?.description).toBe('Read an order by id.');
    const model = scripted('get_order', { id: 'O-1' });
    await generateText({
      model,
      tools,
      prompt: 'Where is order O-1?',
      stopWhen: () => false,
    });
    expect(runs).toEqual([{ tool: 'get_order', parameters: { id: 'O-1' } }]);
    expect(toolOutputs(model)).toEqual([
      { type: 'json', value: { id: 'O-1', status: 'COMPLETED' } },
    ]);
    expectNothingSecret(
      model.doGenerateCalls.map((call) => call.prompt),
      service.secrets,
    );
  });

  it('a refund waits for a person, who approves it out of band, then runs once', async () => {
    const { service, runs } = await start('approve');
    const pending: PendingApproval[] = [];
    const { tools } = await createHandshakeTools(service.client, {
      onPending: (approval) => pending.push(approval),
    });
    const model = scripted('create_refund', refund);
    await generateText({
      model,
      tools,
      prompt: 'Refund CAP-1',
      stopWhen: () => false,
    });
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ tool: 'create_refund', parameters: refund });
    expect(runs).toEqual([{ tool: 'create_refund', parameters: refund }]);
    expect(toolOutputs(model)).toEqual([
      { type: 'json', value: { id: 'REFUND-1', status: 'COMPLETED' } },
    ]);
    await service.engine.flushAudit();
    expect(service.audit.events).toContainEqual(
      expect.objectContaining({
        type: 'approval.decided',
        outcome: 'approved',
        channel: 'console',
      }),
    );
    expectNothingSecret(
      model.doGenerateCalls.map((call) => call.prompt),
      service.secrets,
    );
  });

  it('a denial reaches the model as a denial, without the reason’s URL or token', async () => {
    const { service, runs } = await start('deny');
    const { tools } = await createHandshakeTools(service.client);
    const model = scripted('create_refund', refund);
    await generateText({
      model,
      tools,
      prompt: 'Refund CAP-1',
      stopWhen: () => false,
    });
    expect(runs).toEqual([]);
    expect(toolOutputs(model)).toEqual([
      {
        type: 'error-text',
        value:
          'APPROVAL_DENIED: A person denied this call. Do not retry it; tell the user it was denied.',
      },
    ]);
    expectNothingSecret(
      model.doGenerateCalls.map((call) => call.prompt),
      service.secrets,
    );
  });

  it('shows the pending state as a preliminary output while a person decides', async () => {
    const { service } = await start('approve');
    const { tools } = await createHandshakeTools(service.client);
    const execute = tools.create_refund?.execute;
    if (!execute) throw new Error('no execute');
    const outputs: unknown[] = [];
    for await (const output of execute(refund, {
      toolCallId: 'c',
      messages: [],
      context: {},
    }) as AsyncIterable<unknown>) {
      outputs.push(output);
    }
    expect(outputs[0]).toMatchObject({ status: 'pending', tool: 'create_refund' });
    expect(outputs[1]).toEqual({ id: 'REFUND-1', status: 'COMPLETED' });
  });
});

describe('in-chat approval with the AI SDK’s tool approval', () => {
  async function requestApproval() {
    const started = await start();
    const handshake = await createHandshakeTools(started.service.client);
    const model = new MockLanguageModelV4({
      doGenerate: [callTool('create_refund', refund), say('Refunded.')],
    });
    const first = await generateText({
      model,
      tools: handshake.tools,
      toolApproval: handshake.toolApproval,
      prompt: 'Refund CAP-1',
    });
    const request = first.content.find((part) => part.type === 'tool-approval-request');
    if (request?.type !== 'tool-approval-request') throw new Error('no approval request');
    return { ...started, handshake, model, first, request };
  }

  const answer = (approvalId: string, approved: boolean): ModelMessage => ({
    role: 'tool',
    content: [{ type: 'tool-approval-response', approvalId, approved }],
  });

  it('the person approves in chat: decided on the service as chat, then executed once', async () => {
    const { service, runs, handshake, model, first, request } = await requestApproval();
    expect(runs).toEqual([]);
    const messages: ModelMessage[] = [
      { role: 'user', content: 'Refund CAP-1' },
      ...first.response.messages,
      answer(request.approvalId, true),
    ];
    expect(await handshake.applyApprovalResponses(messages, service.chatApprover)).toBe(1);
    await generateText({ model, tools: handshake.tools, messages });
    expect(runs).toEqual([{ tool: 'create_refund', parameters: refund }]);
    expect(toolOutputs(model)).toEqual([
      { type: 'json', value: { id: 'REFUND-1', status: 'COMPLETED' } },
    ]);
    await service.engine.flushAudit();
    expect(service.audit.events).toContainEqual(
      expect.objectContaining({ type: 'approval.decided', decidedBy: 'alice', channel: 'chat' }),
    );
    expectNothingSecret(
      model.doGenerateCalls.map((call) => call.prompt),
      service.secrets,
    );
  });

  it('a response for changed parameters is refused by the service, and nothing runs', async () => {
    const { service, runs, handshake, first, request } = await requestApproval();
    const tampered = first.response.messages.map((message) =>
      message.role === 'assistant' && typeof message.content !== 'string'
        ? {
            ...message,
            content: message.content.map((part) =>
              part.type === 'tool-call'
                ? {
                    ...part,
                    input: { ...refund, amount: { value: '2500.00', currency_code: 'USD' } },
                  }
                : part,
            ),
          }
        : message,
    ) as ModelMessage[];
    const messages = [...tampered, answer(request.approvalId, true)];
    await expect(
      handshake.applyApprovalResponses(messages, service.chatApprover),
    ).rejects.toMatchObject({
      code: 'TRANSACTION_MISMATCH',
    });
    const [approval] = await service.engine.listApprovals({}, 'approver-console-ops-0123456789');
    expect(approval?.status).toBe('pending');
    expect(runs).toEqual([]);
  });

  it('a response for another approval decides nothing', async () => {
    const { service, runs, handshake, first } = await requestApproval();
    const messages = [...first.response.messages, answer('another-approval', true)];
    expect(await handshake.applyApprovalResponses(messages, service.chatApprover)).toBe(0);
    const [approval] = await service.engine.listApprovals({}, 'approver-console-ops-0123456789');
    expect(approval?.status).toBe('pending');
    expect(runs).toEqual([]);
  });

  it('a denial in chat is recorded on the service and the call never runs', async () => {
    const { service, runs, handshake, first, request } = await requestApproval();
    const messages = [...first.response.messages, answer(request.approvalId, false)];
    expect(await handshake.applyApprovalResponses(messages, service.chatApprover)).toBe(1);
    const [approval] = await service.engine.listApprovals({}, 'approver-console-ops-0123456789');
    expect(approval?.status).toBe('denied');
    expect(runs).toEqual([]);
  });
});
