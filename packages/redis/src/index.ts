// The public API of @handshake/redis. Key naming (`RedisKeys`) is exported for
// operators who inspect or migrate keys; the Lua sources stay internal.

export { REDIS_MAX_AMOUNT_MINOR } from './codec.js';
export { RedisKeys } from './keys.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
