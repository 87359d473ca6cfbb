// The public API of @handshake/client. It imports nothing from `node:`, so it runs on
// Node ≥ 22, Deno, Bun, workers and browsers. The spend-API client is reached as
// `client.spend`; its class stays internal.

// HandshakeError and the wire types live in @handshake/protocol; re-exported so callers
// can catch and type without a second import.
export {
  type ApprovalView,
  type AuthorizeResponse,
  type ErrorCode,
  type ExecuteResponse,
  HandshakeError,
  type Tier,
  type ToolListing,
} from '@handshake/protocol';
export type {
  CardCreationResponse,
  CheckoutResponse,
  CustomerDetails,
  SpendApiInfo,
  SpendLimitsResponse,
} from '@handshake/protocol/cards';
export {
  type AuthorizeOptions,
  type CallOptions,
  type CallStatus,
  createHandshakeClient,
  type ExecuteInput,
  type HandshakeClient,
  type HandshakeClientOptions,
  type RequestOptions,
  type WaitForApprovalOptions,
} from './client.js';
export type { SessionSource, Signer } from './credentials.js';
export { HandshakeResponseError, type ResponseIssue } from './errors.js';
export type {
  AuthorizationStatus,
  CheckoutCard,
  CreateVirtualCardInput,
  MockCheckoutInput,
  SpendClient,
  ValidatedTransaction,
  ValidateTransactionInput,
  ValidateTransactionOptions,
  ValidationFallbackReason,
  ValidationStatus,
} from './spend/spend-client.js';
export { systemTimers, type Timers } from './timers.js';
export type { HandshakeRetryOptions } from './transport.js';
export type { FetchLike } from './url.js';
export { waitForApprovalDecision } from './waiter/approval-waiter.js';
export {
  createEventStreamDecoder,
  type EventStreamDecoder,
  type EventStreamDecoderOptions,
  type EventStreamHandlers,
  readEventStream,
} from './waiter/event-stream.js';
export {
  type ApprovalWaiterOptions,
  DEFAULT_APPROVAL_TIMEOUT_MS,
  type PollingReason,
  type ReconnectReason,
  type WaiterEvent,
  type WaitOptions,
} from './waiter/wait-options.js';
