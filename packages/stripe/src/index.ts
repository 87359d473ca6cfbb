// The public API of @handshake/stripe. The simulated Stripe Issuing API lives in
// `@handshake/stripe/testing`, so this entry never loads msw.

export { type HandshakeCardTerms, readCardTerms } from './issuer/card-metadata.js';
export { type CardholderDirectoryV1, memoryCardholderDirectory } from './issuer/cardholders.js';
export {
  idempotencyKey,
  type StripeCardIssuer,
  type StripeCardIssuerOptions,
  stripeCardIssuer,
} from './issuer/stripe-card-issuer.js';
export {
  type DeclineReason,
  type MerchantMatcher,
  sameMerchant,
} from './webhook/authorization-decision.js';
export {
  type StripeIssuingWebhook,
  type StripeIssuingWebhookOptions,
  stripeIssuingWebhook,
} from './webhook/issuing-webhook.js';
