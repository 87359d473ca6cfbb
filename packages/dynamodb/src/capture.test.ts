import { createHandshake } from '@handshake/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoDBStore } from './dynamodb-store.js';
import {
  CREDENTIALS,
  dynaliteGate,
  freshTable,
  moneyTools,
  serviceFixture,
  testClient,
} from './test-support.js';

const server = await dynaliteGate();

describe.skipIf(!server)('DynamoDB: a card purchase counted at the amount captured', async () => {
  const client = testClient(server?.endpoint ?? '');
  const tableName = server ? await freshTable(client, 'capture') : '';
  const fixture = serviceFixture();
  const engine = createHandshake({
    tools: moneyTools().provider,
    store: new DynamoDBStore({ tableName, client }),
    sessions: fixture.sessions,
    keys: fixture.keys,
    limits: { currency: 'USD', daily: '100.00' },
  });
  afterAll(async () => {
    await engine.close();
    client.destroy();
    await server?.kill();
  });

  const buy = (value: string) => ({ order: `O-${value}`, amount: { value, currency: 'USD' } });
  async function purchase(value: string, execute = true) {
    const auth = await engine.authorize({ tool: 'buy', parameters: buy(value) }, CREDENTIALS.alice);
    if (auth.status !== 'authorized') throw new Error('expected an authorization');
    if (execute) {
      const done = await engine.execute(
        {
          ephemeralToken: auth.ephemeralToken,
          tool: 'buy',
          parameters: buy(value),
          ...fixture.sign('buy', buy(value), auth.transactionId),
        },
        CREDENTIALS.alice,
      );
      expect(done.status).toBe('completed');
    }
    return auth.transactionId;
  }
  const used = async () => (await engine.limits(CREDENTIALS.alice))?.windows[0]?.used;
  const capture = (transactionId: string, captured: string, cardLimit: string) =>
    engine.captureReservation({
      userId: 'alice',
      transactionId,
      captured: { value: captured, currency: 'USD' },
      authorized: { value: cardLimit, currency: 'USD' },
    });

  it('keeps the captured part of a committed purchase and gives the rest back, once', async () => {
    const transactionId = await purchase('30.00');
    expect(await used()).toBe('30.00');
    expect(await capture(transactionId, '24.00', '30.00')).toEqual({
      status: 'captured',
      keptMinor: 2400n,
      releasedMinor: 600n,
    });
    expect(await used()).toBe('24.00');
    expect(await capture(transactionId, '1.00', '30.00')).toEqual({ status: 'already_captured' });
    expect(await used()).toBe('24.00');
  });

  it('commits only the captured part of a reservation not yet committed', async () => {
    const transactionId = await purchase('50.00', false);
    expect(await used()).toBe('74.00');
    expect(await capture(transactionId, '10.00', '50.00')).toMatchObject({
      status: 'captured',
      keptMinor: 1000n,
    });
    expect(await used()).toBe('34.00');
  });

  it('never counts more than was reserved, and knows no capture of an unknown transaction', async () => {
    const transactionId = await purchase('20.00');
    expect(await capture(transactionId, '25.00', '20.00')).toMatchObject({
      status: 'captured',
      keptMinor: 2000n,
      releasedMinor: 0n,
    });
    expect(await used()).toBe('54.00');
    expect(await capture('tx_unknown', '1.00', '20.00')).toEqual({ status: 'unknown' });
  });
});
