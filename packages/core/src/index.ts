// The public API of @handshake/core. Node-only helpers live in `@handshake/core/node`
// and the store conformance suite in `@handshake/core/testing`, so this entry runs on
// any runtime with Web Crypto and fetch.

// The wire protocol is @handshake/protocol's. Of its names, core re-exports only those
// its own exported signatures name (a tool's tier, an amount, the engine's requests and
// answers) and the error every caller catches, so that typing a tool, a store or a call
// to the engine needs this one import. Schemas, canonical JSON, signatures and money
// helpers are imported from @handshake/protocol (docs/architecture.md).
export type {
  ApprovalSummary,
  ApprovalView,
  AuthorizeRequest,
  AuthorizeResponse,
  DecisionRequest,
  ErrorCode,
  ExecuteRequest,
  ExecuteResponse,
  Money,
  Tier,
  TokenKind,
  ToolListing,
} from '@handshake/protocol';
export { HandshakeError } from '@handshake/protocol';
export {
  type AgentApproverOptions,
  type ApprovalRequest,
  type ApprovalRule,
  type ApprovalVerdict,
  type ApproverV1,
  agentApprover,
  humanApprover,
  rulesApprover,
} from './approvals/approver.js';
export { type AuditAttributes, auditAttributes } from './audit/audit-attributes.js';
export {
  type AuditChainVerdict,
  auditEventHash,
  GENESIS_HASH,
  verifyAuditChain,
} from './audit/audit-chain.js';
export type { AuditEvent, AuditEventType, AuditSinkV1 } from './audit/audit-event.js';
export {
  type HttpAuditSinkOptions,
  httpAuditSink,
  type MemoryAuditSink,
  memoryAuditSink,
} from './audit/sinks.js';
export { unresolvedExecutions } from './audit/unresolved.js';
export { createHandshake, HandshakeEngine } from './engine/engine.js';
export { APPROVE_OWN_SCOPE, APPROVE_SCOPE, type ApproverIdentity } from './engine/identity.js';
export { partitionOf } from './engine/keys.js';
export type { LimitsView } from './engine/limits.js';
export type {
  DecisionDelivery,
  EngineStep,
  HandshakeObserverV1,
  LiveStreamKind,
  ReservationChange,
} from './engine/observer.js';
export type { CallerContext, HandshakeOptions } from './engine/options.js';
export type { AbandonedSweep, SweepAbandonedOptions } from './engine/recovery.js';
export type { RegisteredTool } from './engine/registry.js';
export type {
  ChargeDecision,
  ReservationCapture,
  ReservationCaptureOutcome,
} from './engine/reservation-capture.js';
export type {
  ApprovalChange,
  ApprovalWatcher,
  WatchApprovalsOptions,
} from './engine/watch.js';
export {
  type ConnectionInfo,
  createHandshakeHandler,
  type HandshakeHandlerOptions,
  type HandshakeRoute,
  type RouteContext,
} from './http/handler.js';
export { type LiveStream, type LiveStreamOptions, liveEventStream } from './http/live-stream.js';
export {
  type Deadlines,
  type LiveTimers,
  liveTimers,
  systemTimers,
  type Ticker,
  type TimerEntry,
  type TimerScheduler,
} from './http/live-timers.js';
export { errorResponse, jsonResponse } from './http/responses.js';
export { convertMinor } from './limits/convert.js';
export {
  type CachedExchangeRatesOptions,
  cachedExchangeRates,
  compareRates,
  isExchangeRate,
  rateForCallerAmount,
  SIMULATED_RATES,
  type SimulatedExchangeRatesOptions,
  simulatedExchangeRates,
} from './limits/exchange-rates.js';
export type {
  ExchangeRate,
  ExchangeRateProviderV1,
  LimitsSource,
  LimitWindow,
  SpendingLimits,
} from './limits/spending-limits.js';
export { reservationWindows, type WindowLimits } from './limits/windows.js';
export {
  type JwtSessionVerifierOptions,
  jwtSessionVerifier,
} from './sessions/jwt-session-verifier.js';
export {
  anySessionVerifier,
  isReservedUserId,
  RESERVED_USER_IDS,
  type SessionIdentity,
  type SessionVerifierV1,
} from './sessions/session-verifier.js';
export {
  parseSessionList,
  type StaticSessionEntry,
  staticSessionVerifier,
} from './sessions/static-session-verifier.js';
export {
  type KeyResolverV1,
  parseKeyList,
  type RegisteredKey,
  staticKeyResolver,
} from './signing/key-resolver.js';
export type { AbandonedExecution, ResolveAbandonedOp } from './store/abandoned.js';
export { amountBinding, moneyBinding } from './store/amount-binding.js';
export { ApprovalListeners, type ApprovalListenersOptions } from './store/approval-listeners.js';
export {
  authorizedTokenRecord,
  exceededLimits,
  pendingApprovalRecord,
} from './store/authorize-records.js';
export {
  type CaptureReservationOp,
  type CaptureReservationOutcome,
  capturedShare,
} from './store/capture-reservation.js';
export { answerInterrupted } from './store/interrupted.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export type {
  ApprovalReason,
  ApprovalRecord,
  ApprovalStatus,
  ExecutionOutcome,
  Tombstone,
  TransactionRecord,
} from './store/records.js';
export type { OutcomeKey } from './store/sealed-outcomes.js';
export { spentApprovalTombstone } from './store/spent-approval.js';
// The store contract, `StoreV1`, and the types of its operations and outcomes.
export type * from './store/store-v1.js';
export {
  cryptoRandomSource,
  generateToken,
  type RandomSource,
  TOKEN_BYTE_LENGTHS,
  timingSafeEqualString,
  tokenDigest,
  tokenKind,
} from './tokens/token.js';
export type {
  ParameterRule,
  StandardResult,
  StandardSchema,
  ToolAnnotations,
  ToolContext,
  ToolDefinition,
  ToolProviderV1,
} from './tools/tool-provider.js';
export { type Awaitable, type Clock, systemClock } from './types/common.js';
export { UnsupportedSpecificationVersionError } from './types/specification-version.js';
