import type { StoreV1 } from '../store/store-v1.js';
import { hubOf } from './approval-hub.js';
import { type ApprovalWatcher, type WatchApprovalsOptions, Watcher } from './watcher.js';

// A watch of approvals in two parts: `watcher.ts` (one watcher's queue, the public types)
// and `approval-hub.ts` (the one store subscription its store's watchers share).

export { approvalWatchers } from './approval-hub.js';
export type { ApprovalChange, ApprovalWatcher, WatchApprovalsOptions } from './watcher.js';

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
