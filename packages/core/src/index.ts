// The public API of @handshake/core. Node-only helpers live in `@handshake/core/node`
// and the store conformance suite in `@handshake/core/testing`, so this entry runs on
// any runtime with Web Crypto and fetch.

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
export {
  CANONICALIZE_MAX_DEPTH,
  type CanonicalizeOptions,
  canonicalize,
} from './canonical/canonicalize.js';
export { hashParams, sha256Hex } from './canonical/hash.js';
export type {
  CardCharge,
  CardChargeRequest,
  CardIssueRequest,
  CardIssuerV1,
  IssuedCard,
} from './cards/card-issuer.js';
export {
  luhnCheckDigit,
  luhnValid,
  type SimulatedCardIssuer,
  type SimulatedCardIssuerOptions,
  simulatedCardIssuer,
} from './cards/simulated-card-issuer.js';
export type {
  CardAuthorizationDecision,
  CardCapture,
  CardCaptureOutcome,
} from './engine/card-activity.js';
export { createHandshake, HandshakeEngine } from './engine/engine.js';
export { APPROVE_OWN_SCOPE, APPROVE_SCOPE, type ApproverIdentity } from './engine/identity.js';
export { partitionOf } from './engine/keys.js';
export type { LimitsView } from './engine/limits.js';
export type { CallerContext, HandshakeOptions } from './engine/options.js';
export type { AbandonedSweep, SweepAbandonedOptions } from './engine/recovery.js';
export type { RegisteredTool } from './engine/registry.js';
export type {
  ApprovalChange,
  ApprovalWatcher,
  WatchApprovalsOptions,
} from './engine/watch.js';
export { ERROR_CODES, ERROR_STATUS, type ErrorCode, isErrorCode } from './errors/codes.js';
export {
  type ErrorEnvelope,
  errorEnvelope,
  HandshakeError,
  type HandshakeErrorOptions,
} from './errors/handshake-error.js';
export {
  type ConnectionInfo,
  createHandshakeHandler,
  type HandshakeHandlerOptions,
  type HandshakeRoute,
  type RouteContext,
} from './http/handler.js';
export { systemTimers, type TimerScheduler } from './http/live-timers.js';
export { errorResponse, jsonResponse } from './http/responses.js';
export { convertMinor } from './limits/convert.js';
export {
  type CachedExchangeRatesOptions,
  cachedExchangeRates,
  compareRates,
  isExchangeRate,
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
export { spendWindows, type WindowLimits } from './limits/windows.js';
export { CURRENCY_CODES, currencyExponent, isCurrency } from './money/currencies.js';
export {
  formatMoney,
  fromMinor,
  type ParseMoneyOptions,
  parseMoney,
  toMinor,
} from './money/money.js';
export { looksLikeCardNumber, redactSensitive } from './policy/redact.js';
export {
  ApprovalReasonSchema,
  ApprovalStatusSchema,
  type ApprovalSummary,
  ApprovalSummarySchema,
  type ApprovalView,
  ApprovalViewSchema,
  type AuthorizedResponse,
  AuthorizedResponseSchema,
  type AuthorizeRequest,
  AuthorizeRequestSchema,
  type AuthorizeResponse,
  AuthorizeResponseSchema,
  type DecisionChannel,
  type DecisionRequest,
  DecisionRequestSchema,
  ErrorEnvelopeSchema,
  type ExecuteRequest,
  ExecuteRequestSchema,
  type ExecuteResponse,
  ExecuteResponseSchema,
  MoneySchema,
  ParametersSchema,
  type PendingResponse,
  PendingResponseSchema,
  type Signature,
  SignatureSchema,
  TierSchema,
  type ToolListing,
  ToolListingSchema,
  ToolNameSchema,
} from './schemas/wire.js';
export {
  type JwtSessionVerifierOptions,
  jwtSessionVerifier,
} from './sessions/jwt-session-verifier.js';
export {
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
export {
  ed25519PublicKey,
  executeSigningPayload,
  generateSigningKey,
  type SignedExecute,
  signExecute,
  verifyExecuteSignature,
} from './signing/signature.js';
export {
  type Address,
  AddressSchema,
  AgentNameSchema,
  AmountInputSchema,
  type AuthorizationStatusResponse,
  AuthorizationStatusResponseSchema,
  type CardCreationResponse,
  CardCreationResponseSchema,
  type CheckoutResponse,
  CheckoutResponseSchema,
  type CreateVirtualCardRequest,
  CreateVirtualCardRequestSchema,
  CurrencyCodeSchema,
  type CustomerDetails,
  CustomerDetailsSchema,
  MerchantCategoriesSchema,
  MerchantNameSchema,
  type MockCheckoutRequest,
  MockCheckoutRequestSchema,
  type ProductContext,
  ProductContextSchema,
  type SpendApiInfo,
  SpendApiInfoSchema,
  type SpendEndpoint,
  SpendEndpointSchema,
  type SpendLimitsResponse,
  SpendLimitsResponseSchema,
  type ValidateTransactionRequest,
  ValidateTransactionRequestSchema,
  type ValidationResponse,
  ValidationResponseSchema,
} from './spend/schemas.js';
export { type SpendApiOptions, spendApiRoutes } from './spend/spend-api.js';
export {
  type CardPurchaseParameters,
  CardPurchaseParametersSchema,
  type CardTerms,
  CREATE_VIRTUAL_CARD,
  cardPurchaseParameters,
  maxCardMinor,
  type SpendTools,
  type SpendToolsOptions,
  spendTools,
  TEST_CUSTOMER,
} from './spend/spend-tools.js';
export type { AbandonedExecution, ResolveAbandonedOp } from './store/abandoned.js';
export { amountBinding, moneyBinding } from './store/amount-binding.js';
export {
  type CaptureSpendOp,
  type CaptureSpendOutcome,
  capturedShare,
} from './store/capture-spend.js';
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
export type {
  ApprovalEvent,
  AuthorizeOp,
  AuthorizeOutcome,
  CompleteOp,
  ConsumeMismatchField,
  ConsumeOp,
  ConsumeOutcome,
  DecideOp,
  DecideOutcome,
  IssueOp,
  IssueOutcome,
  RateLimitHit,
  SpendRequest,
  SpendUsage,
  SpendWindow,
  StoreV1,
} from './store/store-v1.js';
export {
  base64urlDecode,
  base64urlEncode,
  cryptoRandomSource,
  generateToken,
  type RandomSource,
  TOKEN_BYTE_LENGTHS,
  TOKEN_KINDS,
  TOKEN_PREFIXES,
  type TokenKind,
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
export {
  type Awaitable,
  type Clock,
  type Money,
  systemClock,
  TIERS,
  type Tier,
  tierRank,
} from './types/common.js';
