import { createHandshake, type HandshakeOptions } from '@handshake/core';
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

/**
 * Capacity as the server reports it: every request asks for `ReturnConsumedCapacity`,
 * and the units each answer reports are added up, reads and writes apart. (No write is
 * refused in these handshakes, so none costs a unit unreported.)
 */
describe.skipIf(!server)('DynamoDB capacity per handshake', async () => {
  const client = testClient(server?.endpoint ?? '');
  const units = { read: 0, write: 0, requests: [] as string[] };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } })
        .ConsumedCapacity;
      const name = String(context.commandName);
      units.requests.push(name);
      if (/^(Get|Query|BatchGet)/.test(name)) units.read += consumed?.CapacityUnits ?? 0;
      else units.write += consumed?.CapacityUnits ?? 0;
      return result;
    },
    { step: 'initialize', name: 'countCapacity' },
  );
  const tableName = server ? await freshTable(client, 'cap') : '';
  const fixture = serviceFixture();
  const tools = moneyTools(() => ({ paid: true }));
  const engines: ReturnType<typeof createHandshake>[] = [];
  afterAll(async () => {
    for (const engine of engines) await engine.close();
    client.destroy();
    await server?.kill();
  });

  function engineWith(options: Partial<HandshakeOptions>) {
    const engine = createHandshake({
      tools: tools.provider,
      store: new DynamoDBStore({ tableName, client }),
      sessions: fixture.sessions,
      keys: fixture.keys,
      rateLimit: { limit: 100, windowMs: 60_000 },
      ...options,
    });
    engines.push(engine);
    return engine;
  }

  async function measure(engine: ReturnType<typeof createHandshake>, order: string) {
    const parameters = { order, amount: { value: '12.50', currency: 'USD' } };
    units.read = 0;
    units.write = 0;
    units.requests = [];
    const authorized = await engine.authorize({ tool: 'buy', parameters }, CREDENTIALS.alice);
    if (authorized.status !== 'authorized') throw new Error('expected an authorization');
    const done = await engine.execute(
      {
        ephemeralToken: authorized.ephemeralToken,
        tool: 'buy',
        parameters,
        ...fixture.sign('buy', parameters, authorized.transactionId),
      },
      CREDENTIALS.alice,
    );
    expect(done.status).toBe('completed');
    return { ...units };
  }

  it('costs 4 write units and no read without spending limits', async () => {
    const measured = await measure(engineWith({}), 'O-plain');
    expect(measured.requests).toEqual([
      'UpdateItemCommand', // rate-limit window
      'PutItemCommand', // token
      'UpdateItemCommand', // consume
      'UpdateItemCommand', // result for replay
    ]);
    expect(measured).toMatchObject({ write: 4, read: 0 });
  });

  it('costs 7 write units and 3 read units within spending limits', async () => {
    const engine = engineWith({
      limits: { currency: 'USD', daily: '1000.00', weekly: '2000.00', monthly: '5000.00' },
    });
    const measured = await measure(engine, 'O-limits');
    expect(measured.requests).toEqual([
      'UpdateItemCommand', // rate-limit window
      'GetItemCommand', // ledger
      'UpdateItemCommand', // ledger: reservation in three windows
      'PutItemCommand', // token
      'UpdateItemCommand', // consume
      'GetItemCommand', // ledger
      'UpdateItemCommand', // ledger: the hold kept while the execute is unresolved
      'GetItemCommand', // ledger
      'UpdateItemCommand', // ledger: commit
      'UpdateItemCommand', // result for replay
    ]);
    expect(measured).toMatchObject({ write: 7, read: 3 });
  });
});
