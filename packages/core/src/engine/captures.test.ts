import { describe, expect, it } from 'vitest';
import { CREDENTIALS, testEngine } from '../../test/fixtures.js';
import { MemoryStore } from '../store/memory-store.js';

const limits = { currency: 'USD', daily: '100.00' };
const buy = (value: string) => ({ amount: { value, currency: 'USD' } });

async function purchase(
  engine: ReturnType<typeof testEngine>['engine'],
  sign: ReturnType<typeof testEngine>['sign'],
  value: string,
  execute = true,
) {
  const auth = await engine.authorize({ tool: 'buy', parameters: buy(value) }, CREDENTIALS.alice);
  if (auth.status !== 'authorized') throw new Error('expected an authorization');
  if (execute) {
    await engine.execute(
      {
        ephemeralToken: auth.ephemeralToken,
        tool: 'buy',
        parameters: buy(value),
        ...sign('buy', buy(value), auth.transactionId),
      },
      CREDENTIALS.alice,
    );
  }
  return auth.transactionId;
}

const used = async (engine: ReturnType<typeof testEngine>['engine']) =>
  (await engine.limits(CREDENTIALS.alice))?.windows[0]?.used;

describe('captureReservation', () => {
  it('keeps the captured part of a committed purchase counted and gives the rest back, once', async () => {
    const { engine, sign, audit } = testEngine({ limits });
    const transactionId = await purchase(engine, sign, '30.00');
    expect(await used(engine)).toBe('30.00');
    const capture = {
      userId: 'alice',
      transactionId,
      captured: { value: '24.00', currency: 'USD' },
      authorized: { value: '30.00', currency: 'USD' },
      payee: 'Example Books',
      attributes: { cardLast4: '4242' },
    };
    expect(await engine.captureReservation(capture)).toEqual({
      status: 'captured',
      keptMinor: 2400n,
      releasedMinor: 600n,
    });
    expect(await used(engine)).toBe('24.00');
    // A repeated delivery, even with another amount, changes nothing.
    expect(
      await engine.captureReservation({ ...capture, captured: { value: '1.00', currency: 'USD' } }),
    ).toEqual({ status: 'already_captured' });
    expect(await used(engine)).toBe('24.00');
    await engine.flushAudit();
    const events = audit.events.filter((event) => event.type === 'card.capture');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      outcome: 'captured',
      transactionId,
      merchant: 'Example Books',
      attributes: { cardLast4: '4242' },
      amount: { value: '24.00', currency: 'USD' },
    });
  });

  it('commits only the captured part of a reservation not yet committed', async () => {
    const { engine, sign } = testEngine({ limits });
    const transactionId = await purchase(engine, sign, '50.00', false);
    expect(await used(engine)).toBe('50.00');
    const outcome = await engine.captureReservation({
      userId: 'alice',
      transactionId,
      captured: { value: '10.00', currency: 'USD' },
      authorized: { value: '50.00', currency: 'USD' },
    });
    expect(outcome).toMatchObject({ status: 'captured', keptMinor: 1000n });
    expect(await used(engine)).toBe('10.00');
  });

  it('never counts more than was reserved, and knows no capture of an unknown transaction', async () => {
    const { engine, sign } = testEngine({ limits });
    const transactionId = await purchase(engine, sign, '20.00');
    const over = await engine.captureReservation({
      userId: 'alice',
      transactionId,
      captured: { value: '25.00', currency: 'USD' },
      authorized: { value: '20.00', currency: 'USD' },
    });
    expect(over).toMatchObject({ status: 'captured', keptMinor: 2000n, releasedMinor: 0n });
    expect(await used(engine)).toBe('20.00');
    const unknown = await engine.captureReservation({
      userId: 'alice',
      transactionId: 'tx_unknown',
      captured: { value: '1.00', currency: 'USD' },
      authorized: { value: '20.00', currency: 'USD' },
    });
    expect(unknown).toEqual({ status: 'unknown' });
    await expect(
      engine.captureReservation({
        userId: 'alice',
        transactionId,
        captured: { value: '1.00', currency: 'EUR' },
        authorized: { value: '20.00', currency: 'USD' },
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  it('answers unsupported on a store that cannot count captures, leaving the spend counted', async () => {
    const inner = new MemoryStore();
    const store = new Proxy(inner, {
      get: (target, key) =>
        key === 'captureReservation'
          ? undefined
          : (Reflect.get(target, key, target) as unknown as { bind?: unknown }) instanceof Function
            ? (Reflect.get(target, key, target) as (...args: unknown[]) => unknown).bind(target)
            : Reflect.get(target, key, target),
    });
    const { engine, sign } = testEngine({ limits, store });
    const transactionId = await purchase(engine, sign, '30.00');
    const outcome = await engine.captureReservation({
      userId: 'alice',
      transactionId,
      captured: { value: '5.00', currency: 'USD' },
      authorized: { value: '30.00', currency: 'USD' },
    });
    expect(outcome).toEqual({ status: 'unsupported' });
    expect(await used(engine)).toBe('30.00');
  });
});

describe('recordChargeDecision', () => {
  it('audits the decision, reason and merchant', async () => {
    const { engine, audit } = testEngine();
    await engine.recordChargeDecision({
      userId: 'alice',
      transactionId: 'tx_1',
      approved: false,
      reason: 'merchant_mismatch',
      payee: 'Other Shop',
      payeeCategory: 'book_stores',
      amount: { value: '30.00', currency: 'USD' },
      attributes: { cardLast4: '4242' },
    });
    await engine.flushAudit();
    expect(audit.events.at(-1)).toMatchObject({
      type: 'card.authorization',
      outcome: 'declined',
      detail: 'merchant_mismatch',
      merchant: 'Other Shop / book_stores',
      attributes: { cardLast4: '4242' },
    });
  });
});
