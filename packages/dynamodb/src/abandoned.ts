import type { AbandonedExecution, ResolveAbandonedOp, TransactionRecord } from '@handshake/core';
import { decodeApproval } from './approvals.js';
import { type Connection, type Item, N, S, str, ttlSeconds } from './connection.js';
import { namesOf } from './expression.js';
import { recordOf, tombstoneOf } from './tokens.js';

/** Executing tombstones, of plain tokens (`T#`) and of approvals' tokens (`A#`, prefix `c`). */
const FILTER =
  '(begins_with(#sk, :t) AND #k = :used AND #st = :executing AND #cat < :before AND #drop > :now)' +
  ' OR (begins_with(#sk, :a) AND #cst = :executing AND #ccat < :before AND #cdrop > :now)';

/**
 * Finds the tombstones left executing before `op.consumedBefore` with a scan of the
 * table (the table has no index of them: a sweep reads every item, so run it less often
 * on a large table), and resolves each with a conditional update that succeeds only
 * while it is still executing — of racing sweeps, one resolves it. The reservation is
 * committed first, as `complete` does: committing a reservation already committed is a
 * no-op, so a sweep that loses the race changes nothing.
 */
export async function resolveAbandoned(
  db: Connection,
  op: ResolveAbandonedOp,
  commit: (partition: string, reservationId: string) => Promise<void>,
): Promise<AbandonedExecution[]> {
  const resolved: AbandonedExecution[] = [];
  let start: Item | undefined;
  do {
    const page = await db.scan({
      FilterExpression: FILTER,
      ExpressionAttributeNames: namesOf(FILTER, ''),
      ExpressionAttributeValues: {
        ':t': S('T#'),
        ':a': S('A#'),
        ':used': S('used'),
        ':executing': S('executing'),
        ':before': N(op.consumedBefore),
        ':now': N(op.now),
      },
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    for (const item of page.items) {
      if (resolved.length >= op.limit) break;
      const found = await resolveOne(db, op, item, commit);
      if (found) resolved.push(found);
    }
    start = page.next;
  } while (start && resolved.length < op.limit);
  return resolved;
}

async function resolveOne(
  db: Connection,
  op: ResolveAbandonedOp,
  item: Item,
  commit: (partition: string, reservationId: string) => Promise<void>,
): Promise<AbandonedExecution | undefined> {
  const pk = str(item, 'pk') ?? '';
  const partition = pk.slice(2);
  const approval = (str(item, 'sk') ?? '').startsWith('A#');
  const prefix = approval ? 'c' : '';
  const record: TransactionRecord = approval
    ? (decodeApproval(item) as unknown as TransactionRecord)
    : recordOf(item);
  if (record.reservationId) await commit(partition, record.reservationId);
  const condition = `#${prefix}st = :executing AND #${prefix}cat < :before`;
  const drop = op.now + op.retainMs;
  const update = approval
    ? 'SET #cst = :completed, #cout = :out, #cdrop = :drop'
    : 'SET #st = :completed, #out = :out, #drop = :drop, #ttl = :ttl';
  const key = db.key(pk, str(item, 'sk') ?? '');
  const result = await db.update(key, condition, update, {
    ':executing': S('executing'),
    ':before': N(op.consumedBefore),
    ':completed': S('completed'),
    ':out': S(JSON.stringify(op.outcome)),
    ':drop': N(drop),
    ...(approval ? {} : { ':ttl': ttlSeconds(drop) }),
  });
  if (!result.ok) return undefined;
  return { partition, tombstone: tombstoneOf(record, item, prefix) };
}
