import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type * as core from '@handshake/core';
import { authorizedTokenRecord, exceededLimits, pendingApprovalRecord } from '@handshake/core';
import { resolveAbandoned } from './abandoned.js';
import { ApprovalWatch } from './approval-watch.js';
import {
  approvalItem,
  completeIssued,
  consumeIssued,
  decide,
  decodeApproval,
  issue,
  readApproval,
} from './approvals.js';
import { Connection } from './connection.js';
import { capture, extend, reserve, settle, usedIn } from './ledger.js';
import { changeLedger, countHit, readLedger } from './ledger-item.js';
import { listApprovals } from './listing.js';
import { checkTable, createDynamoDBTable } from './provision.js';
import { completePlain, consumePlain, tokenItem } from './tokens.js';

const DAY_MS = 86_400_000;

/**
 * Options of {@link DynamoDBStore}.
 *
 * @example
 * ```ts
 * import type { DynamoDBStoreOptions } from '@handshake/dynamodb';
 *
 * const options: DynamoDBStoreOptions = {
 *   tableName: 'handshake',
 *   clientConfig: { region: 'eu-west-1' },
 *   requestTimeoutMs: 1_500,
 *   approvalPollMs: 500,
 * };
 * ```
 */
export interface DynamoDBStoreOptions {
  /** The table (see `dynamoDBTableDefinition`). */
  tableName: string;
  /**
   * A client you manage; `close()` leaves it open. Without it the store makes one from
   * `clientConfig` and the SDK's standard configuration (`AWS_REGION`, credentials,
   * `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_MAX_ATTEMPTS`…).
   */
  client?: DynamoDBClient;
  /** Configuration of the client the store makes, over the SDK's defaults. */
  clientConfig?: DynamoDBClientConfig;
  /**
   * Longest one DynamoDB request may take, the SDK's retries with back-off included,
   * before the store call fails with `STORE_UNAVAILABLE` (default 2000 ms).
   */
  requestTimeoutMs?: number;
  /**
   * How long an approval is kept after its decision deadline, or after the token it
   * minted expires, for listings and replays (default 24 h).
   */
  approvalRetentionMs?: number;
  /**
   * How often the pending approvals this instance has seen are read again, while a
   * waiter listens, to hear decisions made by other instances (default 1000 ms). It is
   * the longest delay before such a decision reaches a waiter here.
   */
  approvalPollMs?: number;
  /** Hears failed polls and failing listeners (default: ignored). */
  onError?: (error: unknown) => void;
}

/**
 * The store on Amazon DynamoDB: one table shared by any number of service instances
 * (Lambda functions included). Every atomic step is a single-item conditional write —
 * no transactions — on a table keyed by user (`pk`) and item (`sk`): a token, an
 * approval, a rate-limit window, or the user's spend ledger. Items carry a `ttl` for
 * DynamoDB's own expiry, which is lazy, so every read compares times itself.
 *
 * Decisions made by other instances reach waiters by polling (`approvalPollMs`).
 *
 * @example
 * ```ts
 * import { createHandshake, type ToolProviderV1 } from '@handshake/core';
 * import { DynamoDBStore } from '@handshake/dynamodb';
 * declare const tools: ToolProviderV1;
 *
 * const engine = createHandshake({ tools, store: new DynamoDBStore({ tableName: 'handshake' }) });
 * ```
 */
export class DynamoDBStore implements core.StoreV1 {
  readonly specificationVersion = 'v1' as const;
  /** The table this store uses. */
  readonly tableName: string;

  readonly #db: Connection;
  readonly #ownsClient: boolean;
  readonly #retentionMs: number;
  readonly #watch: ApprovalWatch;

  constructor(options: DynamoDBStoreOptions) {
    if (!options.tableName) throw new TypeError('tableName is required');
    this.tableName = options.tableName;
    const timeoutMs = positive(options.requestTimeoutMs ?? 2_000, 'requestTimeoutMs');
    this.#retentionMs = positive(options.approvalRetentionMs ?? DAY_MS, 'approvalRetentionMs');
    const pollMs = positive(options.approvalPollMs ?? 1_000, 'approvalPollMs');
    const client =
      options.client ??
      new DynamoDBClient({
        // Each attempt may use the whole bound; the store's own bound covers them all.
        requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
        ...options.clientConfig,
      });
    this.#ownsClient = options.client === undefined;
    this.#db = new Connection(client, options.tableName, timeoutMs);
    this.#watch = new ApprovalWatch(this.#db, pollMs, options.onError ?? (() => {}));
  }

  /**
   * Checks that the table exists and is laid out for the store. Rejects with an error
   * naming the table when it is not, or with `STORE_UNAVAILABLE` when DynamoDB cannot be
   * reached. With `createTable`, a missing table is created first (for development).
   *
   * @example
   * ```ts
   * import { DynamoDBStore } from '@handshake/dynamodb';
   *
   * const store = new DynamoDBStore({ tableName: 'handshake' });
   * await store.ready(); // before taking traffic
   * ```
   */
  async ready(options: { createTable?: boolean } = {}): Promise<void> {
    if (options.createTable) await createDynamoDBTable(this.#db.client, this.tableName);
    await checkTable(this.#db.client, this.tableName, this.#db.timeoutMs);
  }

  async authorize(op: core.AuthorizeOp): Promise<core.AuthorizeOutcome> {
    const { partition, now } = op;
    if (op.rateLimit) {
      const hit = await countHit(this.#db, partition, now, op.rateLimit);
      if (hit.limited) return { status: 'rate_limited', retryAfterMs: hit.retryAfterMs };
    }
    let reserved = false;
    let exceeded: core.LimitWindow[] = [];
    const reservation = op.reservation;
    if (reservation) {
      // Reserving first and storing the token or approval second: if the second write
      // is lost, the reservation lapses at its hold time (never an overspend).
      exceeded = await changeLedger(this.#db, partition, now, (doc) => {
        if (doc.r[reservation.reservationId]) return { next: undefined, value: [] };
        const over = exceededLimits(reservation, (key) => usedIn(doc, key, now));
        return { next: over.length === 0 ? reserve(doc, reservation) : undefined, value: over };
      });
      reserved = exceeded.length === 0;
    }
    if (op.requiresApproval || exceeded.length > 0) {
      const approval = pendingApprovalRecord(op, { reserved, exceeded });
      // Refused only when a resend of this very write landed first: ids are random.
      await this.#db.put({
        Item: approvalItem(partition, approval, this.#retentionMs),
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      this.#watch.seen(partition, approval);
      return { status: 'pending', reserved, exceeded, approval };
    }
    const record = authorizedTokenRecord(op, { reserved });
    await this.#db.put({
      Item: tokenItem(partition, op.token.digest, record, op.retainMs),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    return { status: 'authorized', reserved };
  }

  async consume(op: core.ConsumeOp): Promise<core.ConsumeOutcome> {
    // Identifies this call, so its own write resent by the SDK after a lost reply is
    // recognised as this call's success rather than someone else's use.
    const nonce = crypto.randomUUID();
    const plain = await consumePlain(this.#db, op, nonce);
    const consumed =
      plain.status === 'issued' ? await consumeIssued(this.#db, op, plain.item, nonce) : plain;
    const reservationId = consumed.status === 'ok' ? consumed.record.reservationId : undefined;
    const until = op.holdUntil;
    if (reservationId !== undefined && until !== undefined) {
      // A second write: a crash between the two leaves the hold as authorize set it.
      await changeLedger(this.#db, op.partition, op.now, (doc) => {
        const entry = doc.r[reservationId];
        const longer = entry !== undefined && entry[1] > op.now && entry[1] < until;
        return { next: longer ? extend(doc, reservationId, until) : undefined, value: undefined };
      });
    }
    return consumed;
  }

  async complete(op: core.CompleteOp): Promise<void> {
    const reservation = op.reservation;
    // The spend first: if the tombstone write is then lost, a replay says "in progress"
    // but the amount is counted as it should be.
    if (reservation)
      await this.#settle(op.partition, op.now, reservation.reservationId, reservation.action);
    const pointer = await completePlain(this.#db, op);
    if (pointer) await completeIssued(this.#db, op, pointer);
  }

  /**
   * Resolves the executions a dead process left running. The table keeps no index of
   * them: this scans it (every item is read), so sweep a large table less often.
   */
  resolveAbandoned(op: core.ResolveAbandonedOp): Promise<readonly core.AbandonedExecution[]> {
    return resolveAbandoned(this.#db, op, (partition, reservationId) =>
      this.#settle(partition, op.now, reservationId, 'commit'),
    );
  }

  async getApproval(
    partition: string,
    approvalId: string,
  ): Promise<core.ApprovalRecord | undefined> {
    const item = await readApproval(this.#db, partition, approvalId);
    if (!item) return undefined;
    const record = decodeApproval(item);
    this.#watch.seen(partition, record);
    return record;
  }

  listApprovals(filter: {
    status?: core.ApprovalStatus;
    limit: number;
  }): Promise<readonly core.ApprovalRecord[]> {
    return listApprovals(this.#db, filter);
  }

  async decideApproval(op: core.DecideOp): Promise<core.DecideOutcome> {
    const reservation = op.reservation;
    // A forced reservation is made before the decision and undone if the decision is
    // refused: counted too early at worst, never missing while the token is live.
    if (reservation?.action === 'force') {
      await changeLedger(this.#db, op.partition, op.now, (doc) => ({
        next: reserve(doc, reservation.request),
        value: undefined,
      }));
    } else if (reservation?.action === 'extend') {
      await changeLedger(this.#db, op.partition, op.now, (doc) => ({
        next: extend(doc, reservation.reservationId, reservation.holdUntil),
        value: undefined,
      }));
    }
    const outcome = await decide(this.#db, op, this.#retentionMs);
    if (reservation?.action === 'force' && outcome.status !== 'ok') {
      await this.#settle(op.partition, op.now, reservation.request.reservationId, 'release');
    }
    if (reservation?.action === 'release' && outcome.status === 'ok') {
      await this.#settle(op.partition, op.now, reservation.reservationId, 'release');
    }
    if (outcome.status === 'ok') this.#watch.seen(op.partition, outcome.approval);
    return outcome;
  }

  issueApprovalToken(op: core.IssueOp): Promise<core.IssueOutcome> {
    return issue(this.#db, op);
  }

  async reservationUsage(op: core.ReservationUsageOp): Promise<core.ReservationUsage> {
    const { doc } = await readLedger(this.#db, op.partition, op.now);
    const used: Record<string, bigint> = {};
    for (const window of op.windows) used[window.key] = usedIn(doc, window.key, op.now);
    return { used };
  }

  /** Counts a card purchase at the amount captured, once: one write of the user's ledger. */
  captureReservation(op: core.CaptureReservationOp): Promise<core.CaptureReservationOutcome> {
    return changeLedger(this.#db, op.partition, op.now, (doc) =>
      capture(doc, op.reservationId, op.share, op.now),
    );
  }

  /**
   * Hears approval changes: this instance's own at once, other instances' by polling
   * the pending approvals this instance has seen, every `approvalPollMs`.
   */
  subscribeApprovals(listener: (event: core.ApprovalEvent) => void): () => void {
    return this.#watch.subscribe(listener);
  }

  /** Stops polling and, when the store made its client, destroys it. */
  close(): void {
    this.#watch.close();
    if (this.#ownsClient) this.#db.client.destroy();
  }

  async #settle(partition: string, now: number, id: string, action: 'commit' | 'release') {
    await changeLedger(this.#db, partition, now, (doc) => ({
      next: settle(doc, id, action),
      value: undefined,
    }));
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number`);
  }
  return value;
}
