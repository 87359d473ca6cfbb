import {
  CreateTableCommand,
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { HandshakeError } from '@handshake/protocol';
import { APPROVALS_INDEX, dynamoDBTableDefinition, TTL_ATTRIBUTE } from './table.js';

const nameOf = (error: unknown) =>
  typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;

/** Describes the table, failing with a message naming it when it is missing or unlike ours. */
export async function checkTable(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs: number,
): Promise<void> {
  let table: DescribeTableCommandOutput;
  try {
    table = await client.send(new DescribeTableCommand({ TableName: tableName }), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if (nameOf(error) === 'ResourceNotFoundException') {
      throw new HandshakeError(
        'STORE_UNAVAILABLE',
        `The DynamoDB table "${tableName}" does not exist`,
        { cause: error },
      );
    }
    throw new HandshakeError('STORE_UNAVAILABLE', 'The state store is unavailable; retry shortly', {
      cause: error,
      retryAfterSeconds: 1,
    });
  }
  const keys = table.Table?.KeySchema?.map((key) => key.AttributeName).join(',');
  const indexed = table.Table?.GlobalSecondaryIndexes?.some((i) => i.IndexName === APPROVALS_INDEX);
  if (keys !== 'pk,sk' || !indexed) {
    throw new HandshakeError(
      'STORE_UNAVAILABLE',
      `The DynamoDB table "${tableName}" is not laid out for Handshake: it needs keys pk and sk and the index ${APPROVALS_INDEX}`,
    );
  }
}

/**
 * Creates the store's table (on-demand capacity, the approvals index) and turns on
 * Time to Live on `ttl`, then waits until it is active. A table that already exists is
 * left as it is. Meant for development and tests; create production tables with your
 * infrastructure code from `dynamoDBTableDefinition`.
 *
 * @example
 * ```ts
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
 * import { createDynamoDBTable } from '@handshake/dynamodb';
 *
 * await createDynamoDBTable(new DynamoDBClient({}), 'handshake-dev');
 * ```
 */
export async function createDynamoDBTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<void> {
  try {
    await client.send(new CreateTableCommand(dynamoDBTableDefinition(tableName)));
  } catch (error) {
    if (nameOf(error) !== 'ResourceInUseException') throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1 }, { TableName: tableName });
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (error) {
    // Already on, or a local server without Time to Live: reads compare times anyway.
    const name = nameOf(error);
    if (name !== 'ValidationException' && name !== 'UnknownOperationException') throw error;
  }
}
