// An OpenAI Agents SDK agent on PayPal's tools, secured by the Handshake — all in one
// process: the toolkit's real code against a simulated PayPal, the service on a
// loopback port, a scripted model in place of OpenAI's, and a simulated person who
// approves refunds within the spending limit and denies the others. The refunds run
// as interruptions: the run pauses, the app waits for the person, then resumes.
import { createHandshakeTools } from '@handshake/agents/openai-agents';
import { refundScenario, reportLeaks, startSimulatedService } from '@handshake/agents/testing';
import { createSimulatedPayPal } from '@handshake/paypal/testing';
import {
  Agent,
  type AgentOutputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  run,
  setTracingDisabled,
  Usage,
} from '@openai/agents';

setTracingDisabled(true);

const scenario = refundScenario((line) => console.log(line));

/** The model: asks for the tool its request names, then reports what the tool said. */
class ScriptedModel implements Model {
  readonly received: ModelRequest[] = [];

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.received.push(request);
    const items = typeof request.input === 'string' ? [] : request.input;
    const last = items.at(-1);
    let output: AgentOutputItem;
    if (last?.type === 'function_call_result') {
      const said = last.output;
      const text =
        typeof said === 'string'
          ? said
          : !Array.isArray(said) && said.type === 'text'
            ? said.text
            : '';
      const reply = /^[A-Z_]+: /.test(text) ? `I could not do that: ${text}` : 'It is done.';
      output = {
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: reply }],
      };
    } else {
      const user = items.findLast((item) => item.type === 'message' && item.role === 'user');
      const content = user?.type === 'message' && user.role === 'user' ? user.content : '';
      const asked =
        typeof request.input === 'string'
          ? request.input
          : typeof content === 'string'
            ? content
            : content.map((part) => (part.type === 'input_text' ? part.text : '')).join('');
      const planned = scenario.requests.find((entry) => entry.prompt === asked);
      if (!planned) throw new Error(`no script for ${asked}`);
      output = {
        type: 'function_call',
        callId: `call-${this.received.length}`,
        name: planned.tool,
        arguments: JSON.stringify(planned.input),
        status: 'completed',
      };
    }
    return { usage: new Usage(), output: [output] };
  }

  // biome-ignore lint/correctness/useYield: this example never streams
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('the scripted model does not stream');
  }
}

const paypal = createSimulatedPayPal();
const service = await startSimulatedService({ tools: paypal.provider, ...scenario.service });

try {
  const model = new ScriptedModel();
  // #region tools
  const handshake = await createHandshakeTools(service.client, {
    tools: ['get_order', 'create_refund'],
    approval: 'interrupt',
  });
  const agent = new Agent({
    name: 'Support',
    instructions: 'Help with orders.',
    tools: handshake.tools,
    model,
  });
  // #endregion tools

  let step = 0;
  for (const { prompt } of scenario.requests) {
    console.log(`${++step}. ${prompt}`);
    let result = await run(agent, prompt);
    while (result.interruptions.length > 0) {
      for (const item of result.interruptions) {
        console.log(
          `   the run is interrupted: ${(await handshake.pendingOf(item))?.tool} waits for a person`,
        );
      }
      result = await run(agent, await handshake.settle(result));
    }
    for (const item of result.newItems) {
      if (item.type === 'tool_call_output_item')
        console.log(
          `   ${item.rawItem.type === 'function_call_result' ? item.rawItem.name : 'tool'} answered ${String(item.output).slice(0, 100)}`,
        );
    }
    console.log(`   model: ${result.finalOutput}`);
  }

  reportLeaks(
    model.received.map(({ input, systemInstructions }) => ({ input, systemInstructions })),
    service.secrets,
  );
} finally {
  await service.close();
  paypal.close();
}
