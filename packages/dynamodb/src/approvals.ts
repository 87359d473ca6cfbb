import {
  type ApprovalRecord,
  type CompleteOp,
  type ConsumeOp,
  type ConsumeOutcome,
  type DecideOp,
  type DecideOutcome,
  type IssueOp,
  type IssueOutcome,
  spentApprovalTombstone,
  type TransactionRecord,
} from '@handshake/core';
import { type Connection, type Item, N, num, S, str, ttlSeconds } from './connection.js';
import { inLane } from './lane.js';
import { itemKey, statusKey } from './table.js';
import { consumedFields, mismatchOf, present, recordOf, tokenItem, tombstoneOf } from './tokens.js';

/**
 * An approval item (`A#<approvalId>`): the record as created in `body` (JSON, never
 * rewritten), and the fields that change as attributes of their own: status `st`,
 * version `v`, the decision, the digests `tdigs` of the tokens issued to the session and
 * still live (a list, oldest first, changed under the counter `tver`), and, once one of
 * them is consumed — which spends the approval — its tombstone (`cdig`, `csid`, `cst`,
 * `ccat`, `cout`, `cdrop`). `gpk`/`gsk` place it in the listing index by status and age.
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
  const live = liveDigests(item);
  if (live.length > 0) record.tokenDigests = live;
  const executedDigest = str(item, 'cdig');
  if (executedDigest !== undefined) {
    record.executedDigest = executedDigest;
    record.executedAt = num(item, 'ccat') ?? 0;
    delete record.tokenDigests;
  }
  const reservationId = str(item, 'rid');
  if (reservationId !== undefined) record.reservationId = reservationId;
  return record;
}

/** The digests of the approval's live tokens, oldest first. */
function liveDigests(item: Item | undefined): string[] {
  return (item?.tdigs?.L ?? []).flatMap((value) => (value.S === undefined ? [] : [value.S]));
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
  if (op.reservation?.action === 'force') {
    sets.push('#rid = :rid');
    values[':rid'] = S(op.reservation.request.reservationId);
  }
  const condition = '#st = :expected AND #drop > :now';
  const update = `SET ${sets.join(', ')}`;
  const key = db.key(itemKey.pk(op.partition), itemKey.approval(op.approvalId));
  const result = await db.update(key, condition, update, values);
  if (result.ok && result.item) return { status: 'ok', approval: decodeApproval(result.item) };
  if (!present(result.item, op.now)) return { status: 'unknown' };
  return { status: 'conflict', approval: decodeApproval(result.item) };
}

/**
 * Issues a token of the approval: writes the new token item (marked `issued`, naming
 * the approval), then adds it to the approval's live list (revoking the oldest beyond
 * `maxLiveTokens`) on the condition that the approval is still approved, unspent, and
 * its list unchanged since read (`tver`) — so a token issued after the approval was
 * spent is never one that can be consumed.
 */
export function issue(db: Connection, op: IssueOp): Promise<IssueOutcome> {
  return inLane(db, `issue\u0000${op.partition}\u0000${op.approvalId}`, () => issueNow(db, op));
}

async function issueNow(db: Connection, op: IssueOp): Promise<IssueOutcome> {
  for (;;) {
    const item = await readApproval(db, op.partition, op.approvalId, op.now);
    if (!item) return { status: 'unknown' };
    const approval = decodeApproval(item);
    if (approval.status !== 'approved') return { status: 'not_approved', approval };
    if (str(item, 'cdig') !== undefined) return { status: 'used', approval };
    if (approval.tokenExpiresAt === undefined || approval.tokenExpiresAt <= op.now) {
      return { status: 'expired', approval };
    }
    const previous = liveDigests(item).filter((digest) => digest !== op.token.digest);
    const live = [...previous, op.token.digest].slice(-Math.max(1, op.maxLiveTokens));
    const version = num(item, 'tver');
    const written = await db.put({
      Item: tokenItem(op.partition, op.token.digest, op.token.record, op.retainMs, op.approvalId),
    });
    if (!written.ok) return { status: 'unknown' };
    const condition = `#st = :approved AND attribute_not_exists(#cdig) AND ${
      version === undefined ? 'attribute_not_exists(#tver)' : '#tver = :tver'
    }`;
    const update = 'SET #tdigs = :live, #tver = :next';
    const key = db.key(itemKey.pk(op.partition), itemKey.approval(op.approvalId));
    const moved = await db.update(key, condition, update, {
      ':approved': S('approved'),
      ':live': { L: live.map((digest) => S(digest)) },
      ':next': N((version ?? 0) + 1),
      ...(version === undefined ? {} : { ':tver': N(version) }),
    });
    if (moved.ok && moved.item) {
      // Tokens beyond the bound no longer work (the approval does not list them).
      for (const revoked of previous.filter((digest) => !live.includes(digest))) {
        await db.delete(db.key(itemKey.pk(op.partition), itemKey.token(revoked)));
      }
      return { status: 'issued', approval: decodeApproval(moved.item) };
    }
    // Refused: another issue or a consume came first. The token just written is inert
    // (no approval lists it); drop it and decide again on the approval as it is now.
    await db.delete(db.key(itemKey.pk(op.partition), itemKey.token(op.token.digest)));
  }
}

/**
 * What a token of a spent approval answers: the tombstone of the token that ran while it
 * is kept (or `ok` to a resend of the very consume that spent it), then a spent one.
 */
function spentAnswer(
  item: Item,
  record: TransactionRecord,
  op: ConsumeOp,
  nonce: string,
): ConsumeOutcome {
  if ((num(item, 'cdrop') ?? 0) <= op.now) {
    return { status: 'used', tombstone: spentApprovalTombstone(decodeApproval(item)) };
  }
  if (str(item, 'cdig') === op.digest && str(item, 'cn') === nonce) return { status: 'ok', record };
  return { status: 'used', tombstone: tombstoneOf(record, item, 'c') };
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
  const condition = 'contains(#tdigs, :d) AND #st = :approved AND attribute_not_exists(#cdig)';
  const update =
    'SET #cdig = :d, #csid = :sid, #cst = :executing, #ccat = :now, #cn = :n, #cdrop = :cdrop REMOVE #tdigs';
  const key = db.key(itemKey.pk(op.partition), itemKey.approval(approvalId));
  const expired = record.expiresAt <= op.now;
  const field = mismatchOf(record, op.expect);
  if (expired || field) {
    // Nothing to write; but a token of a spent approval answers as used, like a plain one.
    const item = await readApproval(db, op.partition, approvalId, op.now);
    if (item && str(item, 'cdig') !== undefined) return spentAnswer(item, record, op, nonce);
    if (!item || !liveDigests(item).includes(op.digest)) return { status: 'unknown' };
    return expired ? { status: 'expired' } : { status: 'mismatch', field: field ?? 'userId' };
  }
  const result = await db.update(key, condition, update, {
    ':d': S(op.digest),
    ':approved': S('approved'),
    ':cdrop': N(drop),
    ...consumedFields(op, nonce),
  });
  if (result.ok) return { status: 'ok', record };
  const item = result.item;
  if (item && present(item, op.now) && str(item, 'cdig') !== undefined) {
    return spentAnswer(item, record, op, nonce);
  }
  // Revoked (beyond the bound) or the approval is gone: nothing to run.
  return { status: 'unknown' };
}

/** Keeps the outcome on the tombstone of an approval's token. */
export async function completeIssued(db: Connection, op: CompleteOp, pointer: Item): Promise<void> {
  const approvalId = str(pointer, 'apr') as string;
  const condition = '#cdig = :d';
  const update = 'SET #cst = :completed, #cout = :out, #cdrop = :cdrop';
  const key = db.key(itemKey.pk(op.partition), itemKey.approval(approvalId));
  await db.update(key, condition, update, {
    ':d': S(op.digest),
    ':completed': S('completed'),
    ':out': S(JSON.stringify(op.outcome)),
    ':cdrop': N(op.now + op.retainMs),
  });
}
