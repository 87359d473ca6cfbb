// The public API of @handshake/protocol: what a client in any runtime needs to speak to
// a Handshake service, and nothing else. It imports nothing from `node:` and holds no
// engine. The spend (card) API's schemas are under `@handshake/protocol/cards`.

export {
  CANONICALIZE_MAX_DEPTH,
  type CanonicalizeOptions,
  canonicalize,
} from './canonical/canonicalize.js';
export { hashParams, sha256Hex } from './canonical/hash.js';
export { base64urlDecode, base64urlEncode } from './encoding/base64url.js';
export { ERROR_CODES, ERROR_STATUS, type ErrorCode, isErrorCode } from './errors/codes.js';
export {
  type ErrorEnvelope,
  errorEnvelope,
  HandshakeError,
  type HandshakeErrorOptions,
} from './errors/handshake-error.js';
export { LIMIT_WINDOWS } from './limits/limit-windows.js';
export { CURRENCY_CODES, currencyExponent, isCurrency } from './money/currencies.js';
export {
  formatMoney,
  fromMinor,
  type Money,
  type ParseMoneyOptions,
  parseMoney,
  toMinor,
} from './money/money.js';
export { hasSensitive, looksLikeCardNumber, redactSensitive } from './redaction/redact.js';
export { type ApproverOverview, ApproverOverviewSchema } from './schemas/overview.js';
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
  LimitWindowSchema,
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
  ed25519PublicKey,
  executeSigningPayload,
  generateSigningKey,
  type SignedExecute,
  signExecute,
  verifyExecuteSignature,
} from './signing/signature.js';
export { TIERS, type Tier, tierRank } from './tiers/tiers.js';
export { TOKEN_KINDS, TOKEN_PREFIXES, type TokenKind } from './tokens/prefixes.js';
