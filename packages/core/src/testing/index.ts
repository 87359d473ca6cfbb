// Test helpers for adapter authors. Node-only (uses node:assert).
export {
  type ConformanceRunner,
  type StoreConformanceOptions,
  storeConformance,
} from './store-conformance.js';
