import { HandshakeError } from '@handshake/protocol';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIALS, testTools } from '../../test/fixtures.js';
import { inMemoryTelemetry, instrumentedEngine } from '../../test/telemetry.js';

let telemetry: ReturnType<typeof inMemoryTelemetry>;
afterEach(() => telemetry?.close());

const limits = { currency: 'USD', daily: '100.00' };
const buy = (value: string) => ({ amount: { value, currency: 'USD' } });
const refund = { capture_id: 'CAP-7731', amount: { value: '25.00', currency: 'USD' } };

function instrumented(overrides: Parameters<typeof instrumentedEngine>[1] = {}) {
  telemetry = inMemoryTelemetry();
  return instrumentedEngine(telemetry, { limits, ...overrides });
}

/** Authorizes (and executes) a signed purchase of alice's. */
async function purchase(setup: ReturnType<typeof instrumented>, value: string) {
  const auth = await setup.engine.authorize(
    { tool: 'buy', parameters: buy(value) },
    CREDENTIALS.alice,
  );
  if (auth.status !== 'authorized') throw new Error('expected an authorization');
  await setup.engine.execute(
    {
      ephemeralToken: auth.ephemeralToken,
      tool: 'buy',
      parameters: buy(value),
      ...setup.sign('buy', buy(value), auth.transactionId),
    },
    CREDENTIALS.alice,
  );
  return auth.transactionId;
}

/** Every spend counter's points, as `action reason tool currency = value`. */
async function spend() {
  const out: string[] = [];
  for (const action of ['reserved', 'committed', 'released']) {
    for (const point of await telemetry.points(`handshake.spend.${action}`)) {
      const a = point.attributes;
      out.push(
        `${action} ${a['handshake.spend.reason']} ${a['handshake.tool'] ?? '-'} ${a['handshake.currency']} = ${point.value}`,
      );
      expect(Object.keys(a).sort()).toEqual(
        ['handshake.currency', 'handshake.spend.reason', 'handshake.tool'].filter(
          (key) => key !== 'handshake.tool' || a['handshake.tool'] !== undefined,
        ),
      );
    }
  }
  return out.sort();
}

const finished = () => telemetry.spans.getFinishedSpans();
const named = (name: string) => finished().filter((span) => span.name === name);
const parentOf = (span: ReadableSpan) =>
  finished().find((other) => other.spanContext().spanId === span.parentSpanContext?.spanId)?.name;

describe('spend by currency', () => {
  it('reserves at authorize and commits when the call completes, in the currency’s unit', async () => {
    const setup = instrumented();
    await purchase(setup, '30.00');
    await purchase(setup, '12.34');
    expect(await spend()).toEqual([
      'committed completed buy USD = 42.34',
      'reserved authorize buy USD = 42.34',
    ]);
    const [unit] = (await telemetry.collect())
      .filter((entry) => entry.name === 'handshake.spend.reserved')
      .map((entry) => entry.unit);
    expect(unit).toBe('{currency_unit}');
  });

  it('releases a denied approval’s reservation', async () => {
    const setup = instrumented();
    const auth = await setup.engine.authorize(
      { tool: 'create_refund', parameters: refund },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'pending') throw new Error('expected pending');
    await setup.engine.decide(auth.approvalId, { decision: 'deny' }, CREDENTIALS.approver);
    expect(await spend()).toEqual([
      'released denied create_refund USD = 25',
      'reserved authorize create_refund USD = 25',
    ]);
  });

  it('releases an expired approval’s reservation', async () => {
    const setup = instrumented();
    const auth = await setup.engine.authorize(
      { tool: 'create_refund', parameters: refund },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'pending') throw new Error('expected pending');
    setup.clock.advance(10 * 60_000);
    expect((await setup.engine.approvalStatus(auth.approvalId, CREDENTIALS.alice)).status).toBe(
      'expired',
    );
    expect(await spend()).toEqual([
      'released expired create_refund USD = 25',
      'reserved authorize create_refund USD = 25',
    ]);
  });

  it('reserves an over-limit call when a person approves it, not before', async () => {
    const setup = instrumented();
    const auth = await setup.engine.authorize(
      { tool: 'buy', parameters: buy('150.00') },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'pending') throw new Error('expected pending');
    expect(await spend()).toEqual([]);
    await setup.engine.decide(auth.approvalId, { decision: 'approve' }, CREDENTIALS.approver);
    expect(await spend()).toEqual(['reserved approval buy USD = 150']);
  });

  it('releases the reservation of a call its provider failed, and keeps a timed-out one', async () => {
    let hang = false;
    const tools = testTools({
      run: () => {
        if (hang) return new Promise(() => {});
        throw new Error('provider down');
      },
    });
    const setup = instrumented({
      tools: tools.provider,
      executionTimeoutMs: 50,
    });
    await expect(purchase(setup, '20.00')).rejects.toThrow(HandshakeError);
    hang = true;
    await expect(purchase(setup, '5.00')).rejects.toThrow('did not finish in time');
    expect(await spend()).toEqual([
      'committed timeout buy USD = 5',
      'released failed buy USD = 20',
      'reserved authorize buy USD = 25',
    ]);
  });

  it('releases what a payee did not capture, in the limits’ currency', async () => {
    const setup = instrumented();
    const transactionId = await purchase(setup, '30.00');
    await setup.engine.captureReservation({
      userId: 'alice',
      transactionId,
      captured: { value: '24.00', currency: 'USD' },
      authorized: { value: '30.00', currency: 'USD' },
    });
    expect(await spend()).toContain('released capture - USD = 6');
  });

  it('counts nothing without limits: no reservation is made', async () => {
    const setup = instrumented({ limits: undefined });
    await purchase(setup, '30.00');
    expect(await spend()).toEqual([]);
  });
});

describe('policy and audit spans', () => {
  it('traces each policy check and audit write under the authorize and execute spans', async () => {
    const setup = instrumented();
    await purchase(setup, '30.00');
    await setup.engine.flushAudit();
    expect(named('handshake.policy parameters').map(parentOf)).toEqual(['handshake.authorize']);
    expect(named('handshake.policy amount').map(parentOf)).toEqual(['handshake.authorize']);
    expect(named('handshake.policy signature').map(parentOf)).toEqual(['handshake.execute']);
    expect(named('handshake.audit authorize').map(parentOf)).toEqual(['handshake.authorize']);
    // The written-ahead `started` event and the outcome.
    expect(named('handshake.audit execute').map(parentOf)).toEqual([
      'handshake.execute',
      'handshake.execute',
    ]);
    expect(named('handshake.policy signature')[0]?.attributes).toEqual({
      'handshake.policy.check': 'signature',
    });
    expect(named('handshake.audit authorize')[0]?.attributes).toEqual({
      'handshake.audit.event': 'authorize',
    });
    // The store and tool spans sit beside them, under the same parents.
    expect(named('handshake.store consume').map(parentOf)).toEqual(['handshake.execute']);
  });

  it('marks a refused check with its error type, and the refusal’s audit write', async () => {
    const setup = instrumented();
    const auth = await setup.engine.authorize(
      { tool: 'get_order', parameters: { order_id: 'O-1' } },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'authorized') throw new Error('expected authorized');
    await expect(
      setup.engine.execute(
        { ephemeralToken: auth.ephemeralToken, tool: 'get_order', parameters: { order_id: 'O-1' } },
        CREDENTIALS.alice,
      ),
    ).rejects.toThrow(HandshakeError);
    await setup.engine.flushAudit();
    const [signature] = named('handshake.policy signature');
    expect(signature?.attributes).toEqual({
      'handshake.policy.check': 'signature',
      'error.type': 'SIGNATURE_INVALID',
    });
    expect(signature?.status.code).toBe(2);
    // The refusal is written by the check that refused.
    expect(named('handshake.audit refusal').map(parentOf)).toEqual(['handshake.policy signature']);
  });

  it('marks invalid parameters as a failed parameters check', async () => {
    const setup = instrumented();
    await expect(
      setup.engine.authorize(
        { tool: 'create_invoice', parameters: { nonsense: true } },
        CREDENTIALS.alice,
      ),
    ).rejects.toThrow(HandshakeError);
    expect(named('handshake.policy parameters')[0]?.attributes).toEqual({
      'handshake.policy.check': 'parameters',
      'error.type': 'VALIDATION_ERROR',
    });
  });
});
