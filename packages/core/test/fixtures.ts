// Core's tests use the engine fixtures that `@handshake/core/testing` exports, under the
// short names they were written with.
export { ed25519PublicKey } from '@handshake/protocol';
export { agentApprover } from '../src/index.js';
export {
  TEST_CREDENTIALS as CREDENTIALS,
  TEST_START as T0,
  testClock,
  testEngine,
  testTools,
} from '../src/testing/engine-fixtures.js';
