/**
 * Key naming, in one place. Every key of one user lives under
 * `<prefix>:{<partition>}:`, so the part in braces (the Redis Cluster hash tag) puts
 * all of a user's keys in one slot and each script touches one slot only. The
 * approval index and the event channel are the only names outside a user's slot.
 *
 * The Lua scripts derive a few keys themselves (a reservation's window counters, the
 * live tokens of an approval, the approval of a token) from the partition base and the suffixes below, so
 * the suffixes are shared with `scripts.ts` rather than repeated there.
 */

const HEX_DIGEST = /^[0-9a-f]{64}$/;
const COMPACT_DIGEST = /^[A-Za-z0-9_-]{43}$/;

/**
 * A digest as the compact form keeps it: a SHA-256 hex digest (64 characters) as
 * base64url (43), anything else unchanged.
 */
export function storedDigest(digest: string): string {
  return HEX_DIGEST.test(digest) ? Buffer.from(digest, 'hex').toString('base64url') : digest;
}

/** The other way: a 43-character base64url digest as hexadecimal, anything else unchanged. */
export function hexDigest(digest: string): string {
  return COMPACT_DIGEST.test(digest) ? Buffer.from(digest, 'base64url').toString('hex') : digest;
}

/** Suffixes after `<prefix>:{<partition>}:`. */
export const SUFFIX = {
  /**
   * String: a live token, or the tombstone of a consumed one, by token digest (a SHA-256
   * digest as base64url, 43 characters): its fields packed with MessagePack.
   */
  token: 't:',
  /**
   * The same under the verbose name: `tok:` and the digest as it is (64 hexadecimal
   * characters for a SHA-256 digest). Written with `tokenForm: 'verbose'` and for a digest
   * that is not a SHA-256 hex digest; read always, and a token found there stays there (an
   * earlier version's hash is read too).
   */
  verboseToken: 'tok:',
  /** Hash: an approval, by approval id. */
  approval: 'apr:',
  /** String counter: rate-limit hits in one fixed window, by window start (ms). */
  rate: 'rl:',
  /** String counter: committed spend in one limit window, by window key. */
  spent: 'spent:',
  /** Hash: reservation id → JSON `{ a: amountMinor, w: [[windowKey, endsAt], …] }`. */
  reservations: 'rsv',
  /** Sorted set: reservation id scored by the time its hold lapses. */
  reservationDue: 'rsv:due',
  /** Hash: window key → minor units held by live reservations. */
  held: 'held',
  /**
   * Hash: a committed reservation, by reservation id: `rsv` (its JSON, as above) and
   * `cap` (`1` once a capture counted it). Kept until its last window ends.
   */
  settled: 'rsv:done:',
} as const;

/**
 * The names a `RedisStore` uses under one prefix: what each key is called, for
 * operators who inspect, size or migrate them. `store.keys` is the instance in use.
 *
 * @example
 * ```ts
 * import { RedisKeys } from '@handshake/redis';
 *
 * const keys = new RedisKeys('hs');
 * const digest = 'ab'.repeat(32); // a token's SHA-256 digest, hexadecimal
 * keys.token('1c59c4fcb66c5bbf', digest); // 'hs:{1c59c4fcb66c5bbf}:t:q6ur…' (base64url)
 * keys.verboseToken('1c59c4fcb66c5bbf', digest); // 'hs:{1c59c4fcb66c5bbf}:tok:abab…'
 * keys.approvalIndex; // 'hs:approvals'
 * new RedisKeys('hs', 9).approvalChannel; // 'hs:approval-events:9'
 * ```
 */
export class RedisKeys {
  readonly prefix: string;
  /** The logical database the keys live in (always 0 on a cluster). */
  readonly database: number;

  constructor(prefix: string, database = 0) {
    if (prefix === '' || /[{}]/.test(prefix)) {
      // Braces in the prefix would move the hash tag away from the partition.
      throw new TypeError('keyPrefix must be non-empty and contain no braces');
    }
    if (!Number.isSafeInteger(database) || database < 0) {
      throw new TypeError('database must be a non-negative integer');
    }
    this.prefix = prefix;
    this.database = database;
  }

  /** `<prefix>:{<partition>}:` — every key of the partition starts with it. */
  base(partition: string): string {
    return `${this.prefix}:{${partition}}:`;
  }

  /**
   * A token's key by its digest: a SHA-256 hex digest is named by its base64url form (43
   * characters instead of 64), any other digest by {@link verboseToken}.
   */
  token(partition: string, digest: string): string {
    const stored = storedDigest(digest);
    return stored === digest
      ? this.verboseToken(partition, digest)
      : this.base(partition) + SUFFIX.token + stored;
  }

  /** A token's key by its digest as it is, the form builds before `t:` keys wrote. */
  verboseToken(partition: string, digest: string): string {
    return this.base(partition) + SUFFIX.verboseToken + digest;
  }

  approval(partition: string, approvalId: string): string {
    return this.base(partition) + SUFFIX.approval + approvalId;
  }

  /** A rate-limit counter; a `bucket` (a client's digest) counts apart inside the partition. */
  rate(partition: string, windowStart: number, bucket?: string): string {
    return this.base(partition) + SUFFIX.rate + (bucket ? `${bucket}:` : '') + windowStart;
  }

  spent(partition: string, windowKey: string): string {
    return this.base(partition) + SUFFIX.spent + windowKey;
  }

  reservations(partition: string): string {
    return this.base(partition) + SUFFIX.reservations;
  }

  reservationDue(partition: string): string {
    return this.base(partition) + SUFFIX.reservationDue;
  }

  held(partition: string): string {
    return this.base(partition) + SUFFIX.held;
  }

  settled(partition: string, reservationId: string): string {
    return this.base(partition) + SUFFIX.settled + reservationId;
  }

  /** The three keys of a partition's reservations, in the order the scripts expect. */
  reservationKeys(partition: string): [string, string, string] {
    return [this.reservations(partition), this.reservationDue(partition), this.held(partition)];
  }

  /**
   * Sorted set of `[partition, approvalId]` JSON members scored by `createdAt`, for
   * listings. It expires `2 × approvalRetentionMs` after the deadline of the newest
   * approval it lists, when every record it lists has expired too.
   */
  get approvalIndex(): string {
    return `${this.prefix}:approvals`;
  }

  /**
   * Sorted set of `[partition, digest]` JSON members scored by the time the token was
   * consumed: the executions that may still be running, for `resolveAbandoned`. An
   * entry is written as the consume is sent and removed when the execution completes;
   * entries older than the replay window are trimmed and the key expires with them.
   */
  get executingIndex(): string {
    return `${this.prefix}:executing`;
  }

  /**
   * Pub/sub channel of approval events. Channels are shared by every database of a
   * server, so the name holds the database as well as the prefix: deployments on one
   * server never hear each other's events.
   */
  get approvalChannel(): string {
    return `${this.prefix}:approval-events:${this.database}`;
  }
}
