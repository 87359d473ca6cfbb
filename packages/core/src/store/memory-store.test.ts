import { afterEach, describe, expect, it } from 'vitest';
import { storeConformance } from '../testing/store-conformance.js';
import { MemoryStore } from './memory-store.js';
import type { ApprovalRecord } from './records.js';

storeConformance('MemoryStore', () => new MemoryStore(), { describe, it, afterEach });
storeConformance(
  'MemoryStore (sweeping everything at every operation)',
  () => new MemoryStore({ sweepStep: Number.POSITIVE_INFINITY }),
  {
    describe,
    it,
    afterEach,
  },
);

describe('MemoryStore sweeping', () => {
  const T0 = Date.UTC(2026, 0, 1);
  const fill = (store: MemoryStore, count: number, expiresAt: number) => {
    for (let i = 0; i < count; i += 1) {
      const digest = i.toString(16).padStart(64, '0');
      store.authorize({
        partition: 'p0',
        userId: 'u',
        now: T0,
        requiresApproval: false,
        token: {
          digest,
          record: {
            transactionId: `tx_${i}`,
            userId: 'u',
            sessionId: 's',
            tool: 't',
            tier: 'INTERNAL',
            paramsHash: digest,
            expiresAt,
            createdAt: T0,
          },
        },
        approval: {} as ApprovalRecord,
        retainMs: 0,
      });
    }
  };
  const unknownConsume = (store: MemoryStore, now: number) =>
    store.consume({
      partition: 'p0',
      digest: 'f'.repeat(64),
      now,
      expect: { userId: 'u', tool: 't', paramsHash: 'h' },
      sessionId: 's',
      retainMs: 0,
    });

  it('drops expired tokens a few at a time, never the whole store in one operation', () => {
    const store = new MemoryStore({ sweepStep: 8 });
    fill(store, 1_000, T0 + 1_000);
    expect(store.size).toBe(1_000);
    let operations = 0;
    let largestDrop = 0;
    while (store.size > 0 && operations < 1_000) {
      const before = store.size;
      unknownConsume(store, T0 + 2_000);
      largestDrop = Math.max(largestDrop, before - store.size);
      operations += 1;
    }
    expect(store.size).toBe(0);
    expect(largestDrop).toBeLessThanOrEqual(8);
    expect(operations).toBeGreaterThanOrEqual(125);
  });

  it('keeps live tokens and drops only those past their time', () => {
    const store = new MemoryStore({ sweepStep: Number.POSITIVE_INFINITY });
    fill(store, 10, T0 + 1_000);
    unknownConsume(store, T0 + 500);
    expect(store.size).toBe(10);
    unknownConsume(store, T0 + 1_000);
    expect(store.size).toBe(0);
  });

  it('refuses a step below one', () => {
    expect(() => new MemoryStore({ sweepStep: 0 })).toThrow(TypeError);
  });
});
