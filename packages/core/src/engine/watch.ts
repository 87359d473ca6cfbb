import type { ApprovalEvent, StoreV1 } from '../store/store-v1.js';

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
class Watcher implements ApprovalWatcher {
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

/**
 * The watchers of one store: ONE store subscription, taken when the first watcher
 * arrives and given back when the last leaves, fanned out by approval id.
 */
class ApprovalHub {
  readonly #store: StoreV1;
  readonly #byId = new Map<string, Watcher | Set<Watcher>>();
  readonly #all = new Set<Watcher>();
  #count = 0;
  #unsubscribe: (() => void) | undefined;

  constructor(store: StoreV1) {
    this.#store = store;
  }

  /** Watchers currently registered (for tests and gauges). */
  get size(): number {
    return this.#count;
  }

  add(watcher: Watcher): void {
    this.#count += 1;
    if (watcher.ids === undefined) this.#all.add(watcher);
    else {
      for (const id of watcher.ids) {
        const current = this.#byId.get(id);
        if (current === undefined) this.#byId.set(id, watcher);
        else if (current instanceof Set) current.add(watcher);
        else if (current !== watcher) this.#byId.set(id, new Set([current, watcher]));
      }
    }
    this.#subscribe(watcher);
  }

  remove(watcher: Watcher): void {
    this.#count -= 1;
    if (watcher.ids === undefined) this.#all.delete(watcher);
    else {
      for (const id of watcher.ids) {
        const current = this.#byId.get(id);
        if (current === watcher) this.#byId.delete(id);
        else if (current instanceof Set) {
          current.delete(watcher);
          if (current.size === 1) this.#byId.set(id, current.values().next().value as Watcher);
        }
      }
    }
    if (this.#count === 0) this.#unsubscribeNow();
  }

  #subscribe(watcher: Watcher): void {
    const subscribe = this.#store.subscribeApprovals;
    if (this.#unsubscribe !== undefined || subscribe === undefined) return;
    try {
      this.#unsubscribe = subscribe.call(
        this.#store,
        (event) => this.#dispatch(event),
        () => this.#gap(),
      );
    } catch (error) {
      // Without a subscription this watcher cannot keep its promise; the next watcher
      // tries again.
      watcher.fail(error);
    }
  }

  #unsubscribeNow(): void {
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    try {
      unsubscribe?.();
    } catch {
      // The store is going away; nothing is left to release.
    }
  }

  /** Changes may have been missed: every watcher reads again. */
  #gap(): void {
    for (const watchers of [...this.#byId.values()]) {
      if (watchers instanceof Set) for (const watcher of [...watchers]) watcher.check('gap');
      else watchers.check('gap');
    }
    for (const watcher of [...this.#all]) watcher.check('gap');
  }

  #dispatch(event: ApprovalEvent): void {
    const watchers = this.#byId.get(event.approvalId);
    if (watchers instanceof Set) for (const watcher of [...watchers]) watcher.deliver(event);
    else watchers?.deliver(event);
    for (const watcher of this.#all) watcher.deliver(event);
  }
}

// One hub per store object: an engine's store is its own (wrapped) object.
const hubs = new WeakMap<StoreV1, ApprovalHub>();

function hubOf(store: StoreV1): ApprovalHub {
  let hub = hubs.get(store);
  if (hub === undefined) {
    hub = new ApprovalHub(store);
    hubs.set(store, hub);
  }
  return hub;
}

/**
 * Watches a store's approvals through one shared subscription per store (see
 * `HandshakeEngine.watchApprovals`, which calls this with the engine's store).
 *
 * @example
 * ```ts
 * import { MemoryStore } from '@handshake/core';
 * import { watchStoreApprovals } from './watch.js';
 *
 * const watcher = watchStoreApprovals(new MemoryStore(), { ids: ['apr_0123456789abcdef_x'] });
 * await watcher.return();
 * ```
 */
export function watchStoreApprovals(
  store: StoreV1,
  options: WatchApprovalsOptions = {},
): ApprovalWatcher {
  return new Watcher(hubOf(store), options.ids, options.signal, options.onReady);
}

/**
 * How many watchers a store has (they share its one subscription). For tests and gauges.
 *
 * @example
 * ```ts
 * import { MemoryStore } from '@handshake/core';
 * import { approvalWatchers } from './watch.js';
 *
 * console.log(approvalWatchers(new MemoryStore())); // 0
 * ```
 */
export function approvalWatchers(store: StoreV1): number {
  return hubs.get(store)?.size ?? 0;
}
