// The framework-free part of @handshake/agents: model-facing refusals, in-chat
// decisions, paused calls. Each framework's adapter is a subpath of its own
// (`/ai-sdk`, `/openai-agents`, `/langchain`), so no framework is loaded unless used.
export {
  memoryPendingCalls,
  type PendingApproval,
  type PendingCalls,
  type StartedCall,
} from './calls/calls.js';
export {
  type ChatApprover,
  type ChatApproverOptions,
  type ChatDecision,
  createChatApprover,
} from './calls/chat-approver.js';
export { HandshakeToolRefusal, type ModelRefusal, toModelRefusal } from './calls/refusal.js';
