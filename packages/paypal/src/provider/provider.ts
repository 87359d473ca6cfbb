import type { ToolContext, ToolDefinition, ToolProviderV1 } from '@handshake/core';
import { HandshakeError } from '@handshake/protocol';
import type { AnyObjectSchema } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import { toJsonSchemaCompat } from '@modelcontextprotocol/sdk/server/zod-json-schema-compat.js';
import {
  type PayPalEnvironment,
  type PayPalToolSpec,
  paypalToolCatalog,
  type UnavailablePayPalTool,
} from '../toolkit/catalog.js';
import { PayPalConnection, type PayPalConnectionOptions } from '../toolkit/connection.js';
import { PAYPAL_REQUEST_ID_TOOLS, paypalRequestId, withRequestId } from '../toolkit/request-id.js';
import { interpretToolkitResult } from '../toolkit/result.js';
import { parseToolParameters, standardSchemaOf } from '../toolkit/validate.js';
import { PAYPAL_ALL_ACTIONS, type PayPalToolName } from '../tools/tool-names.js';
import { moneyDeclarations } from './amounts.js';

/**
 * Options of {@link createPayPalToolProvider}: how to reach PayPal (exactly one of
 * `toolkit`, `accessToken`, or `clientId` with `clientSecret`), where, and which actions.
 *
 * @example
 * ```ts
 * import type { PayPalToolProviderOptions } from '@handshake/paypal';
 *
 * const options: PayPalToolProviderOptions = { accessToken: 'A21AA…', environment: 'sandbox' };
 * ```
 */
export type PayPalToolProviderOptions = PayPalConnectionOptions;

/**
 * The PayPal tool provider: a `ToolProviderV1` with what it left out, and why.
 *
 * @example
 * ```ts
 * import { createPayPalToolProvider, type PayPalToolProvider } from '@handshake/paypal';
 *
 * const provider: PayPalToolProvider = createPayPalToolProvider({ accessToken: 'A21AA…' });
 * for (const { name, reason } of provider.unavailable) console.log(`${name}: ${reason}`);
 * ```
 */
export interface PayPalToolProvider extends ToolProviderV1 {
  /** Where calls go. */
  readonly environment: PayPalEnvironment;
  /** Toolkit tools that are not offered (not implemented, or without a tier). */
  readonly unavailable: readonly UnavailablePayPalTool[];
  listTools(): readonly ToolDefinition[];
  execute(name: string, parameters: unknown, context?: ToolContext): Promise<unknown>;
}

/** JSON Schema of a zod 3 input schema, as an MCP server would list it (internal). */
export function jsonSchemaOf(spec: PayPalToolSpec): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = toJsonSchemaCompat(
    spec.schema as unknown as AnyObjectSchema,
    { strictUnions: true, pipeStrategy: 'input' },
  );
  return schema;
}

/**
 * A Handshake tool provider over PayPal's agent toolkit (`@paypal/agent-toolkit` 1.8): the
 * tools of `PayPalMCPToolkit.getTools()`, run through the toolkit's own
 * `getPaypalAPIService().run()`, with what the toolkit leaves out when called directly:
 *
 * - arguments are parsed with the tool's own schema (defaults applied) before `run()`;
 *   `accept_dispute_claim` uses a corrected schema;
 * - `run()`'s string answers become results, and its error strings `PROVIDER_ERROR`s
 *   with a safe message;
 * - each tool carries its tier ({@link paypalToolTiers}), MCP annotations and JSON
 *   Schema, and money-moving tools declare their amount for spending limits (`pay_order`
 *   fetches the order to learn it, and again at execute: a changed amount is refused
 *   with `TRANSACTION_MISMATCH` and the token stays usable);
 * - order creation and capture, refunds, and product, plan and subscription creation send
 *   `PayPal-Request-Id: handshake-<transactionId>`, so a run of a transaction repeated
 *   after a crash gets PayPal's first answer instead of moving money again;
 * - `update_product` (no implementation in 1.8) is not offered;
 * - the environment is `sandbox` unless you pass `environment: 'live'`, and a toolkit
 *   you built is refused when it would silently talk to live.
 *
 * @example
 * ```ts
 * import { createHandshake, staticSessionVerifier } from '@handshake/core';
 * import { createPayPalToolProvider } from '@handshake/paypal';
 *
 * const engine = createHandshake({
 *   tools: createPayPalToolProvider({
 *     clientId: process.env.PAYPAL_CLIENT_ID ?? '',
 *     clientSecret: process.env.PAYPAL_CLIENT_SECRET ?? '',
 *     environment: 'sandbox',
 *   }),
 *   sessions: staticSessionVerifier({ 'dev-token-alice': 'alice' }),
 * });
 * ```
 */
export function createPayPalToolProvider(options: PayPalToolProviderOptions): PayPalToolProvider {
  const connection = new PayPalConnection(options, PAYPAL_ALL_ACTIONS);
  const catalog = paypalToolCatalog(connection.catalogToolkit().getTools(), connection.environment);
  const specs = new Map<string, PayPalToolSpec>(catalog.tools.map((spec) => [spec.name, spec]));
  const unavailable = new Map(catalog.unavailable.map((tool) => [tool.name, tool.reason]));
  const money = moneyDeclarations(
    connection,
    new Map<PayPalToolName, PayPalToolSpec['schema']>(
      catalog.tools.map((spec) => [spec.name, spec.schema]),
    ),
  );

  const definitions: ToolDefinition[] = catalog.tools.map((spec) => {
    const declared = money[spec.name];
    return {
      name: spec.name,
      description: spec.description,
      tier: spec.tier,
      inputSchema: standardSchemaOf(spec.schema),
      jsonSchema: jsonSchemaOf(spec),
      annotations: { ...spec.annotations },
      ...(declared ? { amount: declared.amount } : {}),
      ...(declared?.recheck ? { recheckAmount: true } : {}),
      ...(declared?.payee ? { payee: declared.payee } : {}),
    };
  });

  return {
    specificationVersion: 'v1',
    environment: connection.environment,
    unavailable: catalog.unavailable,
    listTools: () => definitions,
    async execute(name, parameters, context) {
      const spec = specs.get(name);
      if (!spec) {
        const reason = unavailable.get(name);
        throw new HandshakeError(
          'PROVIDER_ERROR',
          reason
            ? `${name} is not offered: ${reason}`
            : `${name} is not a tool of the PayPal provider`,
        );
      }
      const parsed = parseToolParameters(name, spec.schema, parameters);
      const api = await connection.api();
      // Every run of one transaction sends PayPal the same request id, so a run repeated
      // after a crash gets PayPal's first answer instead of moving money again.
      const scoped =
        context && PAYPAL_REQUEST_ID_TOOLS.has(spec.name)
          ? withRequestId(api, paypalRequestId(context.transactionId))
          : api;
      return interpretToolkitResult(name, await scoped.run(name, parsed));
    },
  };
}
