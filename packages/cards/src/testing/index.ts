// Test helpers: a card issuer that needs no network, with the card-number arithmetic
// it uses.

export {
  luhnCheckDigit,
  luhnValid,
  type SimulatedCardIssuer,
  type SimulatedCardIssuerOptions,
  simulatedCardIssuer,
} from './simulated-card-issuer.js';
