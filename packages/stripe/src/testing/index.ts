// Testing helpers of @handshake/stripe: Stripe Issuing simulated with msw (a peer).

export type { FormValue } from './form.js';
export { type RunningStripeIssuingSimulator, startStripeIssuingSimulator } from './node.js';
export type { SimulatedCard } from './objects.js';
export {
  createStripeIssuingSimulator,
  SIMULATED_STRIPE_SECRET_KEY,
  SIMULATED_STRIPE_WEBHOOK_SECRET,
  type SimulatedStripeFailure,
  type StripeExchange,
  type StripeIssuingSimulator,
  type StripeIssuingSimulatorOptions,
} from './simulator.js';
export {
  type SigningOverrides,
  signPayload,
  type WebhookDeliveryRecord,
  type WebhookEndpoint,
} from './webhook-delivery.js';
