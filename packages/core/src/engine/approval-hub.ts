import type { ApprovalEvent, StoreV1 } from '../store/store-v1.js';

/** What the hub asks of one watcher (see `Watcher` in `watcher.ts`). */
export interface HubWatcher {
  /** The approvals it hears of; every approval when undefined. */
  readonly ids: readonly string[] | undefined;
  deliver(event: ApprovalEvent): void;
  check(reason: string): void;
  fail(error: unknown): void;
}

/**
 * The watchers of one store: ONE store subscription, taken when the first watcher
 * arrives and given back when the last leaves, fanned out by approval id.
 */
export class ApprovalHub {
  readonly #store: StoreV1;
  readonly #byId = new Map<string, HubWatcher | Set<HubWatcher>>();
  readonly #all = new Set<HubWatcher>();
  #count = 0;
  #unsubscribe: (() => void) | undefined;

  constructor(store: StoreV1) {
    this.#store = store;
  }

  /** Watchers currently registered (for tests and gauges). */
  get size(): number {
    return this.#count;
  }

  add(watcher: HubWatcher): void {
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

  remove(watcher: HubWatcher): void {
    this.#count -= 1;
    if (watcher.ids === undefined) this.#all.delete(watcher);
    else {
      for (const id of watcher.ids) {
        const current = this.#byId.get(id);
        if (current === watcher) this.#byId.delete(id);
        else if (current instanceof Set) {
          current.delete(watcher);
          if (current.size === 1) this.#byId.set(id, current.values().next().value as HubWatcher);
        }
      }
    }
    if (this.#count === 0) this.#unsubscribeNow();
  }

  #subscribe(watcher: HubWatcher): void {
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

/** The hub of this store's watchers, made with its first watcher. */
export function hubOf(store: StoreV1): ApprovalHub {
  let hub = hubs.get(store);
  if (hub === undefined) {
    hub = new ApprovalHub(store);
    hubs.set(store, hub);
  }
  return hub;
}

/**
 * How many watchers a store has (they share its one subscription). For tests and gauges.
 *
 * @example
 * ```ts
 * import { MemoryStore } from '@handshake/core';
 * import { approvalWatchers } from './approval-hub.js';
 *
 * console.log(approvalWatchers(new MemoryStore())); // 0
 * ```
 */
export function approvalWatchers(store: StoreV1): number {
  return hubs.get(store)?.size ?? 0;
}
