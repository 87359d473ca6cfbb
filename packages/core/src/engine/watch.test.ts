import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import type { ApprovalEvent, StoreV1 } from '../store/store-v1.js';
import { approvalWatchers, watchStoreApprovals } from './watch.js';

/** A store whose notifications the test sends, counting its subscribers. */
function manualStore() {
  const listeners = new Set<(event: ApprovalEvent) => void>();
  const store = Object.assign(new MemoryStore(), {
    subscribeApprovals(listener: (event: ApprovalEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  }) as StoreV1;
  const emit = (approvalId: string, status: ApprovalEvent['status'], version: number) => {
    for (const listener of [...listeners]) listener({ approvalId, status, version });
  };
  return { store, listeners, emit };
}

describe('watchStoreApprovals', () => {
  it('fans one subscription out by id, and coalesces what waits to one change per approval', async () => {
    const { store, listeners, emit } = manualStore();
    const a = watchStoreApprovals(store, { ids: ['apr_a'] });
    const b = watchStoreApprovals(store, { ids: ['apr_b'] });
    const all = watchStoreApprovals(store);
    expect(listeners.size).toBe(1);
    expect(approvalWatchers(store)).toBe(3);

    emit('apr_a', 'pending', 1);
    emit('apr_a', 'approved', 2);
    emit('apr_b', 'denied', 2);
    a.check('poll');
    a.check('poll');
    expect(await a.next()).toEqual({
      done: false,
      value: { type: 'changed', approvalId: 'apr_a', status: 'approved', version: 2 },
    });
    expect(await a.next()).toEqual({ done: false, value: { type: 'check', reason: 'poll' } });
    const waiting = a.next();
    emit('apr_b', 'denied', 3);
    emit('apr_a', 'expired', 3);
    expect(await waiting).toMatchObject({ value: { approvalId: 'apr_a', status: 'expired' } });
    expect(await b.next()).toMatchObject({ value: { approvalId: 'apr_b', version: 3 } });
    expect((await all.next()).value).toMatchObject({ approvalId: 'apr_a', version: 3 });
    expect((await all.next()).value).toMatchObject({ approvalId: 'apr_b', version: 3 });

    await a.return();
    await b.return();
    expect(listeners.size).toBe(1);
    await all.return();
    expect(listeners.size).toBe(0);
    expect(approvalWatchers(store)).toBe(0);
    expect(await a.next()).toEqual({ done: true, value: undefined });
  });

  it('ends with the signal, ending a pending next(); `for await` releases on break', async () => {
    const { store, listeners, emit } = manualStore();
    const controller = new AbortController();
    const watcher = watchStoreApprovals(store, { ids: ['apr_a'], signal: controller.signal });
    const pending = watcher.next();
    controller.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(listeners.size).toBe(0);

    const seen: number[] = [];
    setTimeout(() => {
      emit('apr_a', 'pending', 1);
      emit('apr_a', 'approved', 2);
    }, 0);
    for await (const change of watchStoreApprovals(store, { ids: ['apr_a'] })) {
      if (change.type === 'changed') seen.push(change.version);
      if (seen.length > 0) break;
    }
    expect(seen).toEqual([1]);
    expect(listeners.size).toBe(0);
  });

  it("hears a gap in the store's notifications as a `gap` check on every watcher", async () => {
    const gaps: Array<() => void> = [];
    const store = Object.assign(new MemoryStore(), {
      subscribeApprovals(_listener: (event: ApprovalEvent) => void, onGap?: () => void) {
        if (onGap) gaps.push(onGap);
        return () => {};
      },
    }) as StoreV1;
    const a = watchStoreApprovals(store, { ids: ['apr_a', 'apr_b'] });
    const b = watchStoreApprovals(store, { ids: ['apr_b'] });
    const all = watchStoreApprovals(store);
    expect(gaps).toHaveLength(1);
    gaps[0]!();
    for (const watcher of [a, b, all]) {
      expect(watcher.take()).toEqual({ type: 'check', reason: 'gap' });
      // Once per watcher, even one watching two approvals.
      expect(watcher.take()).toBeUndefined();
      await watcher.return();
    }
  });

  it('ends with the error when the store cannot subscribe; the next watcher tries again', async () => {
    let refuse = true;
    const inner = manualStore();
    const store = Object.assign(new MemoryStore(), {
      subscribeApprovals(listener: (event: ApprovalEvent) => void) {
        if (refuse) throw new Error('the store is away');
        return inner.store.subscribeApprovals!(listener);
      },
    }) as StoreV1;
    const first = watchStoreApprovals(store, { ids: ['apr_a'] });
    await expect(first.next()).rejects.toThrow('the store is away');
    expect(await first.next()).toEqual({ done: true, value: undefined });
    expect(approvalWatchers(store)).toBe(0);
    refuse = false;
    const second = watchStoreApprovals(store, { ids: ['apr_a'] });
    inner.emit('apr_a', 'approved', 2);
    expect((await second.next()).value).toMatchObject({ status: 'approved' });
    await second.return();
    expect(inner.listeners.size).toBe(0);
  });
});
