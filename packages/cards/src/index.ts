// The public API of @handshake/cards: the card-purchase product over the Handshake
// engine. The simulated issuer lives in `@handshake/cards/testing`, the issuer's
// OpenTelemetry instrumentation in `@handshake/cards/opentelemetry`. The spend API's
// wire schemas are part of the protocol, exported by `@handshake/core`.

export type {
  CardCharge,
  CardChargeRequest,
  CardIssueRequest,
  CardIssuerV1,
  IssuedCard,
} from './card-issuer.js';
export { type SpendApiOptions, spendApiRoutes } from './spend-api.js';
export {
  type CardTerms,
  maxCardMinor,
  type SpendTools,
  type SpendToolsOptions,
  spendTools,
  TEST_CUSTOMER,
} from './spend-tools.js';
