// Recovery after a process dies in the middle of an execute, at each step of the path
// (`crashAt` stops the first engine dead there, as kill -9 would), then a second engine
// starts: on the same store (a shared store such as Redis survives the process) or on
// an empty one (the memory store dies with it). Checked at each point: the tool never
// runs twice, every `started` audit event is resolved, an identical retry gets a clear
// answer, and the limits count the purchase once.

import { generateSigningKey, HandshakeError, hashParams, signExecute } from '@handshake/protocol';
import { describe, expect, it } from 'vitest';
import { CREDENTIALS, T0, testClock, testTools } from '../../test/fixtures.js';
import {
  type AuditSinkV1,
  answerInterrupted,
  createHandshake,
  MemoryStore,
  memoryAuditSink,
  type StoreV1,
  staticKeyResolver,
  staticSessionVerifier,
  type ToolProviderV1,
  unresolvedExecutions,
} from '../index.js';
import { CRASH_POINTS, type CrashPoint, crashAt } from '../testing/crash-points.js';

const TIMEOUT_MS = 2_000;
const purchase = { amount: { value: '30.00', currency: 'USD' } };
const key = generateSigningKey();

function engineOf(
  parts: { store: StoreV1; tools: ToolProviderV1; audit: AuditSinkV1 },
  clock: ReturnType<typeof testClock>,
) {
  return createHandshake({
    ...parts,
    clock,
    sessions: staticSessionVerifier({ [CREDENTIALS.alice]: 'alice' }),
    keys: staticKeyResolver([{ userId: 'alice', keyId: 'k', publicKey: key.publicKey }]),
    limits: { currency: 'USD', daily: '1000.00' },
    executionTimeoutMs: TIMEOUT_MS,
    rateLimit: false,
  });
}

async function answer(promise: Promise<unknown>) {
  try {
    return { ok: await promise };
  } catch (error) {
    if (!HandshakeError.isInstance(error)) throw error;
    return { code: error.code, message: error.message };
  }
}

/** A purchase authorized and executed on an engine that dies at `point`. */
async function dieAt(point: CrashPoint) {
  const clock = testClock();
  const store = new MemoryStore();
  const audit = memoryAuditSink();
  const tools = testTools();
  const crash = crashAt(point);
  const dying = engineOf(
    { store: crash.store(store), tools: crash.tools(tools.provider), audit: crash.audit(audit) },
    clock,
  );
  const auth = await dying.authorize({ tool: 'buy', parameters: purchase }, CREDENTIALS.alice);
  if (auth.status !== 'authorized') throw new Error('expected an authorized purchase');
  const request = {
    ephemeralToken: auth.ephemeralToken,
    tool: 'buy',
    parameters: purchase,
    transactionId: auth.transactionId,
    signature: {
      keyId: 'k',
      value: signExecute(key.privateKey, {
        tool: 'buy',
        paramsHash: hashParams(purchase),
        transactionId: auth.transactionId,
      }),
    },
  };
  clock.advance(100);
  void dying.execute(request, CREDENTIALS.alice);
  await crash.stopped;
  // The tool ran only if the process died after calling it.
  const ran = CRASH_POINTS.indexOf(point) >= CRASH_POINTS.indexOf('after-provider') ? 1 : 0;
  expect(tools.calls.buy ?? 0).toBe(ran);
  return { clock, store, audit, tools, request, ran, transactionId: auth.transactionId };
}

describe.each(CRASH_POINTS)('a process killed at %s', (point) => {
  it('on a store that survives: the restart pass and the sweep resolve it; a retry never runs it twice', async () => {
    const dead = await dieAt(point);
    const { clock, audit, tools } = dead;
    const after = engineOf({ store: dead.store, tools: tools.provider, audit }, clock);
    // Start-up: what the dead process's trail left open is recorded as interrupted.
    const open = await unresolvedExecutions(audit.events);
    expect(open.map((e) => e.transactionId)).toEqual([dead.transactionId]);
    await after.resolveInterrupted(open);
    // The sweep, past the execution timeout: an execution left running is resolved.
    clock.advance(TIMEOUT_MS + 1_001);
    const sweep = await after.sweepAbandoned();
    const running =
      point === 'after-consume' || point === 'after-provider' || point === 'before-complete';
    expect(sweep.resolved.map((r) => r.transactionId)).toEqual(running ? [dead.transactionId] : []);
    await after.flushAudit();
    expect(await unresolvedExecutions(audit.events)).toEqual([]);

    // An identical retry: runs a call that never started, replays one that finished,
    // and says the outcome is unknown for one that was interrupted — never runs twice.
    const retry = await answer(after.execute(dead.request, CREDENTIALS.alice));
    if (point === 'after-write-ahead') {
      expect(retry).toMatchObject({ ok: { status: 'completed' } });
      expect(tools.calls.buy).toBe(1);
    } else if (point === 'before-outcome-audit') {
      expect(retry).toMatchObject({ ok: { status: 'completed', replayed: true } });
      expect(tools.calls.buy).toBe(1);
    } else {
      expect(retry).toMatchObject({ code: 'PROVIDER_ERROR' });
      expect(retry.message).toMatch(/outcome is unknown/);
      expect(tools.calls.buy ?? 0).toBe(dead.ran);
    }
    await after.flushAudit();
    expect(await unresolvedExecutions(audit.events)).toEqual([]);
    // The purchase is counted once, long after every hold lapsed.
    clock.set(T0 + 3_600_000);
    const limits = await after.limits(CREDENTIALS.alice);
    expect(limits?.windows[0]?.used).toBe('30.00');
  });

  it('on the memory store, lost with the process: the restart pass resolves it; a retry hears the outcome is unknown', async () => {
    const dead = await dieAt(point);
    const { clock, audit, tools } = dead;
    const open = await unresolvedExecutions(audit.events);
    expect(open.map((e) => e.transactionId)).toEqual([dead.transactionId]);
    const after = engineOf(
      { store: answerInterrupted(new MemoryStore(), open), tools: tools.provider, audit },
      clock,
    );
    await after.resolveInterrupted(open);
    await after.flushAudit();
    const interrupted = audit.events.filter((e) => e.outcome === 'interrupted');
    expect(interrupted).toHaveLength(1);
    expect(interrupted[0]).toMatchObject({
      type: 'execute',
      transactionId: dead.transactionId,
      userId: 'alice',
      tool: 'buy',
      paramsHash: hashParams(purchase),
    });
    expect(await unresolvedExecutions(audit.events)).toEqual([]);

    const retry = await answer(after.execute(dead.request, CREDENTIALS.alice));
    expect(retry).toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(retry.message).toMatch(/interrupted before its outcome was recorded/);
    expect(tools.calls.buy ?? 0).toBe(dead.ran);
    await after.flushAudit();
    expect(await unresolvedExecutions(audit.events)).toEqual([]);
  });
});

describe('sweepAbandoned', () => {
  it('resolves an execution nobody retries, once, with its tier, and keeps its amount counted', async () => {
    const dead = await dieAt('after-consume');
    const { clock, audit, tools } = dead;
    const after = engineOf({ store: dead.store, tools: tools.provider, audit }, clock);
    // Within the execution timeout (and its second of grace) it may still be running.
    clock.advance(TIMEOUT_MS + 1_000);
    expect((await after.sweepAbandoned()).resolved).toEqual([]);
    clock.advance(1);
    expect(await after.sweepAbandoned()).toEqual({
      supported: true,
      resolved: [{ transactionId: dead.transactionId, userId: 'alice', tool: 'buy' }],
    });
    expect((await after.sweepAbandoned()).resolved).toEqual([]);
    await after.flushAudit();
    const abandoned = audit.events.filter((e) => e.outcome === 'abandoned');
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]).toMatchObject({
      transactionId: dead.transactionId,
      tier: 'CONFIDENTIAL',
      detail: 'interrupted; outcome unknown; resolved by the sweep',
    });
    // Past the replay window, when the tombstone and its hold are gone, still counted.
    clock.set(T0 + 3_600_000);
    expect((await after.limits(CREDENTIALS.alice))?.windows[0]?.used).toBe('30.00');
  });

  it('says so when the store cannot list abandoned executions', async () => {
    const store = new MemoryStore();
    const plain: StoreV1 = new Proxy(store, {
      get: (target, property) =>
        property === 'resolveAbandoned' ? undefined : Reflect.get(target, property, target),
    });
    const engine = engineOf(
      { store: plain, tools: testTools().provider, audit: memoryAuditSink() },
      testClock(),
    );
    expect(await engine.sweepAbandoned()).toEqual({ supported: false, resolved: [] });
    await expect(engine.sweepAbandoned({ batch: 0 })).resolves.toEqual({
      supported: false,
      resolved: [],
    });
  });
});
