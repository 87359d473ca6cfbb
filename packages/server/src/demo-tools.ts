import type { ToolDefinition, ToolProviderV1 } from '@handshake/core';
import { HandshakeError } from '@handshake/protocol';
import { z } from 'zod';

/** Simulated mid-market rates, units of the quote currency per one USD. */
const RATES_PER_USD: Record<string, string> = {
  USD: '1',
  EUR: '0.9216',
  GBP: '0.7874',
  JPY: '154.32',
  CAD: '1.3951',
};

const Money = z.object({ value: z.string(), currency: z.string() }).strict();

/**
 * Tools the reference service serves alongside (or, in tests, instead of) PayPal's:
 * `get_exchange_rate` is PUBLIC and answers from a fixed table.
 *
 * @example
 * ```ts
 * import { createService, exchangeRateTool, loadConfig } from '@handshake/server';
 *
 * const service = await createService(loadConfig({}), { tools: [exchangeRateTool()] });
 * ```
 */
export function exchangeRateTool(): ToolProviderV1 {
  const tools: ToolDefinition[] = [
    {
      name: 'get_exchange_rate',
      description: 'Mid-market exchange rate between two currencies (simulated, no credentials).',
      tier: 'PUBLIC',
      inputSchema: z.object({ from: z.string().length(3), to: z.string().length(3) }).strict(),
      jsonSchema: {
        type: 'object',
        properties: { from: { type: 'string' }, to: { type: 'string' } },
        required: ['from', 'to'],
        additionalProperties: false,
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
  ];
  return {
    specificationVersion: 'v1',
    listTools: () => tools,
    execute(_name, parameters) {
      const { from, to } = parameters as { from?: string; to?: string };
      const a = from ? RATES_PER_USD[from] : undefined;
      const b = to ? RATES_PER_USD[to] : undefined;
      if (!a || !b) throw new HandshakeError('PROVIDER_ERROR', 'No rate for that currency pair');
      return { from, to, rate: (Number(b) / Number(a)).toFixed(6), source: 'simulated' };
    },
  };
}

/**
 * A small shop of demo tools, one per tier above PUBLIC, used when the service runs
 * without PayPal (and by the demo).
 */
export function demoShopTools(): ToolProviderV1 {
  let invoices = 0;
  let refunds = 0;
  const tools: ToolDefinition[] = [
    {
      name: 'get_balance',
      description: 'Read the merchant balance.',
      tier: 'INTERNAL',
      annotations: { readOnlyHint: true },
    },
    {
      name: 'create_invoice',
      description: 'Create and send an invoice.',
      tier: 'CONFIDENTIAL',
      inputSchema: z
        .object({
          recipient_email: z.string().email(),
          amount: Money,
          note: z.string().max(200).optional(),
        })
        .strict(),
      rules: [
        {
          path: 'amount.value',
          pattern: /\d{1,7}(\.\d{2})?/,
          required: true,
          description: 'a decimal amount',
        },
      ],
      annotations: { destructiveHint: false },
    },
    {
      name: 'create_refund',
      description: 'Refund a captured payment.',
      tier: 'RESTRICTED',
      inputSchema: z
        .object({ capture_id: z.string().min(1), amount: Money, note: z.string().optional() })
        .strict(),
      amount: (p) => (p as { amount: { value: string; currency: string } }).amount,
      payee: (p) => `payer of capture ${(p as { capture_id: string }).capture_id}`,
      annotations: { destructiveHint: true },
    },
  ];
  return {
    specificationVersion: 'v1',
    listTools: () => tools,
    execute(name, parameters) {
      const p = parameters as Record<string, unknown>;
      if (name === 'get_balance') return { available: { value: '1520.75', currency: 'USD' } };
      if (name === 'create_invoice') {
        invoices += 1;
        return {
          id: `INV2-DEMO-${String(invoices).padStart(4, '0')}`,
          status: 'SENT',
          amount: p.amount,
        };
      }
      refunds += 1;
      return { id: `REFUND-DEMO-${refunds}`, status: 'COMPLETED', amount: p.amount };
    },
  };
}
