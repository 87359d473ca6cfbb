import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** Name of the global secondary index that lists approvals by status, newest first. */
export const APPROVALS_INDEX = 'approvals-by-status';

/** The attribute DynamoDB's Time to Live reads (seconds since the epoch). */
export const TTL_ATTRIBUTE = 'ttl';

/**
 * The key of every item: one partition per user (`pk`), and a sort key telling the
 * items of that user apart.
 */
export const itemKey = {
  pk: (partition: string) => `U#${partition}`,
  token: (digest: string) => `T#${digest}`,
  approval: (approvalId: string) => `A#${approvalId}`,
  /** A rate-limit counter; a bucket (a client's digest) counts apart inside the partition. */
  rate: (windowStart: number, bucket?: string) =>
    bucket ? `R#${bucket}#${windowStart}` : `R#${windowStart}`,
  ledger: 'L',
} as const;

/** The index partition of approvals in one status. */
export const statusKey = (status: string) => `S#${status}`;

/**
 * The table `DynamoDBStore` needs, as a `CreateTable` input: string keys `pk` and
 * `sk`, on-demand capacity, and the `approvals-by-status` index (`gpk`, `gsk`) for
 * approvers' listings. Turn on Time to Live on the `ttl` attribute as well (a separate
 * `UpdateTimeToLive` call; `createDynamoDBTable` does both).
 *
 * @example
 * ```ts
 * import { dynamoDBTableDefinition } from '@handshake/dynamodb';
 *
 * const definition = dynamoDBTableDefinition('handshake');
 * definition.KeySchema; // [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]
 * ```
 */
export function dynamoDBTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'gpk', AttributeType: 'S' },
      { AttributeName: 'gsk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: APPROVALS_INDEX,
        KeySchema: [
          { AttributeName: 'gpk', KeyType: 'HASH' },
          { AttributeName: 'gsk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}
