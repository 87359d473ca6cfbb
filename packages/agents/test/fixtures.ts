// The tools every adapter test secures, and the check that a model saw nothing secret.

import type { ToolProviderV1 } from '@handshake/core';
import { expect } from 'vitest';
import { leaksIn } from '../src/testing/leaks.js';
import { type SimulatedService, startSimulatedService } from '../src/testing/simulated-service.js';

/** A read (INTERNAL) and a refund (RESTRICTED, counted against limits), counting runs. */
export function shopTools() {
  const runs: Array<{ tool: string; parameters: unknown }> = [];
  const provider: ToolProviderV1 = {
    specificationVersion: 'v1',
    listTools: () => [
      {
        name: 'get_order',
        description: 'Read an order by id.',
        tier: 'INTERNAL',
        jsonSchema: {
          type: 'object',
          properties: { id: { type: 'string' } },
          required: ['id'],
          additionalProperties: false,
        },
      },
      {
        name: 'create_refund',
        description: 'Refund a captured payment.',
        tier: 'RESTRICTED',
        jsonSchema: {
          type: 'object',
          properties: {
            capture_id: { type: 'string' },
            amount: {
              type: 'object',
              properties: { value: { type: 'string' }, currency_code: { type: 'string' } },
              required: ['value', 'currency_code'],
            },
            note_to_payer: { type: 'string' },
          },
          required: ['capture_id', 'amount'],
        },
        amount: (parameters) => {
          const amount = (parameters as { amount: { value: string; currency_code: string } })
            .amount;
          return { value: amount.value, currency: amount.currency_code };
        },
        payee: () => 'Example Shop customer',
      },
    ],
    execute(name, parameters) {
      runs.push({ tool: name, parameters });
      if (name === 'get_order')
        return { id: (parameters as { id: string }).id, status: 'COMPLETED' };
      return { id: 'REFUND-1', status: 'COMPLETED' };
    },
  };
  return { provider, runs };
}

export const refund = {
  capture_id: 'CAP-1',
  amount: { value: '25.00', currency_code: 'USD' },
};

/** Everything a model received holds no URL, token, approval id or credential. */
export function expectNothingSecret(received: readonly unknown[], secrets: readonly string[]) {
  expect(received.length).toBeGreaterThan(0);
  expect(leaksIn(received, secrets)).toEqual([]);
}

/**
 * A service with the shop's tools for one test, stopped by `stop`; the simulated
 * person approves or denies everything (with a reason holding a URL and a token-like
 * string, which must never reach a model), or nobody decides.
 */
export function serviceFixture() {
  let service: SimulatedService | undefined;
  return {
    async start(person?: 'approve' | 'deny') {
      const shop = shopTools();
      const reason = 'see https://x.example/t/hset_abc';
      service = await startSimulatedService({
        tools: shop.provider,
        ...(person ? { person: () => ({ decision: person, reason }) } : {}),
      });
      return { service, runs: shop.runs };
    },
    async stop() {
      await service?.close();
      service = undefined;
    },
  };
}
