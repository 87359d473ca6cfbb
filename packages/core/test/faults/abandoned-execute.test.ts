// Faults: the process running an execute dies after the token was consumed and before
// its outcome was recorded. Simulated in one process: two engines share one store and
// one clock; the first one's provider never returns (it is "killed" mid-call, so its own
// timeout never fires), and the retry reaches the second one, as after a restart.
import { HandshakeError } from '@handshake/protocol';
import { describe, expect, it } from 'vitest';
import { memoryAuditSink } from '../../src/audit/sinks.js';
import { staticKeyResolver } from '../../src/signing/key-resolver.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { CREDENTIALS, testEngine, testTools } from '../fixtures.js';

const purchase = { order: 'O-77', amount: { value: '40.00', currency: 'USD' } };

describe('an execute abandoned by a dead process', () => {
  it('is resolved by the identical retry: one run, the amount still counted, the audit says so', async () => {
    const store = new MemoryStore();
    const limits = { currency: 'USD', daily: '100.00' };
    let entered = 0;
    const hanging = testTools({
      run: () => {
        entered += 1;
        return new Promise(() => {}); // the process dies here
      },
    });
    const first = testEngine({
      store,
      limits,
      tools: hanging.provider,
      executionTimeoutMs: 86_400_000, // it never gets to record a timeout
    });
    const restartedAudit = memoryAuditSink();
    const restartedTools = testTools();
    const restarted = testEngine({
      store,
      limits,
      clock: first.clock,
      tools: restartedTools.provider,
      audit: restartedAudit,
      keys: staticKeyResolver([
        { userId: 'alice', keyId: 'alice-key', publicKey: first.aliceKey.publicKey },
      ]),
    });
    const auth = await first.engine.authorize(
      { tool: 'buy', parameters: purchase },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'authorized') throw new Error('expected authorized');
    const request = {
      ephemeralToken: auth.ephemeralToken,
      tool: 'buy',
      parameters: purchase,
      ...first.sign('buy', purchase, auth.transactionId),
    };
    void first.engine.execute(request, CREDENTIALS.alice);
    await expect.poll(() => entered).toBe(1);

    const retry = (): Promise<HandshakeError | undefined> =>
      restarted.engine.execute(request, CREDENTIALS.alice).then(
        () => undefined,
        (error: unknown) => (HandshakeError.isInstance(error) ? error : undefined),
      );
    // While it may still be running: the retry is told so, and nothing runs again.
    expect(await retry()).toMatchObject({ code: 'EXECUTION_IN_PROGRESS' });
    // Past the execution timeout: resolved, with an answer that says what is known.
    first.clock.advance(31_001);
    const resolved = await retry();
    expect(resolved).toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(resolved?.message).toMatch(/interrupted.*outcome is unknown/);
    // Every later retry hears the same, and nothing ever ran twice.
    expect(await retry()).toMatchObject({ code: 'PROVIDER_ERROR', message: resolved?.message });
    expect(entered).toBe(1);
    expect(restartedTools.calls.buy).toBeUndefined();
    // The amount stays counted: the payment may have gone through.
    expect((await restarted.engine.limits(CREDENTIALS.alice))?.windows[0]?.used).toBe('40.00');
    // The first process wrote `started` ahead; the restarted one recorded the resolution.
    await first.engine.flushAudit();
    await restarted.engine.flushAudit();
    expect(first.audit.events.map((e) => `${e.type}:${e.outcome}`)).toContain('execute:started');
    const resolutions = restartedAudit.events.filter(
      (e) => e.type === 'execute' && e.outcome === 'abandoned',
    );
    expect(resolutions).toHaveLength(1);
    expect(resolutions[0]).toMatchObject({ transactionId: auth.transactionId, tool: 'buy' });
  });
});
