// Test and demo helpers: a simulated PayPal REST API (msw handlers) that the real
// `@paypal/agent-toolkit` code runs against. `startPayPalSimulator` is Node-only
// (msw/node); the handlers themselves also work with msw's browser worker.

export {
  createSimulatedPayPal,
  type RunningPayPalSimulator,
  type SimulatedPayPal,
  startPayPalSimulator,
} from './node.js';
export {
  createPayPalSimulator,
  PAYPAL_SANDBOX_BASE_URLS,
  type PayPalSimulator,
  type PayPalSimulatorOptions,
  SIMULATED_ACCESS_TOKEN,
  SIMULATED_CLIENT_ID,
  SIMULATED_CLIENT_SECRET,
} from './simulator/simulator.js';
export {
  type JsonObject,
  type PayPalMoney,
  type PayPalSimulatorState,
  type RecordedRequest,
  SEEDED_IDS,
  type SeededIds,
  SIMULATED_MERCHANT,
  type SimulatedCapture,
  type SimulatedDispute,
  type SimulatedInvoice,
  type SimulatedOrder,
  type SimulatedPayer,
  type SimulatedPurchaseUnit,
  type SimulatedRefund,
  type SimulatedTracker,
} from './simulator/state.js';
