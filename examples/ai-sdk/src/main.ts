// An AI SDK agent on PayPal's tools, secured by the Handshake — all in one process:
// the toolkit's real code against a simulated PayPal, the service on a loopback port,
// a scripted model (the AI SDK's mock language model) and a simulated person who
// approves refunds within the spending limit and denies the others.
import { createHandshakeTools } from '@handshake/agents/ai-sdk';
import { refundScenario, reportLeaks, startSimulatedService } from '@handshake/agents/testing';
import { createSimulatedPayPal } from '@handshake/paypal/testing';
import { generateText } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';

type Step = Awaited<ReturnType<MockLanguageModelV4['doGenerate']>>;
const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
};
const scenario = refundScenario((line) => console.log(line));

// The model: asks for the tool its request names, then reports what the tool said.
const model = new MockLanguageModelV4({
  async doGenerate({ prompt }): Promise<Step> {
    const last = prompt.at(-1);
    if (last?.role === 'tool') {
      const part = last.content[0];
      const output = part?.type === 'tool-result' ? part.output : undefined;
      const text =
        output?.type === 'error-text' ? `I could not do that: ${output.value}` : 'It is done.';
      return {
        content: [{ type: 'text', text }],
        finishReason: { unified: 'stop', raw: undefined },
        usage,
        warnings: [],
      };
    }
    const asked =
      last?.role === 'user' && last.content[0]?.type === 'text' ? last.content[0].text : '';
    const request = scenario.requests.find((entry) => entry.prompt === asked);
    if (!request) throw new Error(`no script for ${asked}`);
    return {
      content: [
        {
          type: 'tool-call',
          toolCallId: `call-${prompt.length}`,
          toolName: request.tool,
          input: JSON.stringify(request.input),
        },
      ],
      finishReason: { unified: 'tool-calls', raw: undefined },
      usage,
      warnings: [],
    };
  },
});

const paypal = createSimulatedPayPal();
const service = await startSimulatedService({ tools: paypal.provider, ...scenario.service });

try {
  // #region tools
  const { tools } = await createHandshakeTools(service.client, {
    tools: ['get_order', 'create_refund'],
    onPending: (approval) => console.log(`   ${approval.tool} waits for a person`),
  });
  // #endregion tools

  let step = 0;
  for (const { prompt } of scenario.requests) {
    console.log(`${++step}. ${prompt}`);
    const result = await generateText({ model, tools, prompt, stopWhen: () => false });
    for (const call of result.steps.flatMap((s) => s.toolResults)) {
      console.log(`   ${call.toolName} answered ${JSON.stringify(call.output).slice(0, 100)}`);
    }
    console.log(`   model: ${result.text}`);
  }

  reportLeaks(
    model.doGenerateCalls.map((call) => call.prompt),
    service.secrets,
  );
} finally {
  await service.close();
  paypal.close();
}
