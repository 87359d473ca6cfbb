import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  type AuditSinkV1,
  agentApprover,
  createHandshake,
  type HandshakeEngine,
  type HandshakeOptions,
  type RandomSource,
  type StoreV1,
  staticKeyResolver,
  staticSessionVerifier,
  type ToolDefinition,
  type ToolProviderV1,
} from '@handshake/core';
import { ed25519PublicKey, hashParams, signExecute, type Tier } from '@handshake/protocol';
import { z } from 'zod';
import { paypalBodies } from './bodies.js';

/** The session credential of the benchmark's user. */
export const SESSION = 'dev-token-alice';
/** The benchmark user's signing key (a fixed seed: benchmarks are repeatable). */
export const SIGNING_SEED = new Uint8Array(32).fill(42);
export const KEY_ID = 'bench';

const Money = z.object({ value: z.string(), currency: z.string().length(3) }).strict();
const Amount = z.object({ currency_code: z.string().length(3), value: z.string() }).strict();

/** A strict schema of the ~1 KB create_order body of {@link paypalBodies}. */
const CreateOrder = z
  .object({
    intent: z.enum(['CAPTURE', 'AUTHORIZE']),
    purchase_units: z
      .array(
        z
          .object({
            reference_id: z.string().max(256),
            description: z.string().max(127).optional(),
            amount: Amount,
          })
          .strict(),
      )
      .min(1)
      .max(10),
  })
  .strict();

/** One call per tier: the tool and the parameters the benchmarks send. */
export interface TierCall {
  tier: Tier;
  tool: string;
  parameters: Record<string, unknown>;
}

/** The calls of the per-tier benchmarks. */
export function tierCalls(): TierCall[] {
  const order = paypalBodies()[1]!.parameters;
  return [
    { tier: 'PUBLIC', tool: 'get_exchange_rate', parameters: { from: 'EUR', to: 'USD' } },
    { tier: 'INTERNAL', tool: 'show_order_details', parameters: { order_id: '5O190127TN364715T' } },
    { tier: 'CONFIDENTIAL', tool: 'create_order', parameters: order },
    {
      tier: 'RESTRICTED',
      tool: 'create_refund',
      parameters: {
        capture_id: '2GG279541U471931P',
        amount: { value: '10.99', currency: 'USD' },
        note: 'Defective product',
      },
    },
  ];
}

/** The tools of {@link tierCalls}, answering at once as a fast provider would. */
export function benchTools(): ToolProviderV1 {
  const tools: ToolDefinition[] = [
    { name: 'get_exchange_rate', description: 'Rates', tier: 'PUBLIC' },
    { name: 'show_order_details', description: 'Read an order', tier: 'INTERNAL' },
    {
      name: 'create_order',
      description: 'Create an order',
      tier: 'CONFIDENTIAL',
      inputSchema: CreateOrder,
      rules: [{ path: 'intent', pattern: /CAPTURE|AUTHORIZE/, required: true }],
    },
    {
      name: 'create_refund',
      description: 'Refund a capture',
      tier: 'RESTRICTED',
      inputSchema: z
        .object({ capture_id: z.string().min(1), amount: Money, note: z.string().optional() })
        .strict(),
      amount: (p) => (p as { amount: { value: string; currency: string } }).amount,
    },
  ];
  return {
    specificationVersion: 'v1',
    listTools: () => tools,
    execute: (name) => ({ id: 'RESULT-1', tool: name, status: 'COMPLETED' }),
  };
}

/**
 * Randomness for the in-process benchmarks: real random secrets (32-byte tokens), and
 * fixed 16-byte identifiers, so every transaction id is the same and the agent's
 * signature over `{ tool, paramsHash, transactionId }` can be made once, outside the
 * measured loop. Identifiers name records and grant nothing; the engine's work per
 * call is the same whatever their value. Authorize draws its transaction id (first),
 * approval id and token in one 64-byte request; a 16-byte request is one identifier.
 */
export const fixedIds: RandomSource = (bytes) => {
  crypto.getRandomValues(bytes);
  if (bytes.length === 16 || bytes.length === AUTHORIZE_DRAW) bytes.fill(7, 0, 16);
  return bytes;
};

const AUTHORIZE_DRAW = 16 + 16 + 32;

/** A sink that accepts every event, so the audit path runs as with a real sink. */
export const discardingSink: AuditSinkV1 = { specificationVersion: 'v1', write: () => {} };

/** The engine of the in-process benchmarks, over `store`. */
export function benchEngine(
  store: StoreV1,
  clock: { now(): number },
  overrides: Partial<HandshakeOptions> = {},
): HandshakeEngine {
  return createHandshake({
    tools: benchTools(),
    store,
    sessions: staticSessionVerifier({ [SESSION]: 'alice' }),
    keys: staticKeyResolver([
      { userId: 'alice', keyId: KEY_ID, publicKey: ed25519PublicKey(SIGNING_SEED) },
    ]),
    approver: agentApprover({ decide: () => ({ decision: 'approve' }) }),
    audit: discardingSink,
    random: fixedIds,
    clock,
    ...overrides,
  });
}

/**
 * A clock that moves one second per handshake: the default rate limit (120 a minute)
 * is applied but never reached, and tokens and tombstones age out of the store as
 * they would for one user calling once a second.
 */
export function steppingClock(start = Date.UTC(2026, 0, 1)): { now(): number; tick(): void } {
  let t = start;
  return {
    now: () => t,
    tick: () => {
      t += 1_000;
    },
  };
}

/** One full in-process handshake (authorize, then execute) of `call`. */
export function handshake(engine: HandshakeEngine, call: TierCall): () => Promise<unknown> {
  // Every transaction id is the same (see fixedIds), so the signature is made once.
  const transactionId = `tx_${Buffer.alloc(16, 7).toString('base64url')}`;
  const signature =
    call.tier === 'PUBLIC'
      ? undefined
      : {
          keyId: KEY_ID,
          value: signExecute(SIGNING_SEED, {
            tool: call.tool,
            paramsHash: hashParams(call.parameters),
            transactionId,
          }),
        };
  const credential = call.tier === 'PUBLIC' ? undefined : SESSION;
  return async () => {
    const answer = await engine.authorize(
      { tool: call.tool, parameters: call.parameters },
      credential,
    );
    if (answer.status !== 'authorized') throw new Error(`${call.tool} was not authorized`);
    return engine.execute(
      {
        tool: call.tool,
        parameters: call.parameters,
        ephemeralToken: answer.ephemeralToken,
        ...(signature ? { transactionId: answer.transactionId, signature } : {}),
      },
      credential,
    );
  };
}

/**
 * The seed's flow, re-implemented as the seed writes it: `JSON.stringify` then SHA-256,
 * a random hex token as the key, a get, a compare and a delete. It has none of the
 * protections (key order changes its hash, GET then DEL double-spends, raw tokens are
 * keys, its tier checks are stubs), so it is the floor, not an alternative.
 */
export function seedFlow(call: TierCall): () => Promise<unknown> {
  const sessions = new Map([[SESSION, 'alice']]);
  const transactions = new Map<string, string>();
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const authorize = async (sessionToken: string, tool: string, parameters: unknown) => {
    const userId = sessions.get(sessionToken);
    if (!userId) throw new Error('Invalid session');
    const transactionId = randomUUID();
    const ephemeralToken = randomBytes(32).toString('hex');
    const paramsHash = sha256(JSON.stringify(parameters));
    transactions.set(
      `tx:${ephemeralToken}`,
      JSON.stringify({
        transactionId,
        userId,
        tool,
        paramsHash,
        status: 'pending',
        sensitivity: call.tier,
        createdAt: Date.now(),
      }),
    );
    return { transactionId, ephemeralToken };
  };
  const execute = async (
    sessionToken: string,
    ephemeralToken: string,
    tool: string,
    parameters: unknown,
  ) => {
    const userId = sessions.get(sessionToken);
    if (!userId) throw new Error('Invalid session');
    const data = transactions.get(`tx:${ephemeralToken}`);
    if (!data) throw new Error('Invalid or expired token');
    const tx = JSON.parse(data) as { userId: string; tool: string; paramsHash: string };
    if (
      tx.userId !== userId ||
      tx.tool !== tool ||
      tx.paramsHash !== sha256(JSON.stringify(parameters))
    ) {
      throw new Error('Transaction mismatch');
    }
    transactions.delete(`tx:${ephemeralToken}`);
    return { id: 'RESULT-1', tool, status: 'COMPLETED' };
  };
  return async () => {
    const { ephemeralToken } = await authorize(SESSION, call.tool, call.parameters);
    return execute(SESSION, ephemeralToken, call.tool, call.parameters);
  };
}
