import type {
  ApprovalRecord,
  CompleteOp,
  ConsumeOp,
  ConsumeOutcome,
  DecideOp,
  DecideOutcome,
  IssueOp,
  IssueOutcome,
} from '@handshake/core';
import { type Connection, type Item, N, num, S, str, ttlSeconds } from './connection.js';
import { namesOf } from './expression.js';
import { itemKey, statusKey } from './table.js';
import { consumedFields, mismatchOf, present, recordOf, tokenItem, tombstoneOf } from './tokens.js';

/**
 * An approval item (`A#<approvalId>`): the record as created in `body` (JSON, never
 * rewritten), and the fields that change as attributes of their own: status `st`,
 * version `v`, the decision, the digest `tdig` of the token issued to the session,
 * and, once that token is consumed, its tombstone (`cdig`, `csid`, `cst`, `ccat`,
 * `cout`, `cdrop`). `gpk`/`gsk` place it in the listing index by status and age.
 */
export function approvalItem(partition: string, record: ApprovalRecord, retentionMs: number): Item {
  const drop = record.expiresAt + retentionMs;
  return {
    pk: S(itemKey.pk(partition)),
    sk: S(itemKey.approval(record.approvalId)),
    body: S(JSON.stringify(record)),
    st: S(record.status),
    v: N(record.version),
    gpk: S(statusKey(record.status)),
    gsk: S(`${String(record.createdAt).padStart(16, '0')}#${record.approvalId}`),
    drop: N(drop),
    ttl: ttlSeconds(drop),
    ...(record.reservationId ? { rid: S(record.reservationId) } : {}),
  };
}

/** The record an approval item holds now. */
export function decodeApproval(item: Item): ApprovalRecord {
  const record = JSON.parse(str(item, 'body') ?? 'null') as ApprovalRecord;
  record.status = str(item, 'st') as ApprovalRecord['status'];
  record.version = num(item, 'v') ?? record.version;
  const decidedAt = num(item, 'dat');
  if (decidedAt !== undefined) record.decidedAt = decidedAt;
  const decidedBy = str(item, 'dby');
  if (decidedBy !== undefined) record.decidedBy = decidedBy;
  const reason = str(item, 'why');
  if (reason !== undefined) record.reason = reason;
  const tokenExpiresAt = num(item, 'texp');
  if (tokenExpiresAt !== undefined) record.tokenExpiresAt = tokenExpiresAt;
  const tokenDigest = str(item, 'tdig');
  if (tokenDigest !== undefined) record.tokenDigest = tokenDigest;
  const reservationId = str(item, 'rid');
  if (reservationId !== undefined) record.reservationId = reservationId;
  return record;
}

export async function readApproval(
  db: Connection,
  partition: string,
  approvalId: string,
  now?: number,
): Promise<Item | undefined> {
  const item = await db.get(db.key(itemKey.pk(partition), itemKey.approval(approvalId)));
  return now === undefined || present(item, now) ? item : undefined;
}

/** Compare-and-set on the status: one conditional update, so one decision wins. */
export async function decide(
  db: Connection,
  op: DecideOp,
  retentionMs: number,
): Promise<DecideOutcome> {
  const drop = Math.max(op.now, op.tokenExpiresAt ?? 0) + retentionMs;
  const sets = ['#st = :st', '#v = #v + :one', '#dat = :now', '#gpk = :gpk', '#drop = :drop'];
  const values: Item = {
    ':expected': S(op.expectedStatus),
    ':st': S(op.status),
    ':one': N(1),
    ':now': N(op.now),
    ':gpk': S(statusKey(op.status)),
    ':drop': N(drop),
    ':ttl': ttlSeconds(drop),
  };
  sets.push('#ttl = :ttl');
  if (op.decidedBy !== undefined) {
    sets.push('#dby = :dby');
    values[':dby'] = S(op.decidedBy);
  }
  if (op.reason !== undefined) {
    sets.push('#why = :why');
    values[':why'] = S(op.reason);
  }
  if (op.tokenExpiresAt !== undefined) {
    sets.push('#texp = :texp');
    values[':texp'] = N(op.tokenExpiresAt);
  }
  if (op.spend?.action === 'force') {
    sets.push('#rid = :rid');
    values[':rid'] = S(op.spend.request.reservationId);
  }
  const condition = '#st = :expected AND #drop > :now';
  const update = `SET ${sets.join(', ')}`;
  const result = await db.update({
    Key: db.key(itemKey.pk(op.partition), itemKey.approval(op.approvalId)),
    ConditionExpression: condition,
    UpdateExpression: update,
    ExpressionAttributeNames: namesOf(condition, update),
    ExpressionAttributeValues: values,
  });
  if (result.ok && result.item) return { status: 'ok', approval: decodeApproval(result.item) };
  if (!present(result.item, op.now)) return { status: 'unknown' };
  return { status: 'conflict', approval: decodeApproval(result.item) };
}

/**
 * Issues the approval's token: writes the new token item (marked `issued`, naming the
 * approval), then moves the approval's `tdig` to it on the condition that the approval
 * is still approved, unspent, and still names the token read — so a token replaced by a
 * racing issue, or issued after the approval was spent, is never the one consumed.
 */
export async function issue(db: Connection, op: IssueOp): Promise<IssueOutcome> {
  for (;;) {
    const item = await readApproval(db, op.partition, op.approvalId, op.now);
    if (!item) return { status: 'unknown' };
    const approval = decodeApproval(item);
    if (approval.status !== 'approved') return { status: 'not_approved', approval };
    if (str(item, 'cdig') !== undefined) return { status: 'used', approval };
    if (approval.tokenExpiresAt === undefined || approval.tokenExpiresAt <= op.now) {
      return { status: 'expired', approval };
    }
    const previous = str(item, 'tdig');
    const written = await db.put({
      Item: tokenItem(op.partition, op.token.digest, op.token.record, op.retainMs, op.approvalId),
    });
    if (!written.ok) return { status: 'unknown' };
    const condition = `#st = :approved AND attribute_not_exists(#cdig) AND ${
      previous === undefined ? 'attribute_not_exists(#tdig)' : '#tdig = :previous'
    }`;
    const update = 'SET #tdig = :digest';
    const moved = await db.update({
      Key: db.key(itemKey.pk(op.partition), itemKey.approval(op.approvalId)),
      ConditionExpression: condition,
      UpdateExpression: update,
      ExpressionAttributeNames: namesOf(condition, update),
      ExpressionAttributeValues: {
        ':approved': S('approved'),
        ':digest': S(op.token.digest),
        ...(previous === undefined ? {} : { ':previous': S(previous) }),
      },
    });
    if (moved.ok && moved.item) {
      // The previous token no longer works (the approval names another); drop its item.
      if (previous !== undefined) {
        await db.delete(db.key(itemKey.pk(op.partition), itemKey.token(previous)));
      }
      return { status: 'issued', approval: decodeApproval(moved.item) };
    }
    // Refused: another issue or a consume came first. The token just written is inert
    // (no approval names it); drop it and decide again on the approval as it is now.
    await db.delete(db.key(itemKey.pk(op.partition), itemKey.token(op.token.digest)));
  }
}

/**
 * Consumes a token an approval issued: one conditional update of the approval item,
 * which succeeds only while the approval names this token and is unspent. So marking the
 * approval spent and consuming its token are the same atomic write.
 */
export async function consumeIssued(
  db: Connection,
  op: ConsumeOp,
  pointer: Item,
  nonce: string,
): Promise<ConsumeOutcome> {
  const record = recordOf(pointer);
  const approvalId = str(pointer, 'apr') as string;
  const drop = op.now + op.retainMs;
  const condition = '#tdig = :d AND #st = :approved AND attribute_not_exists(#cdig)';
  const update =
    'SET #cdig = :d, #csid = :sid, #cst = :executing, #ccat = :now, #cn = :n, #cdrop = :cdrop';
  const key = db.key(itemKey.pk(op.partition), itemKey.approval(approvalId));
  const expired = record.expiresAt <= op.now;
  const field = mismatchOf(record, op.expect);
  if (expired || field) {
    // Nothing to write; but a token already consumed answers as used, like a plain one.
    const item = await readApproval(db, op.partition, approvalId, op.now);
    if (!item || str(item, 'cdig') !== op.digest) {
      if (!item || str(item, 'tdig') !== op.digest) return { status: 'unknown' };
      return expired ? { status: 'expired' } : { status: 'mismatch', field: field ?? 'userId' };
    }
  }
  const result = await db.update({
    Key: key,
    ConditionExpression: condition,
    UpdateExpression: update,
    ExpressionAttributeNames: namesOf(condition, update),
    ExpressionAttributeValues: {
      ':d': S(op.digest),
      ':approved': S('approved'),
      ':cdrop': N(drop),
      ...consumedFields(op, nonce),
    },
  });
  if (result.ok) return { status: 'ok', record };
  const item = result.item;
  if (!item || str(item, 'cdig') !== op.digest || (num(item, 'cdrop') ?? 0) <= op.now) {
    return { status: 'unknown' };
  }
  return str(item, 'cn') === nonce
    ? { status: 'ok', record }
    : { status: 'used', tombstone: tombstoneOf(record, item, 'c') };
}

/** Keeps the outcome on the tombstone of an approval's token. */
export async function completeIssued(db: Connection, op: CompleteOp, pointer: Item): Promise<void> {
  const approvalId = str(pointer, 'apr') as string;
  const condition = '#cdig = :d';
  const update = 'SET #cst = :completed, #cout = :out, #cdrop = :cdrop';
  await db.update({
    Key: db.key(itemKey.pk(op.partition), itemKey.approval(approvalId)),
    ConditionExpression: condition,
    UpdateExpression: update,
    ExpressionAttributeNames: namesOf(condition, update),
    ExpressionAttributeValues: {
      ':d': S(op.digest),
      ':completed': S('completed'),
      ':out': S(JSON.stringify(op.outcome)),
      ':cdrop': N(op.now + op.retainMs),
    },
  });
}
