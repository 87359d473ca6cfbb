// The public API of @handshake/dynamodb. The item codecs and the ledger stay internal:
// the item layout is documented in the README for operators.

export { DynamoDBStore, type DynamoDBStoreOptions } from './dynamodb-store.js';
export { createDynamoDBTable } from './provision.js';
export { dynamoDBTableDefinition } from './table.js';
