import type { PersonDecision, SimulatedServiceOptions } from './simulated-service.js';

/**
 * One request of {@link refundScenario}: what the user asks, and the call a model
 * should make for it.
 *
 * @example
 * ```ts
 * import type { ScenarioRequest } from '@handshake/agents/testing';
 *
 * const read: ScenarioRequest = { prompt: 'Where is order O-1?', tool: 'get_order', input: { id: 'O-1' } };
 * ```
 */
export interface ScenarioRequest {
  prompt: string;
  tool: string;
  input: Record<string, unknown>;
}

/**
 * The examples' story on PayPal's tools (and the simulated PayPal's seeded order and
 * capture): a read that runs at once, a 25 USD refund a person approves, a 900 USD
 * refund over the 100 USD per-refund limit that the person denies. `service` holds
 * the limit and the person for {@link startSimulatedService}; `log` hears what the
 * person does.
 *
 * @example
 * ```ts
 * import { refundScenario, startSimulatedService } from '@handshake/agents/testing';
 * import type { ToolProviderV1 } from '@handshake/core';
 * declare const paypalTools: ToolProviderV1; // e.g. createSimulatedPayPal().provider
 *
 * const scenario = refundScenario(console.log);
 * const service = await startSimulatedService({ tools: paypalTools, ...scenario.service });
 * for (const request of scenario.requests) console.log(request.prompt);
 * ```
 */
export function refundScenario(log: (line: string) => void = () => {}): {
  requests: readonly ScenarioRequest[];
  service: Pick<SimulatedServiceOptions, 'engine' | 'person'>;
} {
  const capture = '3C679366HH908993F';
  const refund = (value: string): ScenarioRequest => ({
    prompt: `Refund ${value.replace('.00', '')} USD of capture ${capture}.`,
    tool: 'create_refund',
    input: { capture_id: capture, amount: { value, currency_code: 'USD' } },
  });
  return {
    requests: [
      {
        prompt: 'Where is order 5O190127TN364715T?',
        tool: 'get_order',
        input: { id: '5O190127TN364715T' },
      },
      refund('25.00'),
      refund('900.00'),
    ],
    service: {
      engine: { limits: { currency: 'USD', timeZone: 'UTC', transaction: '100.00' } },
      person(approval): PersonDecision {
        const overLimit = approval.reasons?.some((reason) => reason.kind === 'limit') === true;
        const amount = `${approval.amount?.value} ${approval.amount?.currency}`;
        log(
          `   the person sees ${approval.tool} of ${amount} and ${overLimit ? 'denies it (over the limit)' : 'approves it'}`,
        );
        return overLimit
          ? { decision: 'deny', reason: 'over the per-refund limit' }
          : { decision: 'approve' };
      },
    },
  };
}
