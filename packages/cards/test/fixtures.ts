// The card product's tests run on core's engine fixtures, under the short names core's
// own tests use.
export {
  TEST_CREDENTIALS as CREDENTIALS,
  TEST_START as T0,
  testClock,
  testEngine,
  testTools,
} from '@handshake/core/testing';
