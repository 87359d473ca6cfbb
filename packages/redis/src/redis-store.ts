import type * as core from '@handshake/core';
import {
  ApprovalListeners,
  amountBinding,
  authorizedTokenRecord,
  pendingApprovalRecord,
} from '@handshake/core';
import { HandshakeError } from '@handshake/protocol';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import {
  decodeApproval,
  decodeTokenRecord,
  decodeTombstone,
  encodeApproval,
  encodeTokenRecord,
  minorString,
  reservationData,
  shareArgs,
} from './codec.js';
import { hexDigest, RedisKeys, storedDigest } from './keys.js';

/** An entry of the executing index: the partition and digest of a consumed token. */
const executingMember = (partition: string, digest: string) => JSON.stringify([partition, digest]);

function parseMember(member: string): [string | undefined, string | undefined] {
  try {
    const [partition, digest] = JSON.parse(member) as unknown[];
    return typeof partition === 'string' && typeof digest === 'string'
      ? [partition, digest]
      : [undefined, undefined];
  } catch {
    return [undefined, undefined];
  }
}

import { SCRIPTS, type ScriptName } from './scripts.js';

/**
 * Options of {@link RedisStore}. Give a `url`, or a `client` you manage yourself.
 *
 * @example
 * ```ts
 * import type { RedisStoreOptions } from '@handshake/redis';
 *
 * const options: RedisStoreOptions = {
 *   url: 'redis://redis.internal:6379',
 *   keyPrefix: 'payments-hs',
 *   commandTimeoutMs: 1_500,
 * };
 * ```
 */
export interface RedisStoreOptions {
  /**
   * A connected (or connecting) ioredis client or cluster. It stays yours: `close()`
   * does not quit it. It must not use ioredis's own `keyPrefix` (use `keyPrefix` here).
   * For bounded failures give it `enableOfflineQueue: false`, a small
   * `maxRetriesPerRequest` and `autoResendUnfulfilledCommands: false`, as the store
   * does for the clients it creates.
   */
  client?: Redis | Cluster;
  /** Where to connect when no `client` is given (default `redis://127.0.0.1:6379`). */
  url?: string;
  /** Options for the client the store creates from `url`, over the store's defaults. */
  redisOptions?: RedisOptions;
  /** First part of every key and of the event channel (default `hs`); no braces. */
  keyPrefix?: string;
  /**
   * The connection that listens for approval events. Default: a duplicate of the
   * client, opened on the first `subscribeApprovals` and quit by `close()`.
   */
  subscriber?: Redis | Cluster;
  /**
   * Longest a store call may take, waiting for a connection included, before it fails
   * with `STORE_UNAVAILABLE` (default 2000 ms).
   */
  commandTimeoutMs?: number;
  /**
   * How long an approval is kept after its decision deadline (or after the token it
   * minted expires, whichever is later), for listings (default 24 h).
   */
  approvalRetentionMs?: number;
  /** Entries kept in the cross-user approval index, newest first (default 10 000). */
  maxIndexedApprovals?: number;
  /**
   * Listen for approval events published by other instances (default `true`). Without
   * it, waiters on this instance hear this instance's own changes only and rely on
   * their polling for the rest.
   */
  pubsub?: boolean;
  /** Hears connection errors and failing listeners (default: ignored). */
  onError?: (error: unknown) => void;
  /**
   * How tokens are written (default `'compact'`): under a key that names the digest in
   * base64url, with a record of one-letter field names. `'verbose'` writes them as
   * versions before the compact form did (the hexadecimal digest, the record's own
   * names). Both forms are always read. While instances that read only the verbose form
   * share the Redis, run the new ones with `'verbose'`; once every instance runs this
   * version, drop the option.
   */
  tokenForm?: 'compact' | 'verbose';
}

type Connection = Redis | Cluster;
type ScriptReply = (string | null)[];
type ScriptCaller = (numberOfKeys: number, ...args: string[]) => Promise<unknown>;

const UNAVAILABLE = 'The state store is unavailable; retry shortly';
const DAY_MS = 86_400_000;
const STATUSES: ReadonlySet<string> = new Set([
  'pending',
  'approved',
  'denied',
  'expired',
  'withdrawn',
]);
const LIMITS: ReadonlySet<string> = new Set<core.LimitWindow>([
  'daily',
  'weekly',
  'monthly',
  'transaction',
]);

const noop = () => {};
/** How often, at most, a consume trims the executing index (see `#trimDue`). */
const INDEX_TRIM_INTERVAL_MS = 1_000;

/**
 * The shared store: state in Redis, so any number of service instances behind a load
 * balancer act as one service. Every atomic operation is one Lua script (one round
 * trip), keys carry one hash tag per user so it runs on Redis Cluster, TTLs are
 * Redis's own, and approval changes reach every instance over pub/sub.
 *
 * A full authorize + execute costs three Redis commands: the authorize script (rate
 * limit, reservation and token in one), then consume and complete at execute.
 *
 * It fails closed: when Redis cannot be reached, every method rejects within
 * `commandTimeoutMs` with `HandshakeError('STORE_UNAVAILABLE')` (answered as 503), and
 * nothing is written by halves. When Redis comes back the client reconnects by itself.
 *
 * @example
 * ```ts
 * import { createHandshake, type ToolProviderV1 } from '@handshake/core';
 * import { RedisStore } from '@handshake/redis';
 * declare const tools: ToolProviderV1;
 *
 * const engine = createHandshake({ tools, store: new RedisStore({ url: 'redis://127.0.0.1:6379' }) });
 * ```
 */
export class RedisStore implements core.StoreV1 {
  readonly specificationVersion = 'v1' as const;
  /** The key names this store uses. */
  readonly keys: RedisKeys;

  readonly #client: Connection;
  readonly #ownsClient: boolean;
  readonly #timeoutMs: number;
  readonly #retentionMs: number;
  readonly #maxIndexed: number;
  readonly #pubsub: boolean;
  readonly #onError: (error: unknown) => void;
  readonly #givenSubscriber: Connection | undefined;
  #subscriber: Connection | undefined;
  /** Delivers each approval version once, though this instance hears its own twice. */
  readonly #listeners: ApprovalListeners;
  readonly #gapListeners = new Set<() => void>();
  /** Index entries whose write failed, retried by the next index write or listing. */
  readonly #unindexed = new Map<string, number>();
  /** How long the index must live for the newest approval it lists. */
  #indexTtlMs = 0;
  #readyWaiter: Promise<void> | undefined;
  /** Settles when the subscription of `#subscriber` is confirmed. */
  #subscribed: Promise<unknown> | undefined;
  #closed = false;
  /** This store's part of every call's nonce: 72 random bits. */
  readonly #id = Buffer.from(crypto.getRandomValues(new Uint8Array(9))).toString('base64url');
  #calls = 0;
  /** When a consume last trimmed the executing index (the engine's clock). */
  #trimmedAt = Number.NEGATIVE_INFINITY;
  readonly #compact: boolean;

  constructor(options: RedisStoreOptions = {}) {
    const prefix = options.keyPrefix ?? 'hs';
    // Checked before a connection is opened.
    this.keys = new RedisKeys(prefix);
    this.#timeoutMs = positive(options.commandTimeoutMs ?? 2_000, 'commandTimeoutMs');
    this.#retentionMs = positive(options.approvalRetentionMs ?? DAY_MS, 'approvalRetentionMs');
    this.#maxIndexed = positive(options.maxIndexedApprovals ?? 10_000, 'maxIndexedApprovals');
    this.#pubsub = options.pubsub ?? true;
    this.#onError = options.onError ?? noop;
    const form = options.tokenForm ?? 'compact';
    if (form !== 'compact' && form !== 'verbose') {
      throw new TypeError("tokenForm must be 'compact' or 'verbose'");
    }
    this.#compact = form === 'compact';
    this.#listeners = new ApprovalListeners({ remember: 10_000, onError: this.#onError });
    this.#givenSubscriber = options.subscriber;
    const own = (options.client?.options ?? options.redisOptions ?? {}) as {
      keyPrefix?: string;
      redisOptions?: RedisOptions;
    };
    if (own.keyPrefix || own.redisOptions?.keyPrefix) {
      // Keys the scripts derive while running would miss ioredis's own prefix.
      throw new TypeError('the client must not set keyPrefix; pass keyPrefix to RedisStore');
    }
    if (options.client) {
      this.#client = options.client;
      this.#ownsClient = false;
    } else {
      this.#client = new Redis(options.url ?? 'redis://127.0.0.1:6379', {
        // Commands are sent only on a ready connection (the store waits for it, within
        // the time bound), so nothing queued can run after its caller was told 503.
        enableOfflineQueue: false,
        autoResendUnfulfilledCommands: false,
        maxRetriesPerRequest: 0,
        commandTimeout: this.#timeoutMs,
        connectTimeout: this.#timeoutMs,
        retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1_000),
        ...options.redisOptions,
      });
      this.#client.on('error', (error) => this.#onError(error));
      this.#ownsClient = true;
    }
    for (const [name, lua] of Object.entries(SCRIPTS)) this.#client.defineCommand(name, { lua });
    this.keys = new RedisKeys(prefix, databaseOf(this.#client));
  }

  /**
   * The key this store writes a token under. Every read names the compact key, and the
   * scripts look under the verbose one when the token is not there.
   */
  #tokenKey(partition: string, digest: string): string {
    return this.#compact
      ? this.keys.token(partition, digest)
      : this.keys.verboseToken(partition, digest);
  }

  /** A token's digest as this store keeps it beside its key (index entries, token lists). */
  #kept(digest: string): string {
    return this.#compact ? storedDigest(digest) : digest;
  }

  /** A token record as this store writes it. */
  #record(record: core.TransactionRecord): string {
    return this.#compact ? encodeTokenRecord(record) : JSON.stringify(record);
  }

  async authorize(op: core.AuthorizeOp): Promise<core.AuthorizeOutcome> {
    const { partition, now } = op;
    const k = this.keys;
    checkPartition(partition);
    const reservation = op.reservation;
    const windows = reservation?.windows ?? [];
    // Only a call that asks for approval, or one whose spend may exceed a limit, can
    // leave an approval: the approval is neither encoded nor sent otherwise.
    const mayNeedApproval = op.requiresApproval || reservation !== undefined;
    const approval = mayNeedApproval ? encodeApproval(op.approval) : undefined;
    const binding = amountBinding(op.token.record);
    const control = {
      now,
      rt: op.retainMs,
      ...(binding ? { b: binding } : {}),
      ...(op.rateLimit
        ? {
            rl: [
              op.rateLimit.limit,
              windowStart(now, op.rateLimit.windowMs) + op.rateLimit.windowMs - now,
            ],
          }
        : {}),
      ...(reservation
        ? {
            reservation: {
              id: reservation.reservationId,
              a: minorString(reservation.amountMinor, 'amount'),
              ...(reservation.perTransactionMinor !== undefined
                ? { tx: minorString(reservation.perTransactionMinor, 'per-transaction limit') }
                : {}),
              hold: reservation.holdUntil,
              w: windows.map((w) => [
                w.key,
                w.window,
                minorString(w.limitMinor, `${w.window} limit`),
              ]),
            },
          }
        : {}),
      ...(approval
        ? {
            ap: {
              approve: op.requiresApproval,
              base: k.base(partition),
              channel: k.approvalChannel,
              retention: this.#retentionMs,
              id: op.approval.approvalId,
              exp: op.approval.expiresAt,
              status: op.approval.status,
              version: op.approval.version,
              fields: approval.fields,
            },
          }
        : {}),
    };
    // Stored only when authorized, which with a reservation is when the script reserved.
    const record = authorizedTokenRecord(op, { reserved: reservation !== undefined });
    const keys = [
      this.#tokenKey(partition, op.token.digest),
      ...(op.rateLimit
        ? [k.rate(partition, windowStart(now, op.rateLimit.windowMs), op.rateLimit.bucket)]
        : []),
      ...(approval ? [k.approval(partition, op.approval.approvalId)] : []),
      ...(reservation
        ? [...k.reservationKeys(partition), ...windows.map((w) => k.spent(partition, w.key))]
        : []),
    ];
    const reply = await this.#script('handshakeAuthorizeV1', keys, [
      JSON.stringify(control),
      this.#record(record),
      ...(approval ? [approval.body] : []),
      ...(reservation ? [reservationData(reservation)] : []),
    ]);
    const [status, second, ...rest] = reply;
    if (status === 'rate_limited') return { status, retryAfterMs: Number(second) };
    const reserved = second === '1';
    if (status === 'authorized') return { status, reserved };
    await this.#index(partition, op.approval.approvalId, op.approval.createdAt, {
      now,
      deadline: op.approval.expiresAt,
    });
    this.#deliver({
      approvalId: op.approval.approvalId,
      status: op.approval.status,
      version: op.approval.version,
    });
    const exceeded = rest.filter((name): name is core.LimitWindow => LIMITS.has(name ?? ''));
    // What the script stored: the same approval, completed by the same rule.
    const stored = pendingApprovalRecord(op, { reserved, exceeded });
    return { status: 'pending', reserved, exceeded, approval: stored };
  }

  async consume(op: core.ConsumeOp): Promise<core.ConsumeOutcome> {
    checkPartition(op.partition);
    // The token's key names its partition and digest: the script reads them from it.
    const control = {
      now: op.now,
      u: op.expect.userId,
      t: op.expect.tool,
      // Compared with the stored hash as hexadecimal; sent in 43 characters, not 64.
      h: storedDigest(op.expect.paramsHash),
      ...(op.expect.transactionId !== undefined ? { x: op.expect.transactionId } : {}),
      ...(op.expect.amount !== undefined ? { a: op.expect.amount } : {}),
      s: op.sessionId,
      r: op.retainMs,
      ...(op.holdUntil !== undefined ? { hd: op.holdUntil - op.now } : {}),
      // Identifies this call, so a resend of it after a lost reply is answered alike.
      n: this.#nonce(),
    };
    // The executing index lets resolveAbandoned find an execution whose process died
    // after its consume. On a single Redis the consume script indexes it in the same
    // step; a cluster keeps the index in a slot of its own, so it is sent beside the
    // script (best effort: a retry resolves what the index misses, and the next sweep
    // drops an entry whose token was not consumed).
    const trim = this.#trimDue(op.now);
    // Read under the compact name; the script looks under the verbose one when it is not there.
    const token = this.keys.token(op.partition, op.digest);
    let reply: ScriptReply;
    if (this.#client.isCluster) {
      const member = executingMember(op.partition, this.#kept(op.digest));
      [, reply] = await Promise.all([
        this.#call(() =>
          trim
            ? this.#invoke(
                'handshakeIndexExecutingV1',
                [this.keys.executingIndex],
                [member, String(op.now), String(op.retainMs), String(INDEX_TRIM_INTERVAL_MS)],
              )
            : this.#client.zadd(this.keys.executingIndex, op.now, member),
        ).catch(noop),
        this.#script('handshakeConsumeV1', [token], [JSON.stringify(control)]),
      ]);
    } else {
      const indexed = trim ? { ...control, tr: INDEX_TRIM_INTERVAL_MS } : control;
      reply = await this.#script(
        'handshakeConsumeV1',
        [token, this.keys.executingIndex],
        [JSON.stringify(indexed)],
      );
    }
    switch (reply[0]) {
      case 'ok':
        return { status: 'ok', record: decodeTokenRecord(reply[1] ?? 'null') };
      case 'mismatch':
        return {
          status: 'mismatch',
          field: reply[1] as core.ConsumeMismatchField,
        };
      case 'used':
        return { status: 'used', tombstone: decodeTombstone(reply) };
      case 'expired':
        return { status: 'expired' };
      default:
        return { status: 'unknown' };
    }
  }

  /**
   * Whether this consume also trims the executing index and renews its TTL: at most
   * once a second per store (and on the first), a plain ZADD otherwise. Entries older
   * than the replay window are dropped late, never wrongly: a sweep skips an entry whose
   * token is gone.
   */
  /**
   * A name for one call, unique among every store's calls: this store's random id and a
   * counter (shorter than a UUID, and no random draw per call).
   */
  #nonce(): string {
    this.#calls += 1;
    return `${this.#id}${this.#calls.toString(36)}`;
  }

  #trimDue(now: number): boolean {
    if (now - this.#trimmedAt < INDEX_TRIM_INTERVAL_MS && now >= this.#trimmedAt) return false;
    this.#trimmedAt = now;
    return true;
  }

  async complete(op: core.CompleteOp): Promise<void> {
    checkPartition(op.partition);
    const control = {
      now: op.now,
      r: op.retainMs,
      ...(op.reservation
        ? {
            rsv: op.reservation.reservationId,
            commit: op.reservation.action === 'commit',
            base: this.keys.base(op.partition),
          }
        : {}),
    };
    const keys = [
      this.keys.token(op.partition, op.digest),
      ...(op.reservation ? this.keys.reservationKeys(op.partition) : []),
    ];
    const outcome = JSON.stringify(op.outcome);
    if (!this.#client.isCluster) {
      // The index entry leaves in the same step as the outcome is kept.
      keys.push(this.keys.executingIndex);
      await this.#script('handshakeCompleteV1', keys, [JSON.stringify(control), outcome]);
      return;
    }
    // Sent together: the index entry goes with the outcome, in the same round trip.
    await Promise.all([
      this.#script('handshakeCompleteV1', keys, [JSON.stringify(control), outcome]),
      this.#call(() =>
        this.#client.zrem(
          this.keys.executingIndex,
          executingMember(op.partition, this.#kept(op.digest)),
        ),
      ).catch(noop),
    ]);
  }

  async resolveAbandoned(op: core.ResolveAbandonedOp): Promise<readonly core.AbandonedExecution[]> {
    const index = this.keys.executingIndex;
    const resolved: core.AbandonedExecution[] = [];
    const page = Math.max(1, op.limit);
    // Each entry read is resolved or found done, and leaves the index: pages shrink.
    for (let round = 0; round < 1_000 && resolved.length < op.limit; round += 1) {
      const found = await this.#call(() =>
        this.#client.zrangebyscore(
          index,
          '-inf',
          `(${op.consumedBefore}`,
          'WITHSCORES',
          'LIMIT',
          0,
          page,
        ),
      );
      for (let i = 0; i + 1 < found.length; i += 2) {
        const member = found[i] as string;
        const score = found[i + 1] as string;
        const [partition, digest] = parseMember(member);
        if (partition !== undefined && digest !== undefined && resolved.length < op.limit) {
          const reply = await this.#script(
            'handshakeResolveV1',
            [
              this.keys.token(partition, hexDigest(digest)),
              ...this.keys.reservationKeys(partition),
            ],
            [
              JSON.stringify({
                now: op.now,
                base: this.keys.base(partition),
                retain: op.retainMs,
                before: op.consumedBefore,
              }),
              JSON.stringify(op.outcome),
            ],
          );
          if (reply[0] === 'used') resolved.push({ partition, tombstone: decodeTombstone(reply) });
        }
        await this.#script('handshakeUnindexExecutingV1', [index], [member, score]);
      }
      if (found.length / 2 < page) break;
    }
    return resolved;
  }

  async getApproval(
    partition: string,
    approvalId: string,
  ): Promise<core.ApprovalRecord | undefined> {
    checkPartition(partition);
    const hash = await this.#call(() =>
      this.#client.hgetall(this.keys.approval(partition, approvalId)),
    );
    return decodeApproval(hash);
  }

  async listApprovals(filter: {
    status?: core.ApprovalStatus;
    limit: number;
  }): Promise<readonly core.ApprovalRecord[]> {
    const index = this.keys.approvalIndex;
    return this.#call(async () => {
      await this.#flushIndex();
      const out: core.ApprovalRecord[] = [];
      const stale: string[] = [];
      const page = 100;
      for (let start = 0; out.length < filter.limit; start += page) {
        const members = await this.#client.zrevrange(index, start, start + page - 1);
        const hashes = await Promise.all(
          members.map((member) => {
            const [partition, approvalId] = JSON.parse(member) as [string, string];
            return this.#client.hgetall(this.keys.approval(partition, approvalId));
          }),
        );
        hashes.forEach((hash, i) => {
          const record = decodeApproval(hash);
          if (!record) stale.push(members[i] ?? '');
          else if (
            out.length < filter.limit &&
            (!filter.status || record.status === filter.status)
          ) {
            out.push(record);
          }
        });
        if (members.length < page) break;
      }
      // Records that expired leave the index here; removing them during the walk would
      // shift the ranks of the pages still to read.
      if (stale.length > 0) void this.#client.zrem(index, ...stale).catch(noop);
      return out;
    });
  }

  async decideApproval(op: core.DecideOp): Promise<core.DecideOutcome> {
    checkPartition(op.partition);
    const reservation = op.reservation;
    const control = {
      now: op.now,
      base: this.keys.base(op.partition),
      channel: this.keys.approvalChannel,
      retention: this.#retentionMs,
      id: op.approvalId,
      expected: op.expectedStatus,
      status: op.status,
      n: this.#nonce(),
      ...(op.decidedBy !== undefined ? { by: op.decidedBy } : {}),
      ...(op.reason !== undefined ? { why: op.reason } : {}),
      ...(op.tokenExpiresAt !== undefined ? { tExp: op.tokenExpiresAt } : {}),
      ...(reservation?.action === 'force'
        ? {
            reservation: {
              action: 'force',
              id: reservation.request.reservationId,
              hold: reservation.request.holdUntil,
            },
          }
        : reservation?.action === 'extend'
          ? {
              reservation: {
                action: 'extend',
                id: reservation.reservationId,
                hold: reservation.holdUntil,
              },
            }
          : reservation
            ? { reservation: { action: 'release', id: reservation.reservationId } }
            : {}),
    };
    const reply = await this.#script(
      'handshakeDecideV1',
      [this.keys.approval(op.partition, op.approvalId), ...this.keys.reservationKeys(op.partition)],
      [
        JSON.stringify(control),
        reservation?.action === 'force' ? reservationData(reservation.request) : '',
      ],
    );
    const [status, ...hash] = reply;
    const approval = decodeApproval(hash);
    if (status === 'unknown' || !approval) return { status: 'unknown' };
    if (status === 'conflict') return { status: 'conflict', approval };
    this.#deliver({
      approvalId: approval.approvalId,
      status: approval.status,
      version: approval.version,
    });
    return { status: 'ok', approval };
  }

  async issueApprovalToken(op: core.IssueOp): Promise<core.IssueOutcome> {
    checkPartition(op.partition);
    const control = {
      now: op.now,
      base: this.keys.base(op.partition),
      digest: this.#kept(op.token.digest),
      max: op.maxLiveTokens,
      rt: op.retainMs,
      b: amountBinding(op.token.record),
    };
    const reply = await this.#script(
      'handshakeIssueV1',
      [
        this.keys.approval(op.partition, op.approvalId),
        this.#tokenKey(op.partition, op.token.digest),
      ],
      [JSON.stringify(control), this.#record(op.token.record)],
    );
    const [status, ...hash] = reply;
    const approval = decodeApproval(hash);
    if (status === 'unknown' || !approval) return { status: 'unknown' };
    return {
      status: status as 'issued' | 'used' | 'expired' | 'not_approved',
      approval,
    };
  }

  async reservationUsage(op: core.ReservationUsageOp): Promise<core.ReservationUsage> {
    checkPartition(op.partition);
    const control = {
      now: op.now,
      base: this.keys.base(op.partition),
      w: op.windows.map((w) => w.key),
    };
    const reply = await this.#script(
      'handshakeReservationUsageV1',
      [
        ...this.keys.reservationKeys(op.partition),
        ...op.windows.map((w) => this.keys.spent(op.partition, w.key)),
      ],
      [JSON.stringify(control)],
    );
    const used: Record<string, bigint> = {};
    op.windows.forEach((window, i) => {
      used[window.key] = BigInt(reply[2 * i] ?? '0') + BigInt(reply[2 * i + 1] ?? '0');
    });
    return { used };
  }

  /**
   * Counts a card purchase at the share captured, once per reservation, in one script:
   * a live reservation is committed at the share, a committed one gives back the rest.
   * The share's part and whole (reduced) must be at most 10^15, like every amount.
   */
  async captureReservation(op: core.CaptureReservationOp): Promise<core.CaptureReservationOutcome> {
    checkPartition(op.partition);
    const { p, q } = shareArgs(op.share);
    const control = { now: op.now, base: this.keys.base(op.partition), id: op.reservationId, p, q };
    const reply = await this.#script(
      'handshakeCaptureV1',
      [
        ...this.keys.reservationKeys(op.partition),
        this.keys.settled(op.partition, op.reservationId),
      ],
      [JSON.stringify(control)],
    );
    if (reply[0] === 'captured') {
      return {
        status: 'captured',
        keptMinor: BigInt(reply[1] ?? '0'),
        releasedMinor: BigInt(reply[2] ?? '0'),
      };
    }
    return reply[0] === 'already_captured' ? { status: 'already_captured' } : { status: 'unknown' };
  }

  /**
   * Resolves once the connection is ready and, when the store listens for approval
   * events, once its subscription is active. Rejects with `STORE_UNAVAILABLE` after
   * `commandTimeoutMs`. Useful as a readiness check before taking traffic.
   *
   * @example
   * ```ts
   * import { RedisStore } from '@handshake/redis';
   *
   * const store = new RedisStore({ url: 'redis://127.0.0.1:6379' });
   * await store.ready();
   * ```
   */
  async ready(): Promise<void> {
    await this.#call(async () => {
      await this.#subscribed;
    });
  }

  /**
   * Hears approval changes made by any instance sharing this Redis: this instance's own
   * changes at once, the others' through pub/sub. A message published while the
   * subscriber's connection is down is not replayed: `onGap` is called once the
   * subscription is back, so that waiters read again.
   */
  subscribeApprovals(
    listener: (event: core.ApprovalEvent) => void,
    onGap?: () => void,
  ): () => void {
    if (this.#closed) return noop;
    const unsubscribe = this.#listeners.add(listener);
    if (onGap) this.#gapListeners.add(onGap);
    if (this.#pubsub) this.#listen();
    return () => {
      unsubscribe();
      if (onGap) this.#gapListeners.delete(onGap);
    };
  }

  /**
   * With pub/sub on, every decision of every instance is heard, or a gap is reported
   * (see {@link subscribeApprovals}); without it, other instances' decisions are not.
   */
  get approvalEventsComplete(): boolean {
    return this.#pubsub;
  }

  /**
   * Quits the connections the store opened: the client made from `url` and the
   * subscriber it duplicated. Connections passed in stay open.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#gapListeners.clear();
    const subscriber = this.#subscriber;
    const tasks: Promise<void>[] = [];
    if (subscriber && subscriber !== this.#givenSubscriber) tasks.push(shutdown(subscriber));
    else if (subscriber) {
      subscriber.off('message', this.#onMessage);
      tasks.push(subscriber.unsubscribe(this.keys.approvalChannel).then(noop).catch(noop));
    }
    if (this.#ownsClient) tasks.push(shutdown(this.#client));
    await Promise.all(tasks);
  }

  #listen(): void {
    if (this.#subscriber) return;
    const subscriber =
      this.#givenSubscriber ??
      // A subscription may wait for the connection; it is not a bounded request.
      (this.#client.isCluster
        ? (this.#client as Cluster).duplicate([], { enableOfflineQueue: true })
        : (this.#client as Redis).duplicate({
            enableOfflineQueue: true,
            maxRetriesPerRequest: null,
            commandTimeout: undefined,
          }));
    this.#subscriber = subscriber;
    if (subscriber !== this.#givenSubscriber) subscriber.on('error', (e) => this.#onError(e));
    subscriber.on('message', this.#onMessage);
    // ioredis subscribes again by itself after a reconnect; what was published while the
    // connection was down is lost, which the gap listeners hear once it is back.
    let lost = false;
    subscriber.on('close', () => {
      lost = true;
    });
    subscriber.on('ready', () => {
      if (!lost || this.#closed) return;
      lost = false;
      void subscriber.subscribe(this.keys.approvalChannel).then(
        () => this.#gap(),
        (error) => this.#onError(error),
      );
    });
    this.#subscribed = subscriber
      .subscribe(this.keys.approvalChannel)
      .catch((error) => this.#onError(error));
  }

  #gap(): void {
    for (const onGap of [...this.#gapListeners]) {
      try {
        onGap();
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  readonly #onMessage = (channel: string, message: string): void => {
    if (channel !== this.keys.approvalChannel) return;
    let event: unknown;
    try {
      event = JSON.parse(message);
    } catch {
      return;
    }
    if (isApprovalEvent(event)) this.#deliver(event);
  };

  #deliver(event: core.ApprovalEvent): void {
    this.#listeners.deliver(event);
  }

  async #index(
    partition: string,
    approvalId: string,
    createdAt: number,
    at: { now: number; deadline: number },
  ): Promise<void> {
    this.#unindexed.set(JSON.stringify([partition, approvalId]), createdAt);
    // Every record listed expires by its deadline + retention, or — decided, with a token
    // — by the token's expiry + retention; twice the retention covers both.
    this.#indexTtlMs = Math.max(1, at.deadline - at.now) + 2 * this.#retentionMs;
    try {
      await this.#call(() => this.#flushIndex());
    } catch {
      // The approval itself is stored; its index entry is written with the next one.
      while (this.#unindexed.size > this.#maxIndexed) {
        const oldest = this.#unindexed.keys().next();
        if (oldest.done) break;
        this.#unindexed.delete(oldest.value);
      }
    }
  }

  async #flushIndex(): Promise<void> {
    if (this.#unindexed.size === 0) return;
    const entries = [...this.#unindexed].slice(0, 1_000);
    const scored = entries.flatMap(([member, score]) => [String(score), member]);
    await this.#invoke(
      'handshakeIndexV1',
      [this.keys.approvalIndex],
      [String(this.#maxIndexed), String(this.#indexTtlMs), ...scored],
    );
    for (const [member] of entries) this.#unindexed.delete(member);
  }

  async #script(name: ScriptName, keys: readonly string[], args: readonly string[]) {
    const reply = await this.#call(() => this.#invoke(name, keys, args));
    return (Array.isArray(reply) ? reply : [reply]) as ScriptReply;
  }

  #invoke(name: ScriptName, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const call = (this.#client as unknown as Record<ScriptName, ScriptCaller>)[name];
    return call.call(this.#client, keys.length, ...keys, ...args);
  }

  /**
   * Runs `work` on a ready connection within the time bound, or fails with
   * `STORE_UNAVAILABLE`. Work starts only once the connection is ready, and never
   * after the bound has passed, so a request answered 503 leaves nothing behind.
   */
  async #call<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new HandshakeError('STORE_UNAVAILABLE', UNAVAILABLE);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let late = false;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        late = true;
        reject(new Error(`Redis did not answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
    });
    try {
      return await Promise.race([
        this.#whenReady().then(() => {
          if (late) throw new Error('the time bound passed before Redis was ready');
          return work();
        }),
        deadline,
      ]);
    } catch (error) {
      if (HandshakeError.isInstance(error)) throw error;
      throw new HandshakeError('STORE_UNAVAILABLE', UNAVAILABLE, {
        cause: error,
        retryAfterSeconds: 1,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  #whenReady(): Promise<void> {
    const client = this.#client;
    if (client.status === 'ready') return Promise.resolve();
    if (client.status === 'end') {
      return Promise.reject(new Error('the Redis connection was closed'));
    }
    if (client.status === 'wait') client.connect().catch(noop);
    this.#readyWaiter ??= new Promise<void>((resolve) => {
      client.once('ready', () => {
        this.#readyWaiter = undefined;
        resolve();
      });
    });
    return this.#readyWaiter;
  }
}

async function shutdown(connection: Connection): Promise<void> {
  if (connection.status !== 'ready') {
    connection.disconnect();
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      connection.quit(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('quit timed out')), 1_000);
      }),
    ]);
  } catch {
    connection.disconnect();
  } finally {
    clearTimeout(timer);
  }
}

function windowStart(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}

function checkPartition(partition: string): void {
  // The partition is the hash tag: braces inside it would change which part Redis hashes.
  if (partition === '' || /[{}]/.test(partition)) {
    throw new HandshakeError('VALIDATION_ERROR', 'The store partition is not valid');
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number`);
  }
  return value;
}

function isApprovalEvent(value: unknown): value is core.ApprovalEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  return (
    typeof event.approvalId === 'string' &&
    typeof event.status === 'string' &&
    STATUSES.has(event.status) &&
    typeof event.version === 'number'
  );
}

/** The logical database a client selects (a cluster has only database 0). */
function databaseOf(client: Redis | Cluster): number {
  if (client instanceof Cluster) return 0;
  return Number((client.options as { db?: number }).db ?? 0);
}
