import { afterEach, describe, it } from 'vitest';
import { storeConformance } from '../testing/store-conformance.js';
import { MemoryStore } from './memory-store.js';

storeConformance('MemoryStore', () => new MemoryStore(), { describe, it, afterEach });
storeConformance(
  'MemoryStore (sweeping every operation)',
  () => new MemoryStore({ sweepEvery: 1 }),
  {
    describe,
    it,
    afterEach,
  },
);
