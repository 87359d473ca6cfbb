import { HandshakeError, type Tier, tierRank } from '@handshake/protocol';
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AnySchema } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { PayPalMCPToolkit } from '@paypal/agent-toolkit/mcp';
import { type PayPalEnvironment, paypalToolCatalog } from '../toolkit/catalog.js';
import { safeMessage } from '../toolkit/safe-message.js';
import {
  PAYPAL_ALL_ACTIONS,
  type PayPalActions,
  type PayPalToolName,
} from '../tools/tool-names.js';
import { ApprovalElicitation } from './elicitation.js';

/**
 * Options of one handshake call, as `@handshake/client`'s `call` takes them.
 *
 * @example
 * ```ts
 * import type { HandshakeCallOptions } from '@handshake/paypal';
 *
 * const options: HandshakeCallOptions = {
 *   signal: AbortSignal.timeout(600_000),
 *   onStatus: (status) => console.error(status),
 * };
 * ```
 */
export interface HandshakeCallOptions {
  /** Aborts the wait and the call (the MCP request's cancellation). */
  signal?: AbortSignal;
  /** Hears progress: pending, approved, executing… */
  onStatus?: (status: unknown) => void;
}

/**
 * The one method of a `@handshake/client` client these tools use: authorize the exact
 * call, wait for an approval when one is needed, sign, execute, and return the result or
 * throw a `HandshakeError`.
 *
 * @example
 * ```ts
 * import type { HandshakeClient } from '@handshake/client';
 * import type { HandshakeCall } from '@handshake/paypal';
 * declare const client: HandshakeClient;
 *
 * const call: HandshakeCall = (tool, parameters, options) => client.call(tool, parameters, options);
 * ```
 */
export type HandshakeCall = (
  tool: string,
  parameters: Record<string, unknown>,
  options?: HandshakeCallOptions,
) => Promise<unknown>;

/**
 * Anything with a {@link HandshakeCall} `call` method, such as a `@handshake/client` client.
 *
 * @example
 * ```ts
 * import { createHandshakeClient } from '@handshake/client';
 * import type { HandshakeCaller } from '@handshake/paypal';
 *
 * const caller: HandshakeCaller = createHandshakeClient({ baseUrl: 'http://127.0.0.1:8787' });
 * ```
 */
export interface HandshakeCaller {
  call: HandshakeCall;
}

/**
 * Options of {@link registerSecuredPayPalTools}: the client (or its bound `call`), and
 * which tools to register.
 *
 * @example
 * ```ts
 * import type { HandshakeClient } from '@handshake/client';
 * import type { SecuredPayPalToolsOptions } from '@handshake/paypal';
 * declare const client: HandshakeClient;
 *
 * const options: SecuredPayPalToolsOptions = {
 *   client,
 *   tools: ['get_order', 'pay_order', 'create_refund'],
 *   tiers: { get_order: 'CONFIDENTIAL' },
 * };
 * ```
 */
export interface SecuredPayPalToolsOptions {
  /** A Handshake client; its `call` runs each tool. */
  client?: HandshakeCaller;
  /** Or the call function itself, bound to its client. */
  call?: HandshakeCall;
  /** Register only these tools (default: every tool the enabled actions give). */
  tools?: readonly PayPalToolName[];
  /** Toolkit actions to enable (default: all). */
  actions?: PayPalActions;
  /**
   * Tiers to show the agent where your service's policy raised some (default: the
   * package's {@link paypalToolTiers}). The service enforces its own tiers either way.
   */
  tiers?: Partial<Record<PayPalToolName, Tier>>;
  /** The service's PayPal environment; sandbox hides tools the toolkit refuses there. */
  environment?: PayPalEnvironment;
  /**
   * The approval console's page for one approval, e.g.
   * `(id) => \`https://handshake.example.com/console#approval=\${id}\``. With it, a host
   * that declares URL-mode elicitation is asked to open that page while a call waits,
   * and told when the person decided.
   */
  approvalUrl?: (approvalId: string) => string;
}

const TIER_NOTE: Record<Tier, string> = {
  PUBLIC: '',
  INTERNAL: '[INTERNAL: signed call] ',
  CONFIDENTIAL: '[CONFIDENTIAL: parameters checked before it runs] ',
  RESTRICTED: '[RESTRICTED: needs approval; the call waits until a person decides] ',
};

function errorResult(code: string, message: string): CallToolResult {
  // Handshake secrets and PayPal credentials never reach the agent, even in a message.
  const safe = safeMessage(message);
  return {
    content: [{ type: 'text', text: `${code}: ${safe}` }],
    structuredContent: { success: false, error: { code, message: safe } },
    isError: true,
  };
}

function successResult(result: unknown): CallToolResult {
  const text = typeof result === 'string' ? result : JSON.stringify(result ?? null, null, 2);
  return { content: [{ type: 'text', text }] };
}

// The steps worth a progress notification: the wait for a person, and the run. Terminal
// steps (completed, denied, expired) are left out: the result says as much, and the SDK's
// client handles a notification in a microtask but a response at once, so a notification
// written just before its response can arrive "for an unknown token".
const PROGRESS_TEXT: Record<string, string> = {
  pending: 'waiting for a person to approve',
  streaming: 'waiting for a person to approve',
  reconnecting: 'waiting for a person to approve (reconnecting)',
  polling: 'waiting for a person to approve (polling)',
  approved: 'approved',
  executing: 'running at PayPal',
};

/** A progress message for a client status, if it is worth one; statuses carry no token. */
function progressText(status: unknown): string | undefined {
  const name =
    typeof status === 'object' && status !== null
      ? (status as { status?: unknown }).status
      : status;
  return typeof name === 'string' ? PROGRESS_TEXT[name] : undefined;
}

/**
 * Registers every enabled tool of PayPal's agent toolkit on an MCP server, each behind
 * the handshake: the agent sees the toolkit's name, description (prefixed with the tier,
 * e.g. "[RESTRICTED: needs approval …]"), input schema and MCP annotations; the handler
 * runs `call(tool, params)` of a Handshake client, so a RESTRICTED call waits inside the
 * tool call until a person decides (progress notifications report the wait when the
 * request carries a progress token). Failures come back as tool results with `isError`
 * and `CODE: message`, never with a token.
 *
 * The client side holds no PayPal credentials: the toolkit is only read for its tool
 * definitions. `update_product` (not implemented by the toolkit) is never registered.
 *
 * @returns The registered tools by name, to disable or update them later.
 *
 * @example
 * ```ts
 * import { createHandshakeClient } from '@handshake/client';
 * import { registerSecuredPayPalTools } from '@handshake/paypal';
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
 *
 * declare const client: ReturnType<typeof createHandshakeClient>;
 * const server = new McpServer({ name: 'paypal-secured', version: '1.0.0' });
 * registerSecuredPayPalTools(server, { client });
 * await server.connect(new StdioServerTransport());
 * ```
 */
export function registerSecuredPayPalTools(
  server: McpServer,
  options: SecuredPayPalToolsOptions,
): Record<string, RegisteredTool> {
  const { client } = options;
  if ((options.call === undefined) === (client === undefined)) {
    throw new TypeError('Pass either client or call to registerSecuredPayPalTools');
  }
  // A client's `call` is a method: keep it bound.
  const call: HandshakeCall =
    options.call ??
    ((tool, parameters, callOptions) => client!.call(tool, parameters, callOptions));
  const toolkit = new PayPalMCPToolkit({
    accessToken: '',
    configuration: {
      actions: options.actions ?? PAYPAL_ALL_ACTIONS,
      context: { sandbox: (options.environment ?? 'sandbox') === 'sandbox' },
    },
  });
  const { tools, unavailable } = paypalToolCatalog(
    toolkit.getTools(),
    options.environment ?? 'sandbox',
  );
  const wanted = options.tools ? new Set<string>(options.tools) : undefined;
  for (const name of wanted ?? []) {
    if (tools.some((spec) => spec.name === name)) continue;
    const reason = unavailable.find((tool) => tool.name === name)?.reason;
    throw new TypeError(
      reason ? `${name} is not offered: ${reason}` : `${name} is not an enabled PayPal tool`,
    );
  }
  for (const spec of tools) {
    const shown = options.tiers?.[spec.name];
    if (shown !== undefined && tierRank(shown) < tierRank(spec.tier)) {
      // Showing an agent a lower tier than the service enforces would only mislead it.
      throw new TypeError(`tiers may raise ${spec.name} above ${spec.tier}, never lower it`);
    }
  }
  const registered: Record<string, RegisteredTool> = {};
  for (const spec of tools) {
    if (wanted && !wanted.has(spec.name)) continue;
    const tier = options.tiers?.[spec.name] ?? spec.tier;
    registered[spec.name] = server.registerTool(
      spec.name,
      {
        title: spec.title,
        description: `${TIER_NOTE[tier]}${spec.description}`,
        // The toolkit's zod 3 schema: the SDK validates the arguments with it (answering a
        // tool error for bad ones) and lists it as JSON Schema.
        inputSchema: spec.schema as unknown as AnySchema,
        annotations: { title: spec.title, ...spec.annotations },
        _meta: { 'handshake/tier': tier },
      },
      async (
        args: unknown,
        extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
      ): Promise<CallToolResult> => {
        const progressToken = extra._meta?.progressToken;
        let progress = 0;
        // Notifications go out in order, and all of them before the result: a progress
        // notification after the response would name a token the agent already forgot.
        let notified: Promise<unknown> = Promise.resolve();
        let open = true;
        const elicitation = options.approvalUrl
          ? new ApprovalElicitation(server.server, options.approvalUrl, spec.name)
          : undefined;
        const onStatus =
          progressToken === undefined && elicitation === undefined
            ? undefined
            : (status: unknown) => {
                // A status heard after the result (a late waiter event) is dropped.
                if (!open) return;
                const ask = elicitation?.hear(status);
                if (ask) notified = notified.then(ask).catch(() => {});
                const text = progressText(status);
                if (progressToken === undefined || text === undefined) return;
                progress += 1;
                const params = { progressToken, progress, message: `${spec.name}: ${text}` };
                notified = notified
                  .then(() => extra.sendNotification({ method: 'notifications/progress', params }))
                  .catch(() => {});
              };
        const settled = async <T>(result: T): Promise<T> => {
          open = false;
          await notified;
          return result;
        };
        try {
          const result = await call(spec.name, (args ?? {}) as Record<string, unknown>, {
            signal: extra.signal,
            ...(onStatus ? { onStatus } : {}),
          });
          return settled(successResult(result));
        } catch (error) {
          if (HandshakeError.isInstance(error)) {
            return settled(errorResult(error.code, error.message));
          }
          return settled(errorResult('INTERNAL_ERROR', `${spec.name} failed before it completed`));
        }
      },
    );
  }
  return registered;
}
