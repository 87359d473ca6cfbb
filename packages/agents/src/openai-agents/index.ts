// The OpenAI Agents SDK adapter of @handshake/agents. `@openai/agents` is an optional
// peer dependency: this entry is the only one that imports it.
export {
  createHandshakeTools,
  type HandshakeAgentTools,
  type HandshakeToolsOptions,
} from './tools.js';
