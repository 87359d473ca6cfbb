import { DatabaseSync } from 'node:sqlite';
import {
  type AbandonedExecution,
  type ApprovalEvent,
  type ApprovalRecord,
  type AuthorizeOp,
  type AuthorizeOutcome,
  amountBinding,
  authorizedTokenRecord,
  type CompleteOp,
  type ConsumeOp,
  type ConsumeOutcome,
  type DecideOp,
  type DecideOutcome,
  exceededLimits,
  type IssueOp,
  type IssueOutcome,
  type LimitWindow,
  pendingApprovalRecord,
  type ReservationRequest,
  type ReservationUsage,
  type ReservationWindow,
  type ResolveAbandonedOp,
  type StoreV1,
  spentApprovalTombstone,
  type Tombstone,
  type TransactionRecord,
} from '@handshake/core';
import { HandshakeError } from '@handshake/protocol';

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * The database file (default `:memory:`). Several processes on one host may share a
   * file: every operation is one `BEGIN IMMEDIATE` transaction, so they serialize on
   * SQLite's write lock.
   */
  path?: string;
  /**
   * How long an operation waits for another connection's write lock before it fails
   * with `STORE_UNAVAILABLE` (default 2000 ms).
   */
  busyTimeoutMs?: number;
  /** How long an approval is kept after its deadline or its token's expiry (default 24 h). */
  approvalRetentionMs?: number;
}

// Amounts are INTEGER minor units, read back as bigint: SQLite integers are 64-bit, far
// beyond any real payment. Records are JSON, as the core keeps them.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS hs_tokens (
  partition TEXT NOT NULL,
  digest TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('live', 'used')),
  body TEXT NOT NULL,
  drop_at INTEGER NOT NULL,
  PRIMARY KEY (partition, digest)
);
CREATE INDEX IF NOT EXISTS hs_tokens_drop ON hs_tokens (drop_at);
CREATE TABLE IF NOT EXISTS hs_approvals (
  partition TEXT NOT NULL,
  approval_id TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  drop_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (partition, approval_id)
);
CREATE INDEX IF NOT EXISTS hs_approvals_created ON hs_approvals (created_at DESC);
CREATE INDEX IF NOT EXISTS hs_approvals_drop ON hs_approvals (drop_at);
CREATE TABLE IF NOT EXISTS hs_rate (
  partition TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  hits INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  PRIMARY KEY (partition, window_start)
);
CREATE TABLE IF NOT EXISTS hs_spent (
  partition TEXT NOT NULL,
  window_key TEXT NOT NULL,
  minor INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  PRIMARY KEY (partition, window_key)
);
CREATE TABLE IF NOT EXISTS hs_reservations (
  partition TEXT NOT NULL,
  reservation_id TEXT NOT NULL,
  amount INTEGER NOT NULL,
  hold_until INTEGER NOT NULL,
  PRIMARY KEY (partition, reservation_id)
);
CREATE INDEX IF NOT EXISTS hs_reservations_hold ON hs_reservations (hold_until);
CREATE TABLE IF NOT EXISTS hs_reservation_windows (
  partition TEXT NOT NULL,
  reservation_id TEXT NOT NULL,
  window_key TEXT NOT NULL,
  ends_at INTEGER NOT NULL,
  PRIMARY KEY (partition, reservation_id, window_key),
  FOREIGN KEY (partition, reservation_id)
    REFERENCES hs_reservations (partition, reservation_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS hs_reservation_windows_key ON hs_reservation_windows (partition, window_key);
`;

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

function unavailable(error: unknown): HandshakeError {
  // The message names the failure, never a key or a record.
  return new HandshakeError('STORE_UNAVAILABLE', 'The SQLite store is busy or closed', {
    cause: error,
    retryAfterSeconds: 1,
  });
}

function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown; code?: unknown } | null)?.errcode;
  return code === SQLITE_BUSY || code === SQLITE_LOCKED;
}

function isClosed(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_INVALID_STATE';
}

/** The statements of the store, prepared once per connection. */
function prepare(db: DatabaseSync) {
  const sql = (text: string, bigints = false) => {
    const statement = db.prepare(text);
    statement.setReadBigInts(bigints);
    return statement;
  };
  return {
    token: sql('SELECT state, body, drop_at FROM hs_tokens WHERE partition = ? AND digest = ?'),
    putToken: sql(
      'INSERT OR REPLACE INTO hs_tokens (partition, digest, state, body, drop_at) VALUES (?, ?, ?, ?, ?)',
    ),
    dropToken: sql('DELETE FROM hs_tokens WHERE partition = ? AND digest = ?'),
    approval: sql('SELECT body FROM hs_approvals WHERE partition = ? AND approval_id = ?'),
    putApproval: sql(
      `INSERT OR REPLACE INTO hs_approvals (partition, approval_id, status, created_at, drop_at, body)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    listAll: sql('SELECT body FROM hs_approvals ORDER BY created_at DESC LIMIT ?'),
    listByStatus: sql(
      'SELECT body FROM hs_approvals WHERE status = ? ORDER BY created_at DESC LIMIT ?',
    ),
    rate: sql('SELECT hits FROM hs_rate WHERE partition = ? AND window_start = ?'),
    hit: sql(
      `INSERT INTO hs_rate (partition, window_start, hits, ends_at) VALUES (?, ?, 1, ?)
       ON CONFLICT (partition, window_start) DO UPDATE SET hits = hits + 1`,
    ),
    spent: sql('SELECT minor FROM hs_spent WHERE partition = ? AND window_key = ?', true),
    held: sql(
      `SELECT COALESCE(SUM(r.amount), 0) AS minor
         FROM hs_reservations r
         JOIN hs_reservation_windows w USING (partition, reservation_id)
        WHERE w.partition = ? AND w.window_key = ? AND r.hold_until > ?`,
      true,
    ),
    reservation: sql(
      'SELECT amount FROM hs_reservations WHERE partition = ? AND reservation_id = ?',
      true,
    ),
    reservationWindows: sql(
      'SELECT window_key, ends_at FROM hs_reservation_windows WHERE partition = ? AND reservation_id = ?',
    ),
    putReservation: sql(
      'INSERT OR REPLACE INTO hs_reservations (partition, reservation_id, amount, hold_until) VALUES (?, ?, ?, ?)',
    ),
    putReservationWindow: sql(
      'INSERT INTO hs_reservation_windows (partition, reservation_id, window_key, ends_at) VALUES (?, ?, ?, ?)',
    ),
    extend: sql(
      'UPDATE hs_reservations SET hold_until = ? WHERE partition = ? AND reservation_id = ?',
    ),
    hold: sql(
      'UPDATE hs_reservations SET hold_until = max(hold_until, ?) WHERE partition = ? AND reservation_id = ? AND hold_until > ?',
    ),
    dropReservation: sql('DELETE FROM hs_reservations WHERE partition = ? AND reservation_id = ?'),
    commit: sql(
      `INSERT INTO hs_spent (partition, window_key, minor, ends_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (partition, window_key) DO UPDATE SET minor = minor + excluded.minor`,
    ),
    executing: sql(
      `SELECT partition, digest, body FROM hs_tokens
        WHERE state = 'used' AND drop_at > ?
          AND json_extract(body, '$.state') = 'executing'
          AND json_extract(body, '$.consumedAt') < ?
        ORDER BY json_extract(body, '$.consumedAt') LIMIT ?`,
    ),
    sweepTokens: sql('DELETE FROM hs_tokens WHERE drop_at <= ?'),
    sweepApprovals: sql('DELETE FROM hs_approvals WHERE drop_at <= ?'),
    sweepRate: sql('DELETE FROM hs_rate WHERE ends_at <= ?'),
    sweepSpent: sql('DELETE FROM hs_spent WHERE ends_at <= ?'),
    sweepReservations: sql('DELETE FROM hs_reservations WHERE hold_until <= ?'),
  };
}

type Statements = ReturnType<typeof prepare>;

/**
 * A `StoreV1` over SQLite, with Node's built-in `node:sqlite`: each operation is one
 * `BEGIN IMMEDIATE` transaction, so a token is consumed once and reservations never
 * overrun a limit, across every connection to the file. State survives a restart —
 * live tokens, tombstones for replay, approvals and the spend counted against limits.
 *
 * Approval notifications reach listeners of this store object only; another process
 * sharing the file is heard by the engine's polling safety net.
 *
 * @example
 * ```ts
 * import { createHandshake, type ToolProviderV1 } from '@handshake/core';
 * import { SqliteStore } from './sqlite-store.js';
 * declare const tools: ToolProviderV1;
 *
 * const engine = createHandshake({ tools, store: new SqliteStore({ path: 'handshake.db' }) });
 * ```
 */
export class SqliteStore implements StoreV1 {
  readonly specificationVersion = 'v1' as const;

  readonly #db: DatabaseSync;
  readonly #retentionMs: number;
  readonly #listeners = new Set<(event: ApprovalEvent) => void>();
  #outbox: ApprovalEvent[] = [];
  readonly #sql: Statements;

  constructor(options: SqliteStoreOptions = {}) {
    this.#retentionMs = options.approvalRetentionMs ?? 24 * 60 * 60 * 1000;
    this.#db = new DatabaseSync(options.path ?? ':memory:', {
      timeout: options.busyTimeoutMs ?? 2_000,
      enableForeignKeyConstraints: true,
    });
    // WAL lets readers proceed while one connection writes; the default FULL sync
    // keeps committed spend through a power loss.
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec(SCHEMA);
    this.#sql = prepare(this.#db);
  }

  authorize(op: AuthorizeOp): AuthorizeOutcome {
    return this.#atomic(() => {
      this.#sweep(op.now);
      if (op.rateLimit) {
        const { limit, windowMs, bucket } = op.rateLimit;
        const windowStart = Math.floor(op.now / windowMs) * windowMs;
        // A bucket (callers without a session, per client) counts apart in the partition.
        const counter = bucket ? `${op.partition}:${bucket}` : op.partition;
        const row = this.#sql.rate.get(counter, windowStart) as { hits: number } | undefined;
        if ((row?.hits ?? 0) >= limit) {
          return { status: 'rate_limited', retryAfterMs: windowStart + windowMs - op.now };
        }
        this.#sql.hit.run(counter, windowStart, windowStart + windowMs);
      }
      let reserved = false;
      const exceeded: LimitWindow[] = [];
      if (op.reservation) {
        exceeded.push(
          ...exceededLimits(op.reservation, (key) => this.#used(op.partition, key, op.now)),
        );
        if (exceeded.length === 0) {
          this.#reserve(op.partition, op.reservation);
          reserved = true;
        }
      }
      if (op.requiresApproval || exceeded.length > 0) {
        const approval = pendingApprovalRecord(op, { reserved, exceeded });
        this.#putApproval(op.partition, approval);
        return { status: 'pending', reserved, exceeded, approval };
      }
      const record = authorizedTokenRecord(op, { reserved });
      this.#putToken(op.partition, op.token.digest, record, record.expiresAt + op.retainMs);
      return { status: 'authorized', reserved };
    });
  }

  consume(op: ConsumeOp): ConsumeOutcome {
    return this.#atomic(() => {
      const entry = this.#token(op.partition, op.digest);
      if (!entry || entry.dropAt <= op.now) return { status: 'unknown' };
      if (entry.state === 'used') return { status: 'used', tombstone: entry.body as Tombstone };
      const record = entry.body as TransactionRecord;
      const approval =
        record.approvalId === undefined
          ? undefined
          : this.#approval(op.partition, record.approvalId);
      if (approval?.executedAt !== undefined) {
        // Another token of this approval ran the call: answer with its tombstone if kept.
        const ran = approval.executedDigest
          ? this.#token(op.partition, approval.executedDigest)
          : undefined;
        const tombstone =
          ran?.state === 'used' && ran.dropAt > op.now
            ? (ran.body as Tombstone)
            : spentApprovalTombstone(approval);
        return { status: 'used', tombstone };
      }
      if (record.expiresAt <= op.now) return { status: 'expired' };
      if (record.userId !== op.expect.userId) return { status: 'mismatch', field: 'userId' };
      if (record.tool !== op.expect.tool) return { status: 'mismatch', field: 'tool' };
      if (record.paramsHash !== op.expect.paramsHash) {
        return { status: 'mismatch', field: 'paramsHash' };
      }
      if (
        op.expect.transactionId !== undefined &&
        record.transactionId !== op.expect.transactionId
      ) {
        return { status: 'mismatch', field: 'transactionId' };
      }
      if (op.expect.amount !== undefined && amountBinding(record) !== op.expect.amount) {
        return { status: 'mismatch', field: 'amount' };
      }
      const tombstone: Tombstone = {
        transactionId: record.transactionId,
        userId: record.userId,
        sessionId: op.sessionId,
        tool: record.tool,
        paramsHash: record.paramsHash,
        state: 'executing',
        consumedAt: op.now,
      };
      // The reservation is kept beside the tombstone (not part of it) for resolveAbandoned.
      const kept = {
        ...tombstone,
        ...(record.reservationId ? { reservationId: record.reservationId } : {}),
      };
      this.#putToken(op.partition, op.digest, kept, op.now + op.retainMs, 'used');
      if (op.holdUntil !== undefined && record.reservationId !== undefined) {
        // Held while the execute is unresolved, in the same transaction as the consume.
        this.#sql.hold.run(op.holdUntil, op.partition, record.reservationId, op.now);
      }
      if (approval) {
        // Spending the approval in the same transaction: no token of it runs again.
        const { tokenDigests: _live, ...rest } = approval;
        const spent = { ...rest, executedAt: op.now, executedDigest: op.digest };
        this.#putApproval(op.partition, spent, { notify: false });
      }
      return { status: 'ok', record };
    });
  }

  complete(op: CompleteOp): void {
    this.#atomic(() => {
      const entry = this.#token(op.partition, op.digest);
      if (entry?.state === 'used') {
        const tombstone: Tombstone = {
          ...(entry.body as Tombstone),
          state: 'completed',
          outcome: op.outcome,
        };
        this.#putToken(op.partition, op.digest, tombstone, op.now + op.retainMs, 'used');
      }
      if (op.reservation)
        this.#settle(op.partition, op.reservation.reservationId, op.reservation.action);
    });
  }

  resolveAbandoned(op: ResolveAbandonedOp): readonly AbandonedExecution[] {
    return this.#atomic(() => {
      const rows = this.#sql.executing.all(op.now, op.consumedBefore, Math.max(0, op.limit)) as {
        partition: string;
        digest: string;
        body: string;
      }[];
      return rows.map((row) => {
        const { reservationId, ...tombstone } = JSON.parse(row.body) as Tombstone & {
          reservationId?: string;
        };
        this.#putToken(
          row.partition,
          row.digest,
          { ...tombstone, state: 'completed', outcome: op.outcome },
          op.now + op.retainMs,
          'used',
        );
        if (reservationId) this.#settle(row.partition, reservationId, 'commit');
        return { partition: row.partition, tombstone };
      });
    });
  }

  getApproval(partition: string, approvalId: string): ApprovalRecord | undefined {
    return this.#guard(() => this.#approval(partition, approvalId));
  }

  listApprovals(filter: {
    status?: ApprovalRecord['status'];
    limit: number;
  }): readonly ApprovalRecord[] {
    return this.#guard(() => {
      const rows =
        filter.status === undefined
          ? this.#sql.listAll.all(filter.limit)
          : this.#sql.listByStatus.all(filter.status, filter.limit);
      return rows.map((row) => JSON.parse(String(row.body)) as ApprovalRecord);
    });
  }

  decideApproval(op: DecideOp): DecideOutcome {
    return this.#atomic(() => {
      const current = this.#approval(op.partition, op.approvalId);
      if (!current) return { status: 'unknown' };
      if (current.status !== op.expectedStatus) return { status: 'conflict', approval: current };
      const next: ApprovalRecord = {
        ...current,
        status: op.status,
        decidedAt: op.now,
        version: current.version + 1,
      };
      if (op.decidedBy !== undefined) next.decidedBy = op.decidedBy;
      if (op.reason !== undefined) next.reason = op.reason;
      if (op.tokenExpiresAt !== undefined) next.tokenExpiresAt = op.tokenExpiresAt;
      if (op.reservation?.action === 'force') {
        this.#reserve(op.partition, op.reservation.request);
        next.reservationId = op.reservation.request.reservationId;
      } else if (op.reservation?.action === 'extend') {
        this.#sql.extend.run(op.reservation.holdUntil, op.partition, op.reservation.reservationId);
      } else if (op.reservation?.action === 'release') {
        this.#settle(op.partition, op.reservation.reservationId, 'release');
      }
      this.#putApproval(op.partition, next);
      return { status: 'ok', approval: next };
    });
  }

  issueApprovalToken(op: IssueOp): IssueOutcome {
    return this.#atomic(() => {
      const approval = this.#approval(op.partition, op.approvalId);
      if (!approval) return { status: 'unknown' };
      if (approval.status !== 'approved') return { status: 'not_approved', approval };
      if (approval.executedAt !== undefined) return { status: 'used', approval };
      if (approval.tokenExpiresAt === undefined || approval.tokenExpiresAt <= op.now) {
        return { status: 'expired', approval };
      }
      const live = (approval.tokenDigests ?? []).filter((digest) => {
        const entry = this.#token(op.partition, digest);
        return entry?.state === 'live' && entry.dropAt > op.now && digest !== op.token.digest;
      });
      live.push(op.token.digest);
      // Waiters do not revoke each other, up to the bound; beyond it the oldest goes.
      while (live.length > Math.max(1, op.maxLiveTokens)) {
        this.#sql.dropToken.run(op.partition, live.shift()!);
      }
      const record = { ...op.token.record };
      this.#putToken(op.partition, op.token.digest, record, record.expiresAt + op.retainMs);
      const next: ApprovalRecord = { ...approval, tokenDigests: live };
      // Same status and version: issuing a token is not a change waiters hear about.
      this.#putApproval(op.partition, next, { notify: false });
      return { status: 'issued', approval: next };
    });
  }

  reservationUsage(op: {
    partition: string;
    now: number;
    windows: readonly ReservationWindow[];
  }): ReservationUsage {
    return this.#atomic(() => {
      const used: Record<string, bigint> = {};
      for (const window of op.windows) {
        used[window.key] = this.#used(op.partition, window.key, op.now);
      }
      return { used };
    });
  }

  subscribeApprovals(listener: (event: ApprovalEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  close(): void {
    this.#listeners.clear();
    if (this.#db.isOpen) this.#db.close();
  }

  // #region atomic
  /** Runs `work` as one write transaction; approval events go out after it commits. */
  #atomic<T>(work: () => T): T {
    const result = this.#guard(() => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const value = work();
        this.#db.exec('COMMIT');
        return value;
      } catch (error) {
        this.#outbox = [];
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw error;
      }
    });
    const events = this.#outbox;
    this.#outbox = [];
    for (const event of events) this.#emit(event);
    return result;
  }
  // #endregion atomic

  /** Turns a busy or closed database into `STORE_UNAVAILABLE`; anything else is a bug. */
  #guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (isBusy(error) || isClosed(error)) throw unavailable(error);
      throw error;
    }
  }

  #emit(event: ApprovalEvent): void {
    for (const listener of [...this.#listeners]) {
      queueMicrotask(() => {
        try {
          listener(event);
        } catch {
          // A listener owns its errors; the operation has already committed.
        }
      });
    }
  }

  #token(
    partition: string,
    digest: string,
  ): { state: 'live' | 'used'; body: unknown; dropAt: number } | undefined {
    const row = this.#sql.token.get(partition, digest) as
      | { state: 'live' | 'used'; body: string; drop_at: number }
      | undefined;
    if (!row) return undefined;
    const body = JSON.parse(row.body) as Record<string, unknown>;
    // A tombstone's reservation id is kept for resolveAbandoned, not answered with it.
    if (row.state === 'used') delete body.reservationId;
    return { state: row.state, body, dropAt: row.drop_at };
  }

  #putToken(
    partition: string,
    digest: string,
    body: TransactionRecord | Tombstone,
    dropAt: number,
    state: 'live' | 'used' = 'live',
  ): void {
    this.#sql.putToken.run(partition, digest, state, JSON.stringify(body), dropAt);
  }

  #approval(partition: string, approvalId: string): ApprovalRecord | undefined {
    const row = this.#sql.approval.get(partition, approvalId) as { body: string } | undefined;
    return row && (JSON.parse(row.body) as ApprovalRecord);
  }

  #putApproval(partition: string, approval: ApprovalRecord, { notify = true } = {}): void {
    const until = Math.max(approval.expiresAt, approval.tokenExpiresAt ?? 0);
    this.#sql.putApproval.run(
      partition,
      approval.approvalId,
      approval.status,
      approval.createdAt,
      until + this.#retentionMs,
      JSON.stringify(approval),
    );
    if (notify) {
      this.#outbox.push({
        approvalId: approval.approvalId,
        status: approval.status,
        version: approval.version,
      });
    }
  }

  /** Committed spend plus live reservations in one window instance. */
  #used(partition: string, windowKey: string, now: number): bigint {
    const spent = this.#sql.spent.get(partition, windowKey) as { minor: bigint } | undefined;
    const held = this.#sql.held.get(partition, windowKey, now) as { minor: bigint } | undefined;
    return (spent?.minor ?? 0n) + (held?.minor ?? 0n);
  }

  #reserve(partition: string, request: ReservationRequest): void {
    // REPLACE deletes a previous row of the same id, and its windows with it (cascade).
    this.#sql.putReservation.run(
      partition,
      request.reservationId,
      request.amountMinor,
      request.holdUntil,
    );
    for (const window of request.windows) {
      this.#sql.putReservationWindow.run(
        partition,
        request.reservationId,
        window.key,
        window.endsAt,
      );
    }
  }

  #settle(partition: string, reservationId: string, action: 'commit' | 'release'): void {
    const row = this.#sql.reservation.get(partition, reservationId) as
      | { amount: bigint }
      | undefined;
    if (!row) return;
    const windows = this.#sql.reservationWindows.all(partition, reservationId) as Array<{
      window_key: string;
      ends_at: number;
    }>;
    this.#sql.dropReservation.run(partition, reservationId);
    if (action === 'release') return;
    for (const window of windows) {
      this.#sql.commit.run(partition, window.window_key, row.amount, window.ends_at);
    }
  }

  /** Drops what has expired; every read also checks times, so this only bounds the file. */
  #sweep(now: number): void {
    this.#sql.sweepTokens.run(now);
    this.#sql.sweepApprovals.run(now);
    this.#sql.sweepRate.run(now);
    this.#sql.sweepSpent.run(now);
    this.#sql.sweepReservations.run(now);
  }
}
