import type { ApprovalEvent } from '../store/store-v1.js';
import type { ApprovalHub } from './approval-hub.js';

/**
 * What a watch of approvals yields: an approval the store says changed (`changed`,
 * with the status and version it announced), or a request to read again (`check`)
 * that the watcher's owner asked for with {@link ApprovalWatcher.check} — a poll of a
 * store that cannot notify, a deadline. Changes are coalesced while the consumer is
 * busy: one entry per approval (the latest), one per check reason.
 *
 * @example
 * ```ts
 * import type { ApprovalChange } from '@handshake/core';
 *
 * const describe = (change: ApprovalChange) =>
 *   change.type === 'changed' ? `${change.approvalId} is ${change.status}` : `check (${change.reason})`;
 * ```
 */
export type ApprovalChange =
  | ({ type: 'changed' } & ApprovalEvent)
  | { type: 'check'; reason: string };

/**
 * Options of `HandshakeEngine.watchApprovals`.
 *
 * @example
 * ```ts
 * import type { WatchApprovalsOptions } from '@handshake/core';
 *
 * const options: WatchApprovalsOptions = { ids: ['apr_0123456789abcdef_x'], signal: AbortSignal.timeout(60_000) };
 * ```
 */
export interface WatchApprovalsOptions {
  /** The approvals to hear of; every approval when omitted (an approver's view). */
  ids?: readonly string[];
  /** Ends the watch: the iterator finishes and its entry is released. */
  signal?: AbortSignal;
  /**
   * Called when a change is queued and no `next()` waits for it, for a caller that
   * drains with {@link ApprovalWatcher.take} instead of awaiting (a stream idle for
   * minutes then holds no pending promise).
   */
  onReady?: () => void;
}

/**
 * A live watch of approvals: an async iterator of {@link ApprovalChange}s that ends
 * when `return()` is called (a `for await` loop that exits does it), when its signal
 * aborts, or throws when the store's subscription fails.
 *
 * @example
 * ```ts
 * import type { HandshakeEngine } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const watcher = engine.watchApprovals({ ids: ['apr_0123456789abcdef_x'] });
 * const poll = setInterval(() => watcher.check('poll'), 2_000);
 * for await (const change of watcher) {
 *   if (change.type === 'changed' && change.status !== 'pending') break;
 * }
 * clearInterval(poll);
 * ```
 */
export interface ApprovalWatcher extends AsyncIterableIterator<ApprovalChange> {
  /** Queues a `check` change with this reason (kept once until yielded). */
  check(reason: string): void;
  /** The next queued change without waiting; `undefined` when none is queued. */
  take(): ApprovalChange | undefined;
  /** The error the watch ended with (the store's subscription failed), if any. */
  readonly error: unknown;
  /** Ends the watch and releases its entry; pending `next()` calls finish. */
  return(): Promise<IteratorResult<ApprovalChange>>;
}

const DONE: IteratorResult<ApprovalChange> = { done: true, value: undefined };

/** One watcher's queue. Kept small: thousands of them wait at once. */
export class Watcher implements ApprovalWatcher {
  readonly hub: ApprovalHub;
  readonly ids: readonly string[] | undefined;
  /** Undelivered changes: approval id → latest change, then check reasons. */
  #queue: Map<string, ApprovalChange> | undefined;
  #wake: ((result: IteratorResult<ApprovalChange>) => void) | undefined;
  #fail: ((error: unknown) => void) | undefined;
  #error: unknown;
  #done = false;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  #onReady: (() => void) | undefined;

  constructor(
    hub: ApprovalHub,
    ids: readonly string[] | undefined,
    signal?: AbortSignal,
    onReady?: () => void,
  ) {
    this.hub = hub;
    this.ids = ids;
    this.#onReady = onReady;
    if (signal) {
      if (signal.aborted) {
        this.#done = true;
        return;
      }
      this.#signal = signal;
      this.#onAbort = () => void this.return();
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    hub.add(this);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Hands a change to a waiting `next()`, or queues it (one per key). */
  push(key: string, change: ApprovalChange): void {
    if (this.#done) return;
    const wake = this.#wake;
    if (wake) {
      this.#wake = undefined;
      this.#fail = undefined;
      wake({ done: false, value: change });
      return;
    }
    // A newer change of a waiting approval takes its place in the queue.
    this.#queue ??= new Map();
    this.#queue.set(key, change);
    this.#onReady?.();
  }

  take(): ApprovalChange | undefined {
    const queue = this.#queue;
    if (queue === undefined || queue.size === 0) return undefined;
    const [key, change] = queue.entries().next().value as [string, ApprovalChange];
    queue.delete(key);
    return change;
  }

  get error(): unknown {
    return this.#error;
  }

  deliver(event: ApprovalEvent): void {
    this.push(event.approvalId, {
      type: 'changed',
      approvalId: event.approvalId,
      status: event.status,
      version: event.version,
    });
  }

  check(reason: string): void {
    // A NUL cannot start an approval id, so reasons and ids never share a key.
    this.push(`\u0000${reason}`, { type: 'check', reason });
  }

  /** The subscription failed: the watch ends with this error. */
  fail(error: unknown): void {
    if (this.#done) return;
    this.#error = error;
    const fail = this.#fail;
    const ready = this.#onReady;
    this.#close();
    if (fail) fail(error);
    else ready?.();
  }

  next(): Promise<IteratorResult<ApprovalChange>> {
    const queued = this.take();
    if (queued !== undefined) return Promise.resolve({ done: false, value: queued });
    if (this.#error !== undefined) {
      const error = this.#error;
      this.#error = undefined;
      return Promise.reject(error);
    }
    if (this.#done) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.#wake = resolve;
      this.#fail = reject;
    });
  }

  return(): Promise<IteratorResult<ApprovalChange>> {
    const wake = this.#wake;
    this.#close();
    wake?.(DONE);
    return Promise.resolve(DONE);
  }

  #close(): void {
    if (this.#done) return;
    this.#done = true;
    this.#wake = undefined;
    this.#fail = undefined;
    this.#queue = undefined;
    if (this.#signal && this.#onAbort) this.#signal.removeEventListener('abort', this.#onAbort);
    this.#signal = undefined;
    this.#onAbort = undefined;
    this.#onReady = undefined;
    this.hub.remove(this);
  }
}
