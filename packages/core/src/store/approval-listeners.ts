import type { ApprovalEvent } from './store-v1.js';

/**
 * Options of {@link ApprovalListeners}.
 *
 * @example
 * ```ts
 * import type { ApprovalListenersOptions } from '@handshake/core';
 *
 * const options: ApprovalListenersOptions = { remember: 10_000, onError: console.error };
 * ```
 */
export interface ApprovalListenersOptions {
  /**
   * How many approvals' newest delivered version to remember, so that one change heard
   * twice (from this instance and from pub/sub, or from two polls) is delivered once.
   * `0` delivers every event as it comes.
   */
  remember?: number;
  /** Hears a listener's error; the operation that notified it goes on. */
  onError?: (error: unknown) => void;
}

/**
 * The listeners of a store's `subscribeApprovals`: each event reaches every listener in
 * a microtask of its own (a throwing or slow listener cannot break the store operation
 * that notified it), at most once per approval version when `remember` is set. A store
 * keeps one and calls `deliver` for each change it makes or hears of.
 *
 * @example
 * ```ts
 * import { ApprovalListeners, type ApprovalEvent } from '@handshake/core';
 *
 * const listeners = new ApprovalListeners({ remember: 10_000 });
 * const unsubscribe = listeners.add((event: ApprovalEvent) => console.log(event.status));
 * listeners.deliver({ approvalId: 'apr_1', status: 'approved', version: 2 });
 * listeners.deliver({ approvalId: 'apr_1', status: 'approved', version: 2 }); // not again
 * unsubscribe();
 * ```
 */
export class ApprovalListeners {
  readonly #listeners = new Set<(event: ApprovalEvent) => void>();
  /** Newest version delivered per approval, oldest first. */
  readonly #delivered = new Map<string, number>();
  readonly #remember: number;
  readonly #onError: (error: unknown) => void;

  constructor(options: ApprovalListenersOptions = {}) {
    this.#remember = options.remember ?? 0;
    this.#onError = options.onError ?? (() => {});
  }

  /** How many listeners are subscribed. */
  get size(): number {
    return this.#listeners.size;
  }

  /** Subscribes `listener`; returns its unsubscribe. */
  add(listener: (event: ApprovalEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Delivers one change to every listener, unless this version was delivered already. */
  deliver(event: ApprovalEvent): void {
    if (this.#remember > 0) {
      const last = this.#delivered.get(event.approvalId);
      if (last !== undefined && event.version <= last) return;
      this.#delivered.delete(event.approvalId);
      this.#delivered.set(event.approvalId, event.version);
      if (this.#delivered.size > this.#remember) {
        const oldest = this.#delivered.keys().next();
        if (!oldest.done) this.#delivered.delete(oldest.value);
      }
    }
    for (const listener of [...this.#listeners]) {
      queueMicrotask(() => {
        try {
          listener(event);
        } catch (error) {
          this.#onError(error);
        }
      });
    }
  }

  /** Unsubscribes every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
