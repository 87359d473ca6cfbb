import type { Server } from '@modelcontextprotocol/sdk/server/index.js';

/**
 * Asks the person through the MCP host while a call waits for their approval, as MCP's
 * URL-mode elicitation (spec 2025-11-25: "servers MUST use URL mode for interactions
 * involving … authorizing transactions"): the host opens the approval console's page
 * for that one approval, and hears `notifications/elicitation/complete` once the
 * person decided. A host that does not declare `elicitation.url` is not asked.
 */
export class ApprovalElicitation {
  readonly #server: Server;
  readonly #url: (approvalId: string) => string;
  readonly #tool: string;
  #asked: string | undefined;
  #completed = false;

  constructor(server: Server, url: (approvalId: string) => string, tool: string) {
    this.#server = server;
    this.#url = url;
    this.#tool = tool;
  }

  /**
   * Hears a status of the call; answers what to send, in order with the call's other
   * notifications, or nothing.
   */
  hear(status: unknown): (() => Promise<unknown>) | undefined {
    if (typeof status !== 'object' || status === null) return undefined;
    const { status: name, approvalId } = status as { status?: unknown; approvalId?: unknown };
    if (typeof approvalId !== 'string') return undefined;
    if (name === 'pending' && this.#asked === undefined && this.#hostAsksByUrl()) {
      this.#asked = approvalId;
      const request = {
        mode: 'url' as const,
        elicitationId: approvalId,
        url: this.#url(approvalId),
        message: `${this.#tool} waits for your approval. Open the approval console to approve or deny this exact call.`,
      };
      // Not awaited: the host answers once the person opened the page (or declined to);
      // the decision itself arrives from the service.
      return async () => {
        void this.#server.elicitInput(request).catch(() => {});
      };
    }
    // A withdrawn approval (the host cancelled) is final too: the page has nothing to decide.
    const decided =
      name === 'approved' || name === 'denied' || name === 'expired' || name === 'withdrawn';
    if (decided && this.#asked === approvalId && !this.#completed) {
      this.#completed = true;
      return this.#server.createElicitationCompletionNotifier(approvalId);
    }
    return undefined;
  }

  #hostAsksByUrl(): boolean {
    const elicitation = this.#server.getClientCapabilities()?.elicitation as
      | { url?: unknown }
      | undefined;
    return elicitation?.url !== undefined;
  }
}
