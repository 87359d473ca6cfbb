import { generateSigningKey, hashParams, type Money, signExecute } from '@handshake/protocol';
import { z } from 'zod';
import type { ApproverV1 } from '../approvals/approver.js';
import { memoryAuditSink } from '../audit/sinks.js';
import { createHandshake } from '../engine/engine.js';
import type { HandshakeOptions } from '../engine/options.js';
import { staticSessionVerifier } from '../sessions/static-session-verifier.js';
import { staticKeyResolver } from '../signing/key-resolver.js';
import type { ToolDefinition, ToolProviderV1 } from '../tools/tool-provider.js';

// An engine wired for tests of what runs on it (a tool provider, an HTTP surface, a
// product such as the card API): the same fixtures core's own tests use.

/**
 * When {@link testClock} starts: 2026-11-21 12:00 UTC.
 *
 * @example
 * ```ts
 * import { TEST_START, testClock } from '@handshake/core/testing';
 *
 * const clock = testClock();
 * clock.advance(31_000);
 * console.log(clock.now() - TEST_START); // 31000
 * ```
 */
export const TEST_START = Date.parse('2026-11-21T12:00:00Z');

/**
 * A clock the test moves: `advance(ms)` and `set(ms)`, never a real wait.
 *
 * @example
 * ```ts
 * import { createHandshake, type ToolProviderV1 } from '@handshake/core';
 * import { testClock } from '@handshake/core/testing';
 * declare const tools: ToolProviderV1;
 *
 * const clock = testClock();
 * const engine = createHandshake({ tools, clock });
 * clock.advance(30_001); // every token issued so far has expired
 * ```
 */
export function testClock(start = TEST_START) {
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

/**
 * The bearer credentials {@link testEngine} knows: sessions of `alice` (two devices) and
 * `bob`, a session of alice with the approve scope (`opsSession`), the approver token of
 * `ops`, and alice's own approver credential for in-chat approval (`aliceChat`).
 *
 * @example
 * ```ts
 * import { TEST_CREDENTIALS, testEngine } from '@handshake/core/testing';
 *
 * const { engine } = testEngine();
 * const identity = await engine.identify(TEST_CREDENTIALS.alice); // { userId: 'alice', … }
 * ```
 */
export const TEST_CREDENTIALS = {
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

/**
 * A provider with one tool per tier that counts how often each ran: `get_exchange_rate`
 * (PUBLIC), `get_order` and `list_orders` (INTERNAL), `create_invoice` (CONFIDENTIAL,
 * strict schema and rules), `create_refund` (RESTRICTED, with an amount and a payee) and
 * `buy` (CONFIDENTIAL, with an amount). Each echoes its parameters unless `run` answers.
 *
 * @example
 * ```ts
 * import { createHandshake } from '@handshake/core';
 * import { testTools } from '@handshake/core/testing';
 *
 * const tools = testTools({ run: (name) => ({ ran: name }) });
 * const engine = createHandshake({ tools: tools.provider });
 * await engine.execute({ tool: 'get_exchange_rate', parameters: {}, ephemeralToken: '…' }).catch(() => {});
 * console.log(tools.calls.get_exchange_rate ?? 0);
 * ```
 */
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

/**
 * An engine with {@link testTools}, the sessions and approver token of
 * {@link TEST_CREDENTIALS}, a signing key for alice and one for bob, a memory audit sink
 * and a {@link testClock}, rate limiting off; `overrides` replace any option. `sign`
 * builds the signed part of an execute body with alice's key (or the key given).
 *
 * @example
 * ```ts
 * import { TEST_CREDENTIALS, testEngine } from '@handshake/core/testing';
 *
 * const { engine, sign } = testEngine();
 * const parameters = { recipient_email: 'a@example.com', amount: { value: '10.00', currency: 'USD' } };
 * const authorized = await engine.authorize({ tool: 'create_invoice', parameters }, TEST_CREDENTIALS.alice);
 * if (authorized.status === 'authorized') {
 *   await engine.execute(
 *     { tool: 'create_invoice', parameters, ephemeralToken: authorized.ephemeralToken, ...sign('create_invoice', parameters, authorized.transactionId) },
 *     TEST_CREDENTIALS.alice,
 *   );
 * }
 * ```
 */
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
      [TEST_CREDENTIALS.alice]: 'alice',
      [TEST_CREDENTIALS.aliceOtherDevice]: 'alice',
      [TEST_CREDENTIALS.bob]: 'bob',
      [TEST_CREDENTIALS.opsSession]: { userId: 'alice', scopes: ['handshake:approve'] },
      [TEST_CREDENTIALS.aliceChat]: { userId: 'alice', scopes: ['handshake:approve:own'] },
    }),
    keys: staticKeyResolver([
      { userId: 'alice', keyId: 'alice-key', publicKey: aliceKey.publicKey },
      { userId: 'bob', keyId: 'bob-key', publicKey: bobKey.publicKey },
    ]),
    approverCredentials: { [TEST_CREDENTIALS.approver]: 'ops' },
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
