import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  ScanCommand,
  type ScanCommandInput,
  type ScanCommandOutput,
  UpdateItemCommand,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { HandshakeError } from '@handshake/protocol';
import { namesOf } from './expression.js';

/** One stored item, in DynamoDB's attribute-value form. */
export type Item = Record<string, AttributeValue>;

/** The answer of a conditional write: done, or refused with the item as it was. */
export type WriteResult =
  | { ok: true; item: Item | undefined }
  | { ok: false; item: Item | undefined };

const UNAVAILABLE = 'The state store is unavailable; retry shortly';

export const S = (value: string): AttributeValue => ({ S: value });
export const N = (value: number | bigint): AttributeValue => ({ N: String(value) });
export const str = (item: Item | undefined, name: string): string | undefined => item?.[name]?.S;
export const num = (item: Item | undefined, name: string): number | undefined => {
  const text = item?.[name]?.N;
  return text === undefined ? undefined : Number(text);
};
/** DynamoDB's TTL is in seconds; it deletes lazily, so reads still compare times themselves. */
export const ttlSeconds = (ms: number): AttributeValue => N(Math.ceil(ms / 1000));

/**
 * The table as the store uses it: every call bounded in time, conditional failures
 * answered (with the item as it stood) rather than thrown, and every other failure
 * turned into `STORE_UNAVAILABLE`.
 */
export class Connection {
  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
    readonly timeoutMs: number,
  ) {}

  key(pk: string, sk: string): Item {
    return { pk: S(pk), sk: S(sk) };
  }

  async get(key: Item): Promise<Item | undefined> {
    const out = await this.#send<GetItemCommandOutput>(
      new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return out.Item;
  }

  /**
   * A conditional update of the item at `key`: `update` where `condition` holds, with
   * `values` for their `:placeholders` (attributes are named as `#name`, see
   * {@link namesOf}). Answers the whole new item, or the old one when refused.
   */
  update(key: Item, condition: string, update: string, values: Item): Promise<WriteResult> {
    return this.#conditional(
      key,
      new UpdateItemCommand({
        Key: key,
        ConditionExpression: condition,
        UpdateExpression: update,
        ExpressionAttributeNames: namesOf(condition, update),
        ExpressionAttributeValues: values,
        TableName: this.tableName,
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  }

  /** A conditional put; refused, it answers the item that stood in the way. */
  put(input: Omit<PutItemCommandInput, 'TableName'>): Promise<WriteResult> {
    const item = input.Item as Item;
    return this.#conditional(
      { pk: item.pk as AttributeValue, sk: item.sk as AttributeValue },
      new PutItemCommand({
        ...input,
        TableName: this.tableName,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  }

  async delete(key: Item): Promise<void> {
    await this.#send(new DeleteItemCommand({ TableName: this.tableName, Key: key }));
  }

  async query(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const out = await this.#send<QueryCommandOutput>(
      new QueryCommand({ ...input, TableName: this.tableName }),
    );
    return out.Items ?? [];
  }

  /** One page of a scan of the table, and where the next one starts. */
  async scan(
    input: Omit<ScanCommandInput, 'TableName'>,
  ): Promise<{ items: Item[]; next: Item | undefined }> {
    const out = await this.#send<ScanCommandOutput>(
      new ScanCommand({ ...input, TableName: this.tableName }),
    );
    return { items: out.Items ?? [], next: out.LastEvaluatedKey as Item | undefined };
  }

  async #conditional(key: Item, command: UpdateItemCommand | PutItemCommand): Promise<WriteResult> {
    try {
      const out = await this.#send<UpdateItemCommandOutput>(command);
      return { ok: true, item: out.Attributes };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // DynamoDB returns the item with the refusal; servers that do not (dynalite) are
      // asked for it. Either way it is the item as it stood when the write was refused
      // or later: callers decide on it and never assume it is still current.
      const item = (error as { Item?: Item }).Item;
      return { ok: false, item: item ?? (await this.get(key)) };
    }
  }

  async #send<T>(command: { input: unknown }): Promise<T> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    try {
      return (await this.client.send(command as never, { abortSignal: abort.signal })) as T;
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      if (nameOf(error) === 'ValidationException') {
        // A request the table refuses as malformed (an oversized item, for one): no retry helps.
        throw new HandshakeError('INTERNAL_ERROR', 'The state store refused the request', {
          cause: error,
        });
      }
      throw new HandshakeError('STORE_UNAVAILABLE', UNAVAILABLE, {
        cause: error,
        retryAfterSeconds: 1,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

function nameOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null
    ? (error as { name?: string }).name
    : undefined;
}

function isConditionFailure(error: unknown): boolean {
  return nameOf(error) === 'ConditionalCheckFailedException';
}
