// The LangChain/LangGraph adapter of @handshake/agents. `@langchain/core` and
// `@langchain/langgraph` are optional peer dependencies: this entry alone imports them.
export {
  createHandshakeTools,
  type HandshakeInterrupt,
  type HandshakeLangChainTools,
  type HandshakeToolsOptions,
} from './tools.js';
