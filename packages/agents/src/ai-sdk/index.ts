// The AI SDK adapter of @handshake/agents. `ai` is an optional peer dependency: this
// entry is the only one that imports it.
export { type ConfirmationAgentOptions, confirmationAgent } from './confirmation-agent.js';
export {
  createHandshakeTools,
  type HandshakeTools,
  type HandshakeToolsOptions,
  type PendingOutput,
} from './tools.js';
