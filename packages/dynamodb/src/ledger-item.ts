import type { RateLimitHit } from '@handshake/core';
import { HandshakeError } from '@handshake/protocol';
import { type Connection, type Item, N, num, S, str, ttlSeconds } from './connection.js';
import { inLane } from './lane.js';
import { type Ledger, type LedgerDoc, ledgerEnd, parseLedger, prune } from './ledger.js';
import { itemKey } from './table.js';

const MAX_ATTEMPTS = 100;
const BACKOFF_CAP_MS = 100;

function ledgerOf(item: Item | undefined): Ledger {
  return { doc: parseLedger(str(item, 'doc')), version: num(item, 'ver') ?? 0 };
}

/**
 * Reads the user's ledger item (strongly consistent), pruned at `now`.
 */
export async function readLedger(db: Connection, partition: string, now: number): Promise<Ledger> {
  const ledger = ledgerOf(await db.get(db.key(itemKey.pk(partition), itemKey.ledger)));
  return { doc: prune(ledger.doc, now), version: ledger.version };
}

/** Per connection and user: the ledger last written, while changes are queued. */
const written = new WeakMap<Connection, Map<string, Ledger>>();

/**
 * Changes the user's ledger by optimistic concurrency: read it, let `change` compute the
 * next document, write it on the condition that its version is still the one read, and
 * start again when another writer came first. Every spend decision of a user is thus
 * made on the one item holding all of that user's spend, so racing requests can never
 * together reserve past a limit. `change` returns `next: undefined` when nothing is to
 * be written (a limit exceeded, or the change already made by an earlier attempt of the
 * same call whose reply was lost: reservations are keyed by id).
 *
 * Changes of one user through one store run one after another, each starting from the
 * ledger the previous one wrote: racing requests on one instance then cost one write
 * each instead of rounds of refused writes. Other instances are met by the condition.
 */
export function changeLedger<T>(
  db: Connection,
  partition: string,
  now: number,
  change: (doc: LedgerDoc) => { next: LedgerDoc | undefined; value: T },
): Promise<T> {
  let known = written.get(db);
  if (!known) {
    known = new Map();
    written.set(db, known);
  }
  const cache = known;
  return inLane(
    db,
    `ledger\u0000${partition}`,
    () => writeLedger(db, partition, now, change, cache),
    () => cache.delete(partition),
  );
}

async function writeLedger<T>(
  db: Connection,
  partition: string,
  now: number,
  change: (doc: LedgerDoc) => { next: LedgerDoc | undefined; value: T },
  known: Map<string, Ledger>,
): Promise<T> {
  const key = db.key(itemKey.pk(partition), itemKey.ledger);
  const last = known.get(partition);
  let ledger = last ?? ledgerOf(await db.get(key));
  let fresh = last === undefined;
  for (let attempt = 1; ; attempt += 1) {
    const { next, value } = change(prune(ledger.doc, now));
    if (!next) {
      // Nothing to write: decide on the ledger as it is now, not as this lane last saw it.
      if (fresh) return value;
      ledger = ledgerOf(await db.get(key));
      fresh = true;
      continue;
    }
    const condition = ledger.version === 0 ? 'attribute_not_exists(#ver)' : '#ver = :ver';
    const update = 'SET #doc = :doc, #ver = :next, #ttl = :ttl';
    const result = await db.update(key, condition, update, {
      ...(ledger.version === 0 ? {} : { ':ver': N(ledger.version) }),
      ':next': N(ledger.version + 1),
      ':doc': S(JSON.stringify(next)),
      // Kept a day past the last window, so an idle user's ledger goes by itself.
      ':ttl': ttlSeconds(Math.max(ledgerEnd(next), now) + 86_400_000),
    });
    if (result.ok) {
      known.set(partition, { doc: next, version: ledger.version + 1 });
      return value;
    }
    if (attempt >= MAX_ATTEMPTS) {
      throw new HandshakeError('STORE_UNAVAILABLE', 'The state store is too busy; retry shortly', {
        retryAfterSeconds: 1,
      });
    }
    ledger = ledgerOf(result.item);
    fresh = true;
    known.delete(partition);
    // Another instance wrote meanwhile: back off exponentially, with full jitter.
    const ceiling = Math.min(BACKOFF_CAP_MS, 2 ** attempt);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
  }
}

/**
 * Counts one hit in the fixed window holding `now`: one conditional `ADD` on the
 * window's item, refused once the count reaches the limit. Answers the time until the
 * window ends when refused.
 */
export async function countHit(
  db: Connection,
  partition: string,
  now: number,
  hit: RateLimitHit,
): Promise<{ limited: false } | { limited: true; retryAfterMs: number }> {
  const start = Math.floor(now / hit.windowMs) * hit.windowMs;
  const endsAt = start + hit.windowMs;
  if (hit.limit <= 0) return { limited: true, retryAfterMs: endsAt - now };
  const condition = 'attribute_not_exists(#cnt) OR #cnt < :limit';
  const update = 'ADD #cnt :one SET #ttl = :ttl';
  const key = db.key(itemKey.pk(partition), itemKey.rate(start, hit.bucket));
  const result = await db.update(key, condition, update, {
    ':limit': N(hit.limit),
    ':one': N(1),
    ':ttl': ttlSeconds(endsAt),
  });
  return result.ok ? { limited: false } : { limited: true, retryAfterMs: endsAt - now };
}
