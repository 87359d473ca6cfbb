// A Handshake service in one process, for examples and tests of agent code: the real
// engine and HTTP handler on a loopback port, an agent's client, a person's in-chat
// approver and, optionally, a simulated person deciding from the approvals API.
export { leaksIn, reportLeaks } from './leaks.js';
export { refundScenario, type ScenarioRequest } from './refund-scenario.js';
export {
  type PersonDecision,
  type SimulatedService,
  type SimulatedServiceOptions,
  startSimulatedService,
} from './simulated-service.js';
