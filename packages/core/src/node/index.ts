// Node-only helpers; the main entry stays free of `node:` imports.

export { interruptedInAuditFile } from './audit-recovery.js';
export { type JsonLinesAuditSinkOptions, jsonLinesAuditSink } from './json-lines-audit-sink.js';
export {
  answerClientError,
  type FetchHandler,
  type RunningServer,
  serve,
  toNodeListener,
} from './serve.js';
