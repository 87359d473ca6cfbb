import {
  amountBinding,
  type CompleteOp,
  type ConsumeMismatchField,
  type ConsumeOp,
  type ConsumeOutcome,
  type ExecutionOutcome,
  type Tombstone,
  type TransactionRecord,
} from '@handshake/core';
import { type Connection, type Item, N, num, S, str, ttlSeconds } from './connection.js';
import { itemKey } from './table.js';

/**
 * A token item (`T#<digest>`) is `live` until consumed, then `used` (its tombstone).
 * A token minted by an approval is `issued`: the approval item decides its consume, so
 * that marking the approval spent and consuming the token are one conditional write.
 */
export type TokenKind = 'live' | 'used' | 'issued';

/** The item of a token: its record as JSON, and the fields the consume condition compares. */
export function tokenItem(
  partition: string,
  digest: string,
  record: TransactionRecord,
  retainMs: number,
  approvalId?: string,
): Item {
  const drop = record.expiresAt + retainMs;
  return {
    pk: S(itemKey.pk(partition)),
    sk: S(itemKey.token(digest)),
    k: S(approvalId === undefined ? 'live' : 'issued'),
    rec: S(JSON.stringify(record)),
    uid: S(record.userId),
    tool: S(record.tool),
    ph: S(record.paramsHash),
    tx: S(record.transactionId),
    amt: S(amountBinding(record)),
    exp: N(record.expiresAt),
    drop: N(drop),
    ttl: ttlSeconds(drop),
    ...(approvalId === undefined ? {} : { apr: S(approvalId) }),
  };
}

export const recordOf = (item: Item): TransactionRecord =>
  JSON.parse(str(item, 'rec') ?? 'null') as TransactionRecord;

/** Whether a token item still exists at `now` (DynamoDB's own TTL deletes late). */
export const present = (item: Item | undefined, now: number): item is Item =>
  item !== undefined && (num(item, 'drop') ?? 0) > now;

/** The first field of the request that differs from the record, if any. */
export function mismatchOf(
  record: TransactionRecord,
  expect: ConsumeOp['expect'],
): ConsumeMismatchField | undefined {
  if (record.userId !== expect.userId) return 'userId';
  if (record.tool !== expect.tool) return 'tool';
  if (record.paramsHash !== expect.paramsHash) return 'paramsHash';
  if (expect.transactionId !== undefined && record.transactionId !== expect.transactionId) {
    return 'transactionId';
  }
  if (expect.amount !== undefined && amountBinding(record) !== expect.amount) return 'amount';
  return undefined;
}

/** The tombstone fields a consume writes: who consumed, when, and the nonce of the write. */
export function consumedFields(op: ConsumeOp, nonce: string) {
  return {
    ':sid': S(op.sessionId),
    ':executing': S('executing'),
    ':now': N(op.now),
    ':n': S(nonce),
  };
}

export function tombstoneOf(
  record: TransactionRecord,
  item: Item,
  prefix: '' | 'c' = '',
): Tombstone {
  const outcome = str(item, `${prefix}out`);
  return {
    transactionId: record.transactionId,
    userId: record.userId,
    sessionId: str(item, `${prefix}sid`) ?? '',
    tool: record.tool,
    paramsHash: record.paramsHash,
    state: str(item, `${prefix}st`) === 'completed' ? 'completed' : 'executing',
    consumedAt: num(item, `${prefix}cat`) ?? 0,
    ...(outcome ? { outcome: JSON.parse(outcome) as ExecutionOutcome } : {}),
  };
}

/**
 * Consumes a plain token: one conditional update that succeeds only on a live,
 * unexpired token matching the request. Refused, it answers from the item as it stood:
 * unknown, used (or ok when the refused write was this call's own, resent by the SDK
 * after a lost reply: the nonce tells), expired or mismatch. An `issued` token is
 * handed back to the caller, which consumes it through its approval.
 */
export async function consumePlain(
  db: Connection,
  op: ConsumeOp,
  nonce: string,
): Promise<ConsumeOutcome | { status: 'issued'; item: Item }> {
  const hasTx = op.expect.transactionId !== undefined;
  const hasAmount = op.expect.amount !== undefined;
  const condition = `#k = :live AND #exp > :now AND #drop > :now AND #uid = :u AND #tool = :t AND #ph = :h${
    hasTx ? ' AND #tx = :x' : ''
  }${hasAmount ? ' AND #amt = :amt' : ''}`;
  const update =
    'SET #k = :used, #sid = :sid, #st = :executing, #cat = :now, #n = :n, #drop = :drop, #ttl = :ttl';
  const drop = op.now + op.retainMs;
  const key = db.key(itemKey.pk(op.partition), itemKey.token(op.digest));
  const result = await db.update(key, condition, update, {
    ':live': S('live'),
    ':used': S('used'),
    ':u': S(op.expect.userId),
    ':t': S(op.expect.tool),
    ':h': S(op.expect.paramsHash),
    ...(hasTx ? { ':x': S(op.expect.transactionId as string) } : {}),
    ...(hasAmount ? { ':amt': S(op.expect.amount as string) } : {}),
    ':drop': N(drop),
    ':ttl': ttlSeconds(drop),
    ...consumedFields(op, nonce),
  });
  if (result.ok && result.item) return { status: 'ok', record: recordOf(result.item) };
  const item = result.item;
  if (!present(item, op.now)) return { status: 'unknown' };
  const kind = str(item, 'k') as TokenKind;
  if (kind === 'issued') return { status: 'issued', item };
  const record = recordOf(item);
  if (kind === 'used') {
    return str(item, 'n') === nonce
      ? { status: 'ok', record }
      : { status: 'used', tombstone: tombstoneOf(record, item) };
  }
  if (record.expiresAt <= op.now) return { status: 'expired' };
  const field = mismatchOf(record, op.expect);
  if (field) return { status: 'mismatch', field };
  // Live and matching, yet refused: it was consumed and dropped in between. Nothing to run.
  return { status: 'unknown' };
}

/**
 * Keeps the outcome on a plain token's tombstone. Answers the item when the token is an
 * approval's (`issued`), whose tombstone lives on the approval item.
 */
export async function completePlain(db: Connection, op: CompleteOp): Promise<Item | undefined> {
  const condition = '#k = :used';
  const update = 'SET #st = :completed, #out = :out, #drop = :drop, #ttl = :ttl';
  const drop = op.now + op.retainMs;
  const key = db.key(itemKey.pk(op.partition), itemKey.token(op.digest));
  const result = await db.update(key, condition, update, {
    ':used': S('used'),
    ':completed': S('completed'),
    ':out': S(JSON.stringify(op.outcome)),
    ':drop': N(drop),
    ':ttl': ttlSeconds(drop),
  });
  if (!result.ok && str(result.item, 'k') === 'issued') return result.item;
  return undefined;
}
