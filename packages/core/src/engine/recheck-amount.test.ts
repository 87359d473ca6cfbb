// A tool whose amount lives outside its parameters (an order at the payment provider):
// the amount is read again at execute and bound into the consume, so an amount changed
// between authorize and execute is refused and the token survives.
import {
  generateSigningKey,
  HandshakeError,
  hashParams,
  type Money,
  signExecute,
} from '@handshake/protocol';
import { describe, expect, it } from 'vitest';
import { staticSessionVerifier } from '../sessions/static-session-verifier.js';
import { staticKeyResolver } from '../signing/key-resolver.js';
import { MemoryStore } from '../store/memory-store.js';
import type { ConsumeOp, StoreV1 } from '../store/store-v1.js';
import type { ToolProviderV1 } from '../tools/tool-provider.js';
import { createHandshake } from './engine.js';

const ALICE = 'dev-token-alice';

/** A store that ignores amount expectations, as one written before they existed would. */
class AmountBlindStore extends MemoryStore {
  override consume(op: ConsumeOp) {
    const { amount: _ignored, ...expect } = op.expect;
    return super.consume({ ...op, expect });
  }
}

function setup(options: { recheck?: boolean; store?: StoreV1 } = {}) {
  const orders = new Map<string, Money>([['O-1', { value: '100.00', currency: 'USD' }]]);
  const captured: Money[] = [];
  const provider: ToolProviderV1 = {
    specificationVersion: 'v1',
    listTools: () => [
      {
        name: 'capture_order',
        description: 'Capture an approved order',
        tier: 'CONFIDENTIAL',
        amount: (parameters) => orders.get((parameters as { id: string }).id),
        ...(options.recheck === false ? {} : { recheckAmount: true }),
      },
    ],
    execute: (_name, parameters) => {
      const amount = orders.get((parameters as { id: string }).id);
      if (amount) captured.push(amount);
      return { captured: amount };
    },
  };
  const key = generateSigningKey();
  const engine = createHandshake({
    tools: provider,
    sessions: staticSessionVerifier({ [ALICE]: 'alice' }),
    keys: staticKeyResolver([{ userId: 'alice', keyId: 'k', publicKey: key.publicKey }]),
    limits: { currency: 'USD', daily: '1000.00' },
    ...(options.store ? { store: options.store } : {}),
  });
  const authorize = async () => {
    const auth = await engine.authorize(
      { tool: 'capture_order', parameters: { id: 'O-1' } },
      ALICE,
    );
    if (auth.status !== 'authorized') throw new Error('expected authorized');
    return auth;
  };
  const execute = (auth: { ephemeralToken: string; transactionId: string }) => {
    const parameters = { id: 'O-1' };
    const signature = signExecute(key.privateKey, {
      tool: 'capture_order',
      paramsHash: hashParams(parameters),
      transactionId: auth.transactionId,
    });
    return engine.execute(
      {
        ephemeralToken: auth.ephemeralToken,
        tool: 'capture_order',
        parameters,
        transactionId: auth.transactionId,
        signature: { keyId: 'k', value: signature },
      },
      ALICE,
    );
  };
  const used = async () => (await engine.limits(ALICE))?.windows[0]?.used;
  return { engine, orders, captured, authorize, execute, used };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (HandshakeError.isInstance(error)) return error.code;
    throw error;
  }
  return 'no error';
}

describe('an amount read from outside the parameters is checked again at execute', () => {
  it('refuses a changed amount or currency with TRANSACTION_MISMATCH and leaves the token usable', async () => {
    const t = setup();
    const auth = await t.authorize();
    expect(await t.used()).toBe('100.00');
    for (const changed of [
      { value: '250.00', currency: 'USD' },
      { value: '100.00', currency: 'EUR' },
      { value: '99.99', currency: 'USD' },
    ]) {
      t.orders.set('O-1', changed);
      expect(await codeOf(t.execute(auth)), changed.value).toBe('TRANSACTION_MISMATCH');
    }
    expect(t.captured).toEqual([]);
    // The order is back at the amount approved (written differently): the token works.
    t.orders.set('O-1', { value: '100', currency: 'USD' });
    const done = await t.execute(auth);
    expect(done.status).toBe('completed');
    expect(t.captured).toEqual([{ value: '100', currency: 'USD' }]);
    expect(await t.used()).toBe('100.00');
  });

  it('refuses without consuming when the amount cannot be read again', async () => {
    const t = setup();
    const auth = await t.authorize();
    t.orders.delete('O-1');
    expect(await codeOf(t.execute(auth))).toBe('TRANSACTION_MISMATCH');
    t.orders.set('O-1', { value: '100.00', currency: 'USD' });
    expect((await t.execute(auth)).status).toBe('completed');
  });

  it('never runs a changed amount, even on a store that does not compare amounts', async () => {
    const t = setup({ store: new AmountBlindStore() });
    const auth = await t.authorize();
    t.orders.set('O-1', { value: '250.00', currency: 'USD' });
    expect(await codeOf(t.execute(auth))).toBe('TRANSACTION_MISMATCH');
    expect(t.captured).toEqual([]);
    // That store spent the token; its reservation was given back.
    expect(await t.used()).toBe('0.00');
    t.orders.set('O-1', { value: '100.00', currency: 'USD' });
    expect(await codeOf(t.execute(auth))).toBe('TRANSACTION_MISMATCH');
    expect(t.captured).toEqual([]);
  });

  it('without recheckAmount, the amount read at authorize is all there is', async () => {
    const t = setup({ recheck: false });
    const auth = await t.authorize();
    t.orders.set('O-1', { value: '250.00', currency: 'USD' });
    expect((await t.execute(auth)).status).toBe('completed');
    expect(t.captured).toEqual([{ value: '250.00', currency: 'USD' }]);
  });
});
