// Faults: a tool provider that throws, hangs, or finishes after the engine gave up on
// it. The token is consumed once with its outcome stored (a retry gets the same
// answer, the tool never runs again), a definite failure gives the reservation back, a
// timeout keeps it (the payment may have gone through), and the audit says which.
import { HandshakeError } from '@handshake/protocol';
import { describe, expect, it } from 'vitest';
import { CREDENTIALS, testEngine, testTools } from '../fixtures.js';

const buy = { order: 'O-1', amount: { value: '10.00', currency: 'USD' } };

async function failure(promise: Promise<unknown>): Promise<HandshakeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!HandshakeError.isInstance(error)) throw new Error(`expected a HandshakeError: ${error}`);
  return error;
}

function setup(run: (signal: AbortSignal | undefined) => unknown, executionTimeoutMs = 30_000) {
  const tools = testTools();
  let signal: AbortSignal | undefined;
  const provider = {
    ...tools.provider,
    async execute(name: string, _parameters: unknown, context: { signal?: AbortSignal }) {
      signal = context.signal;
      tools.calls[name] = (tools.calls[name] ?? 0) + 1;
      return run(context.signal);
    },
  };
  const t = testEngine({
    tools: provider,
    limits: { currency: 'USD', daily: '100.00' },
    executionTimeoutMs,
  });
  const go = async () => {
    const auth = await t.engine.authorize({ tool: 'buy', parameters: buy }, CREDENTIALS.alice);
    if (auth.status !== 'authorized') throw new Error('expected authorized');
    const request = {
      ephemeralToken: auth.ephemeralToken,
      tool: 'buy',
      parameters: buy,
      ...t.sign('buy', buy, auth.transactionId),
    };
    return { request, first: await failure(t.engine.execute(request, CREDENTIALS.alice)) };
  };
  const used = async () => (await t.engine.limits(CREDENTIALS.alice))?.windows[0]?.used;
  const lastExecute = async () => {
    await t.engine.flushAudit();
    return t.audit.events.filter((e) => e.type === 'execute').at(-1);
  };
  return { ...t, calls: tools.calls, go, used, lastExecute, signal: () => signal };
}

describe('a tool provider that fails', () => {
  it('throws: PROVIDER_ERROR without its detail, the reservation released, the same answer on retry, and a failed execute audited', async () => {
    const t = setup(() => {
      throw new Error('upstream 500: card 4111111111111111 declined, key sk_live_123');
    });
    const { request, first } = await t.go();
    expect(first).toMatchObject({ code: 'PROVIDER_ERROR', status: 502 });
    expect(first.message).not.toMatch(/4111|sk_live|upstream/);
    expect(await t.used()).toBe('0.00');
    expect(await t.lastExecute()).toMatchObject({ outcome: 'failed', detail: 'provider error' });
    // Consumed with its outcome: a retry is answered from the store.
    const again = await failure(t.engine.execute(request, CREDENTIALS.alice));
    expect(again.code).toBe('PROVIDER_ERROR');
    expect((await failure(t.engine.execute(request, CREDENTIALS.aliceOtherDevice))).code).toBe(
      'TOKEN_ALREADY_USED',
    );
    expect(t.calls.buy).toBe(1);
  });

  it('throws something that is not an Error: the same clean PROVIDER_ERROR', async () => {
    for (const thrown of ['a string', null, undefined, 42, { message: 'card 4111111111111111' }]) {
      const t = setup(() => {
        throw thrown;
      });
      const { first } = await t.go();
      expect(first.code).toBe('PROVIDER_ERROR');
      expect(first.message).toBe('buy failed at the provider');
    }
  });

  it('hangs: abandoned at the execution timeout with its signal aborted; the amount stays counted, and a timeout is audited', async () => {
    const t = setup(() => new Promise(() => {}), 25);
    const { request, first } = await t.go();
    expect(first.code).toBe('PROVIDER_ERROR');
    expect(first.message).toMatch(/did not finish in time; its outcome is unknown/);
    expect(t.signal()?.aborted).toBe(true);
    // The payment may have gone through: counted, not released.
    expect(await t.used()).toBe('10.00');
    t.clock.advance(120_000);
    expect(await t.used()).toBe('10.00');
    expect(await t.lastExecute()).toMatchObject({ outcome: 'timeout', detail: 'timeout' });
    expect((await failure(t.engine.execute(request, CREDENTIALS.alice))).message).toMatch(
      /did not finish in time/,
    );
    expect(t.calls.buy).toBe(1);
  });

  it('finishes after the timeout: its late result changes nothing and is never replayed', async () => {
    let finish: (value: unknown) => void = () => {};
    const t = setup(
      () =>
        new Promise((resolve) => {
          finish = resolve;
        }),
      25,
    );
    const { request, first } = await t.go();
    expect(first.code).toBe('PROVIDER_ERROR');
    finish({ paid: true, late: true });
    await t.engine.flushAudit();
    const events = t.audit.events.filter((e) => e.type === 'execute');
    expect(events.map((e) => e.outcome)).toEqual(['started', 'timeout']);
    const again = await failure(t.engine.execute(request, CREDENTIALS.alice));
    expect(again.message).toMatch(/did not finish in time/);
    expect(await t.used()).toBe('10.00');
    expect(t.calls.buy).toBe(1);
  });

  it("passes on a provider's own PROVIDER_ERROR message, which it vouches is safe", async () => {
    const t = setup(() => {
      throw new HandshakeError('PROVIDER_ERROR', 'The merchant is closed today');
    });
    const { first } = await t.go();
    expect(first.message).toBe('The merchant is closed today');
    expect(await t.used()).toBe('0.00');
  });
});
