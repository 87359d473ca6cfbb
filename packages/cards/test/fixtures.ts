import {
  type ApproverV1,
  agentApprover,
  createHandshake,
  type HandshakeOptions,
  memoryAuditSink,
  staticKeyResolver,
  staticSessionVerifier,
  type ToolDefinition,
  type ToolProviderV1,
} from '@handshake/core';
import {
  ed25519PublicKey,
  generateSigningKey,
  hashParams,
  type Money,
  signExecute,
} from '@handshake/protocol';
import { z } from 'zod';

export const T0 = Date.parse('2026-11-21T12:00:00Z');

/** A clock the test moves. */
export function testClock(start = T0) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    set(ms: number) {
      now = ms;
    },
  };
}

export const CREDENTIALS = {
  alice: 'session-alice-0123456789',
  aliceOtherDevice: 'session-alice-second-device',
  bob: 'session-bob-0123456789',
  opsSession: 'session-ops-with-approve-scope',
  approver: 'approver-token-0123456789',
  /** Alice's own approver credential, as an app's server holds it for in-chat approval. */
  aliceChat: 'approver-own-alice-0123456789',
} as const;

const InvoiceSchema = z
  .object({
    recipient_email: z.string().email(),
    amount: z.object({ value: z.string(), currency: z.string() }).strict(),
    note: z.string().max(200).optional(),
  })
  .strict();

const RefundSchema = z
  .object({
    capture_id: z.string().min(1),
    amount: z.object({ value: z.string(), currency: z.string() }).strict(),
    note: z.string().optional(),
  })
  .strict();

/** A provider with one tool per tier that counts how often each ran. */
export function testTools(
  behaviour: {
    run?: (name: string, parameters: Record<string, unknown>) => unknown | Promise<unknown>;
  } = {},
) {
  const calls: Record<string, number> = {};
  const tools: ToolDefinition[] = [
    { name: 'get_exchange_rate', description: 'Exchange rate', tier: 'PUBLIC' },
    { name: 'get_order', description: 'Read an order', tier: 'INTERNAL' },
    { name: 'list_orders', description: 'List orders', tier: 'INTERNAL' },
    {
      name: 'create_invoice',
      description: 'Create an invoice',
      tier: 'CONFIDENTIAL',
      inputSchema: InvoiceSchema,
      rules: [
        { path: 'amount.currency', pattern: /[A-Z]{3}/, required: true, description: 'ISO 4217' },
      ],
    },
    {
      name: 'create_refund',
      description: 'Refund a capture',
      tier: 'RESTRICTED',
      inputSchema: RefundSchema,
      amount: (p) => (p as { amount: Money }).amount,
      payee: () => 'Customer of capture',
    },
    {
      name: 'buy',
      description: 'A purchase within limits',
      tier: 'CONFIDENTIAL',
      amount: (p) => (p as { amount: Money }).amount,
    },
  ];
  const provider: ToolProviderV1 = {
    specificationVersion: 'v1',
    listTools: () => tools,
    async execute(name, parameters) {
      calls[name] = (calls[name] ?? 0) + 1;
      if (behaviour.run) return behaviour.run(name, parameters as Record<string, unknown>);
      return { tool: name, ok: true, echo: parameters };
    },
  };
  return { provider, calls };
}

/** An engine with sessions, a key per user, an approver token, memory audit and a test clock. */
export function testEngine(overrides: Partial<HandshakeOptions> & { approver?: ApproverV1 } = {}) {
  const clock = testClock();
  const tools = testTools();
  const audit = memoryAuditSink();
  const aliceKey = generateSigningKey();
  const bobKey = generateSigningKey();
  const engine = createHandshake({
    tools: tools.provider,
    clock,
    audit,
    sessions: staticSessionVerifier({
      [CREDENTIALS.alice]: 'alice',
      [CREDENTIALS.aliceOtherDevice]: 'alice',
      [CREDENTIALS.bob]: 'bob',
      [CREDENTIALS.opsSession]: { userId: 'alice', scopes: ['handshake:approve'] },
      [CREDENTIALS.aliceChat]: { userId: 'alice', scopes: ['handshake:approve:own'] },
    }),
    keys: staticKeyResolver([
      { userId: 'alice', keyId: 'alice-key', publicKey: aliceKey.publicKey },
      { userId: 'bob', keyId: 'bob-key', publicKey: bobKey.publicKey },
    ]),
    approverCredentials: { [CREDENTIALS.approver]: 'ops' },
    rateLimit: false,
    ...overrides,
  });
  const sign = (
    tool: string,
    parameters: unknown,
    transactionId: string,
    key: { keyId: string; privateKey: string } = {
      keyId: 'alice-key',
      privateKey: aliceKey.privateKey,
    },
  ) => ({
    transactionId,
    signature: {
      keyId: key.keyId,
      value: signExecute(key.privateKey, {
        tool,
        paramsHash: hashParams(parameters),
        transactionId,
      }),
    },
  });
  return { engine, clock, tools, audit, aliceKey, bobKey, sign };
}

export { agentApprover, ed25519PublicKey };
