import { storeConformance } from '@handshake/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DynamoDBStore } from './dynamodb-store.js';
import { dynaliteGate, freshTable, testClient } from './test-support.js';

const server = await dynaliteGate();

if (server) {
  const client = testClient(server.endpoint);
  const tableName = await freshTable(client, 'conf');
  afterAll(async () => {
    client.destroy();
    await server.kill();
  });

  storeConformance(
    'DynamoDBStore',
    // A generous bound: a shared test machine may run dynalite slowly.
    () => new DynamoDBStore({ tableName, client, requestTimeoutMs: 20_000 }),
    { describe, it, afterEach },
  );

  describe('DynamoDBStore table checks', () => {
    it('is ready on a table laid out for it', async () => {
      await expect(new DynamoDBStore({ tableName, client }).ready()).resolves.toBeUndefined();
    });

    it('names a missing table', async () => {
      const store = new DynamoDBStore({ tableName: 'no-such-table', client });
      await expect(store.ready()).rejects.toThrow(
        'The DynamoDB table "no-such-table" does not exist',
      );
    });
  });
}
