// Test helpers for adapter authors. Node-only (uses node:assert).

export {
  CRASH_POINTS,
  type CrashAtOptions,
  type CrashPoint,
  type CrashSwitch,
  crashAt,
} from './crash-points.js';
export {
  TEST_CREDENTIALS,
  TEST_START,
  testClock,
  testEngine,
  testTools,
} from './engine-fixtures.js';
export {
  type ConformanceRunner,
  type StoreConformanceOptions,
  storeConformance,
} from './store-conformance.js';
