import type { ToolDefinition, ToolProviderV1 } from '@handshake/core';
import { formatMoney, HandshakeError, parseMoney } from '@handshake/protocol';
import { z } from 'zod';

const PaymentSchema = z
  .object({
    to: z.string().min(1).max(100),
    amount: z.object({ value: z.string(), currency: z.literal('USD') }).strict(),
    note: z.string().max(200).optional(),
  })
  .strict();

/**
 * A tiny wallet with one tool per tier the quickstart shows: a PUBLIC rate, an INTERNAL
 * balance read, and a RESTRICTED payment that someone must approve. Balances are held
 * in minor units (`bigint`), never in floats.
 */
export function walletTools(opening: Record<string, string>): ToolProviderV1 {
  const balances = new Map(
    Object.entries(opening).map(([userId, value]) => [userId, parseMoney(value, 'USD')]),
  );
  let payments = 0;

  const tools: ToolDefinition[] = [
    {
      name: 'get_exchange_rate',
      description: 'The EUR/USD rate (fixed, for the example).',
      tier: 'PUBLIC',
      annotations: { readOnlyHint: true },
    },
    {
      name: 'get_balance',
      description: "Read the caller's balance.",
      tier: 'INTERNAL',
      annotations: { readOnlyHint: true },
    },
    {
      name: 'send_payment',
      description: 'Pay someone from the balance.',
      tier: 'RESTRICTED',
      inputSchema: PaymentSchema,
      // What the call moves: counted against spending limits and shown to approvers.
      amount: (parameters) => PaymentSchema.parse(parameters).amount,
      payee: (parameters) => PaymentSchema.parse(parameters).to,
    },
  ];

  return {
    specificationVersion: 'v1',
    listTools: () => tools,
    execute(name, parameters, context) {
      const balance = balances.get(context.userId) ?? 0n;
      switch (name) {
        case 'get_exchange_rate':
          return { pair: 'EURUSD', rate: '1.0850' };
        case 'get_balance':
          return { balance: { value: formatMoney(balance, 'USD'), currency: 'USD' } };
        case 'send_payment': {
          const payment = PaymentSchema.parse(parameters);
          const amount = parseMoney(payment.amount.value, 'USD');
          if (amount > balance) {
            throw new HandshakeError('PROVIDER_ERROR', 'The balance does not cover it');
          }
          balances.set(context.userId, balance - amount);
          payments += 1;
          return {
            paymentId: `pay_${payments}`,
            to: payment.to,
            amount: payment.amount,
            balance: { value: formatMoney(balance - amount, 'USD'), currency: 'USD' },
          };
        }
        default:
          throw new HandshakeError('PROVIDER_ERROR', `No tool ${name}`);
      }
    },
  };
}
