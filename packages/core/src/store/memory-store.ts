import type { LimitWindow } from '../limits/spending-limits.js';
import type { AbandonedExecution, ResolveAbandonedOp } from './abandoned.js';
import { amountBinding } from './amount-binding.js';
import { ApprovalListeners } from './approval-listeners.js';
import {
  authorizedTokenRecord,
  exceededLimits,
  pendingApprovalRecord,
} from './authorize-records.js';
import {
  type CaptureReservationOp,
  type CaptureReservationOutcome,
  capturedShare,
} from './capture-reservation.js';
import type { ApprovalRecord, Tombstone, TransactionRecord } from './records.js';
import { spentApprovalTombstone } from './spent-approval.js';
import type {
  ApprovalEvent,
  AuthorizeOp,
  AuthorizeOutcome,
  CompleteOp,
  ConsumeOp,
  ConsumeOutcome,
  DecideOp,
  DecideOutcome,
  IssueOp,
  IssueOutcome,
  ReservationRequest,
  ReservationUsage,
  ReservationWindow,
  StoreV1,
} from './store-v1.js';

type TokenEntry =
  | { kind: 'live'; record: TransactionRecord; dropAt: number }
  /** `reservationId`: the consumed record's, settled if the execution is abandoned. */
  | {
      kind: 'used';
      tombstone: Tombstone;
      dropAt: number;
      partition: string;
      reservationId?: string;
    };

interface Reservation {
  amount: bigint;
  windows: { key: string; endsAt: number }[];
  holdUntil: number;
}

/** A committed reservation, kept until its windows end so a capture can settle it. */
interface Settled {
  amount: bigint;
  windows: { key: string; endsAt: number }[];
  captured: boolean;
}

interface ReservationState {
  committed: Map<string, { minor: bigint; endsAt: number }>;
  reservations: Map<string, Reservation>;
  settled: Map<string, Settled>;
}

/**
 * Options of {@link MemoryStore}.
 *
 * @example
 * ```ts
 * import { MemoryStore, type MemoryStoreOptions } from '@handshake/core';
 *
 * const options: MemoryStoreOptions = { sweepStep: 16 };
 * const store = new MemoryStore(options);
 * ```
 */
export interface MemoryStoreOptions {
  /**
   * Entries examined for expiry at each operation (default 8). Sweeping a few entries
   * per operation, round the store, keeps every operation's cost flat however many
   * tokens are live; `Infinity` sweeps the whole store at every operation.
   */
  sweepStep?: number;
  /**
   * How long an approval is kept after its decision deadline (or its token's expiry,
   * if later), as in the Redis store (default 24 h). Older approvals are swept.
   */
  approvalRetentionMs?: number;
}

/**
 * The embedded store: everything in one process's memory. Each operation runs
 * synchronously to completion, which is what makes it atomic under Node's event loop.
 * Time comes from the `now` each operation carries (the engine's injected clock).
 *
 * Use it for one service instance, tests and demos; use `@handshake/redis` to share
 * state between instances.
 *
 * @example
 * ```ts
 * import { MemoryStore } from '@handshake/core';
 *
 * const store = new MemoryStore();
 * ```
 */
export class MemoryStore implements StoreV1 {
  readonly specificationVersion = 'v1' as const;

  readonly #tokens = new Map<string, TokenEntry>();
  readonly #approvals = new Map<string, ApprovalRecord>();
  readonly #reservation = new Map<string, ReservationState>();
  readonly #rate = new Map<string, { count: number; endsAt: number }>();
  readonly #listeners = new ApprovalListeners();
  readonly #sweepStep: number;
  readonly #sweeper: Generator<boolean, never, number>;
  readonly #approvalRetentionMs: number;

  constructor(options: MemoryStoreOptions = {}) {
    const step = options.sweepStep ?? 8;
    if (!(step >= 1)) throw new TypeError('sweepStep must be at least 1');
    this.#sweepStep = step;
    this.#approvalRetentionMs = options.approvalRetentionMs ?? 24 * 60 * 60 * 1000;
    this.#sweeper = this.#sweep();
    this.#sweeper.next(0);
  }

  /** Number of token entries (live and tombstones) currently held. */
  get size(): number {
    return this.#tokens.size;
  }

  authorize(op: AuthorizeOp): AuthorizeOutcome {
    this.#tick(op.now);
    if (op.rateLimit) {
      const windowStart = Math.floor(op.now / op.rateLimit.windowMs) * op.rateLimit.windowMs;
      const key = `${op.partition}:${op.rateLimit.bucket ?? ''}:${windowStart}`;
      const entry = this.#rate.get(key) ?? {
        count: 0,
        endsAt: windowStart + op.rateLimit.windowMs,
      };
      if (entry.count >= op.rateLimit.limit) {
        return { status: 'rate_limited', retryAfterMs: entry.endsAt - op.now };
      }
      entry.count += 1;
      this.#rate.set(key, entry);
    }
    let reserved = false;
    let exceeded: LimitWindow[] = [];
    if (op.reservation) {
      exceeded = exceededLimits(op.reservation, (key) => this.#used(op.partition, key, op.now));
      if (exceeded.length === 0) {
        this.#reserve(op.partition, op.reservation);
        reserved = true;
      }
    }
    if (op.requiresApproval || exceeded.length > 0) {
      const approval = pendingApprovalRecord(op, { reserved, exceeded });
      this.#approvals.set(this.#approvalKey(op.partition, approval.approvalId), approval);
      this.#emit(approval);
      return { status: 'pending', reserved, exceeded, approval: { ...approval } };
    }
    const record = authorizedTokenRecord(op, { reserved });
    this.#tokens.set(this.#tokenKey(op.partition, op.token.digest), {
      kind: 'live',
      record,
      dropAt: record.expiresAt + op.retainMs,
    });
    return { status: 'authorized', reserved };
  }

  consume(op: ConsumeOp): ConsumeOutcome {
    this.#tick(op.now);
    const key = this.#tokenKey(op.partition, op.digest);
    const entry = this.#tokens.get(key);
    if (!entry || entry.dropAt <= op.now) return { status: 'unknown' };
    if (entry.kind === 'used') return { status: 'used', tombstone: entry.tombstone };
    const record = entry.record;
    const approval =
      record.approvalId === undefined
        ? undefined
        : this.#approvals.get(this.#approvalKey(op.partition, record.approvalId));
    if (approval?.executedAt !== undefined) {
      // Another token of this approval ran the call: the approval is spent.
      return { status: 'used', tombstone: this.#spentTombstone(op.partition, approval, op.now) };
    }
    if (record.expiresAt <= op.now) return { status: 'expired' };
    if (record.userId !== op.expect.userId) return { status: 'mismatch', field: 'userId' };
    if (record.tool !== op.expect.tool) return { status: 'mismatch', field: 'tool' };
    if (record.paramsHash !== op.expect.paramsHash) {
      return { status: 'mismatch', field: 'paramsHash' };
    }
    if (op.expect.transactionId !== undefined && record.transactionId !== op.expect.transactionId) {
      return { status: 'mismatch', field: 'transactionId' };
    }
    if (op.expect.amount !== undefined && amountBinding(record) !== op.expect.amount) {
      return { status: 'mismatch', field: 'amount' };
    }
    this.#tokens.set(key, {
      kind: 'used',
      tombstone: {
        transactionId: record.transactionId,
        userId: record.userId,
        sessionId: op.sessionId,
        tool: record.tool,
        paramsHash: record.paramsHash,
        state: 'executing',
        consumedAt: op.now,
      },
      dropAt: op.now + op.retainMs,
      partition: op.partition,
      ...(record.reservationId !== undefined ? { reservationId: record.reservationId } : {}),
    });
    const held =
      record.reservationId === undefined
        ? undefined
        : this.#reservationState(op.partition).reservations.get(record.reservationId);
    if (held && op.holdUntil !== undefined && held.holdUntil > op.now) {
      held.holdUntil = Math.max(held.holdUntil, op.holdUntil);
    }
    if (approval) {
      approval.executedAt = op.now;
      approval.executedDigest = op.digest;
      delete approval.tokenDigests;
    }
    return { status: 'ok', record };
  }

  /** What a sibling token of a spent approval answers: the tombstone of the one that ran. */
  #spentTombstone(partition: string, approval: ApprovalRecord, now: number): Tombstone {
    const ran =
      approval.executedDigest === undefined
        ? undefined
        : this.#tokens.get(this.#tokenKey(partition, approval.executedDigest));
    return ran?.kind === 'used' && ran.dropAt > now
      ? ran.tombstone
      : spentApprovalTombstone(approval);
  }

  complete(op: CompleteOp): void {
    this.#tick(op.now);
    const key = this.#tokenKey(op.partition, op.digest);
    const entry = this.#tokens.get(key);
    if (entry?.kind === 'used') {
      this.#tokens.set(key, {
        ...entry,
        tombstone: { ...entry.tombstone, state: 'completed', outcome: op.outcome },
        dropAt: op.now + op.retainMs,
      });
    }
    if (op.reservation)
      this.#settle(op.partition, op.reservation.reservationId, op.reservation.action);
  }

  resolveAbandoned(op: ResolveAbandonedOp): readonly AbandonedExecution[] {
    this.#tick(op.now);
    const found: Array<[string, Extract<TokenEntry, { kind: 'used' }>]> = [];
    for (const [key, entry] of this.#tokens) {
      if (
        entry.kind === 'used' &&
        entry.tombstone.state === 'executing' &&
        entry.tombstone.consumedAt < op.consumedBefore &&
        entry.dropAt > op.now
      ) {
        found.push([key, entry]);
      }
    }
    found.sort(([, a], [, b]) => a.tombstone.consumedAt - b.tombstone.consumedAt);
    const resolved: AbandonedExecution[] = [];
    for (const [key, entry] of found.slice(0, Math.max(0, op.limit))) {
      this.#tokens.set(key, {
        ...entry,
        tombstone: { ...entry.tombstone, state: 'completed', outcome: op.outcome },
        dropAt: op.now + op.retainMs,
      });
      if (entry.reservationId !== undefined) {
        this.#settle(entry.partition, entry.reservationId, 'commit');
      }
      resolved.push({ partition: entry.partition, tombstone: structuredClone(entry.tombstone) });
    }
    return resolved;
  }

  getApproval(partition: string, approvalId: string): ApprovalRecord | undefined {
    const record = this.#approvals.get(this.#approvalKey(partition, approvalId));
    return record ? structuredClone(record) : undefined;
  }

  listApprovals(filter: {
    status?: ApprovalRecord['status'];
    limit: number;
  }): readonly ApprovalRecord[] {
    const out: ApprovalRecord[] = [];
    for (const record of this.#approvals.values()) {
      if (filter.status === undefined || record.status === filter.status) out.push(record);
    }
    out.sort((a, b) => b.createdAt - a.createdAt);
    return structuredClone(out.slice(0, filter.limit));
  }

  decideApproval(op: DecideOp): DecideOutcome {
    this.#tick(op.now);
    const key = this.#approvalKey(op.partition, op.approvalId);
    const current = this.#approvals.get(key);
    if (!current) return { status: 'unknown' };
    if (current.status !== op.expectedStatus) {
      return { status: 'conflict', approval: structuredClone(current) };
    }
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
      const reservation = this.#reservationState(op.partition).reservations.get(
        op.reservation.reservationId,
      );
      if (reservation) reservation.holdUntil = op.reservation.holdUntil;
    } else if (op.reservation?.action === 'release') {
      this.#settle(op.partition, op.reservation.reservationId, 'release');
    }
    this.#approvals.set(key, next);
    this.#emit(next);
    return { status: 'ok', approval: structuredClone(next) };
  }

  issueApprovalToken(op: IssueOp): IssueOutcome {
    this.#tick(op.now);
    const key = this.#approvalKey(op.partition, op.approvalId);
    const approval = this.#approvals.get(key);
    if (!approval) return { status: 'unknown' };
    if (approval.status !== 'approved') {
      return { status: 'not_approved', approval: structuredClone(approval) };
    }
    if (approval.executedAt !== undefined) {
      return { status: 'used', approval: structuredClone(approval) };
    }
    if (approval.tokenExpiresAt === undefined || approval.tokenExpiresAt <= op.now) {
      return { status: 'expired', approval: structuredClone(approval) };
    }
    const live = (approval.tokenDigests ?? []).filter((digest) => {
      const entry = this.#tokens.get(this.#tokenKey(op.partition, digest));
      return entry?.kind === 'live' && entry.dropAt > op.now && digest !== op.token.digest;
    });
    live.push(op.token.digest);
    // Waiters do not revoke each other, up to the bound; beyond it the oldest token goes.
    while (live.length > Math.max(1, op.maxLiveTokens)) {
      this.#tokens.delete(this.#tokenKey(op.partition, live.shift()!));
    }
    this.#tokens.set(this.#tokenKey(op.partition, op.token.digest), {
      kind: 'live',
      record: { ...op.token.record },
      dropAt: op.token.record.expiresAt + op.retainMs,
    });
    approval.tokenDigests = live;
    return { status: 'issued', approval: structuredClone(approval) };
  }

  reservationUsage(op: {
    partition: string;
    now: number;
    windows: readonly ReservationWindow[];
  }): ReservationUsage {
    this.#tick(op.now);
    const used: Record<string, bigint> = {};
    for (const window of op.windows)
      used[window.key] = this.#used(op.partition, window.key, op.now);
    return { used };
  }

  /** Every decision is heard at once, in this process: nothing can be missed. */
  readonly approvalEventsComplete = true;

  subscribeApprovals(listener: (event: ApprovalEvent) => void): () => void {
    return this.#listeners.add(listener);
  }

  close(): void {
    this.#listeners.clear();
  }

  #emit(record: ApprovalRecord): void {
    this.#listeners.deliver({
      approvalId: record.approvalId,
      status: record.status,
      version: record.version,
    });
  }

  #tokenKey(partition: string, digest: string): string {
    return `${partition}\u0000${digest}`;
  }

  #approvalKey(partition: string, approvalId: string): string {
    return `${partition}\u0000${approvalId}`;
  }

  #reservationState(partition: string): ReservationState {
    let state = this.#reservation.get(partition);
    if (!state) {
      state = { committed: new Map(), reservations: new Map(), settled: new Map() };
      this.#reservation.set(partition, state);
    }
    return state;
  }

  #used(partition: string, windowKey: string, now: number): bigint {
    const state = this.#reservationState(partition);
    let total = state.committed.get(windowKey)?.minor ?? 0n;
    for (const [id, reservation] of state.reservations) {
      if (reservation.holdUntil <= now) {
        state.reservations.delete(id);
        continue;
      }
      if (reservation.windows.some((window) => window.key === windowKey)) {
        total += reservation.amount;
      }
    }
    return total;
  }

  #reserve(partition: string, request: ReservationRequest): void {
    this.#reservationState(partition).reservations.set(request.reservationId, {
      amount: request.amountMinor,
      windows: request.windows.map((window) => ({ key: window.key, endsAt: window.endsAt })),
      holdUntil: request.holdUntil,
    });
  }

  #settle(partition: string, reservationId: string, action: 'commit' | 'release'): void {
    const state = this.#reservationState(partition);
    const reservation = state.reservations.get(reservationId);
    if (!reservation) return;
    state.reservations.delete(reservationId);
    if (action === 'release') return;
    this.#count(state, reservation.windows, reservation.amount);
    state.settled.set(reservationId, {
      amount: reservation.amount,
      windows: reservation.windows,
      captured: false,
    });
  }

  #count(state: ReservationState, windows: Settled['windows'], minor: bigint): void {
    for (const window of windows) {
      const entry = state.committed.get(window.key) ?? { minor: 0n, endsAt: window.endsAt };
      entry.minor += minor;
      state.committed.set(window.key, entry);
    }
  }

  captureReservation(op: CaptureReservationOp): CaptureReservationOutcome {
    this.#tick(op.now);
    const state = this.#reservationState(op.partition);
    const settled = state.settled.get(op.reservationId);
    if (settled?.captured) return { status: 'already_captured' };
    const live = state.reservations.get(op.reservationId);
    if (live && live.holdUntil > op.now) {
      // Captured before the card's creation was recorded: commit only the captured part.
      const kept = capturedShare(live.amount, op.share);
      state.reservations.delete(op.reservationId);
      this.#count(state, live.windows, kept);
      state.settled.set(op.reservationId, { ...live, captured: true });
      return { status: 'captured', keptMinor: kept, releasedMinor: live.amount - kept };
    }
    if (!settled) return { status: 'unknown' };
    const kept = capturedShare(settled.amount, op.share);
    this.#count(state, settled.windows, kept - settled.amount);
    settled.captured = true;
    return { status: 'captured', keptMinor: kept, releasedMinor: settled.amount - kept };
  }

  /** Examines the next `sweepStep` entries, stopping early at the end of a pass. */
  #tick(now: number): void {
    for (let i = 0; i < this.#sweepStep; i += 1) {
      if (this.#sweeper.next(now).value) return;
    }
  }

  /**
   * Walks every map round and round, one entry per step, dropping what has expired by
   * the `now` each step is given; yields `true` at the end of each pass. (Deleting the
   * entry a Map iterator is on is safe, and entries added meanwhile are visited.)
   */
  *#sweep(): Generator<boolean, never, number> {
    let now = 0;
    for (;;) {
      for (const [key, entry] of this.#tokens) {
        if (entry.dropAt <= now) this.#tokens.delete(key);
        now = yield false;
      }
      for (const [key, entry] of this.#rate) {
        if (entry.endsAt <= now) this.#rate.delete(key);
        now = yield false;
      }
      for (const [key, approval] of this.#approvals) {
        const until = Math.max(approval.expiresAt, approval.tokenExpiresAt ?? 0);
        if (until + this.#approvalRetentionMs <= now) this.#approvals.delete(key);
        now = yield false;
      }
      for (const state of this.#reservation.values()) {
        for (const [key, entry] of state.committed) {
          if (entry.endsAt <= now) state.committed.delete(key);
          now = yield false;
        }
        for (const [id, reservation] of state.reservations) {
          if (reservation.holdUntil <= now) state.reservations.delete(id);
          now = yield false;
        }
        for (const [id, settled] of state.settled) {
          if (settled.windows.every((window) => window.endsAt <= now)) state.settled.delete(id);
          now = yield false;
        }
      }
      now = yield true;
    }
  }
}
