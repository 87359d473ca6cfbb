import type { ToolAnnotations } from '@handshake/core';
import type { Tier } from '@handshake/protocol';
import type { Tool } from '@paypal/agent-toolkit/mcp';
import { paypalToolAnnotations } from '../tools/annotations.js';
import { paypalToolTiers } from '../tools/tiers.js';
import { isPayPalToolName, type PayPalToolName } from '../tools/tool-names.js';
import { acceptDisputeClaimSchema, hasMisplacedDisputeCheck } from './corrections.js';
import type { ToolkitSchema } from './validate.js';

/**
 * Where a provider or MCP server talks to PayPal. `live` moves real money; it is never a
 * default here (the toolkit itself defaults to live).
 *
 * @example
 * ```ts
 * import type { PayPalEnvironment } from '@handshake/paypal';
 *
 * const environment: PayPalEnvironment = process.env.PAYPAL_LIVE === 'yes' ? 'live' : 'sandbox';
 * ```
 */
export type PayPalEnvironment = 'sandbox' | 'live';

/**
 * One toolkit tool as Handshake serves it: the toolkit's name, description and schema
 * (corrected where 1.8 is wrong), with its tier and MCP annotations.
 *
 * @example
 * ```ts
 * import type { PayPalToolSpec } from '@handshake/paypal';
 * declare const spec: PayPalToolSpec;
 *
 * const valid = spec.schema.safeParse({ id: '5O190127TN364715T' }).success;
 * console.log(spec.name, spec.tier, valid);
 * ```
 */
export interface PayPalToolSpec {
  name: PayPalToolName;
  /** The toolkit's human-readable name, e.g. "Create Refund". */
  title: string;
  /** The toolkit's description of the tool. */
  description: string;
  /** The input schema (zod 3), the toolkit's own unless it is defective. */
  schema: ToolkitSchema;
  tier: Tier;
  annotations: Readonly<ToolAnnotations>;
}

/**
 * A toolkit tool that is not offered, and why.
 *
 * @example
 * ```ts
 * import type { UnavailablePayPalTool } from '@handshake/paypal';
 *
 * const skipped: UnavailablePayPalTool = {
 *   name: 'update_product',
 *   reason: '@paypal/agent-toolkit 1.8 defines update_product but does not implement it',
 * };
 * ```
 */
export interface UnavailablePayPalTool {
  name: string;
  reason: string;
}

/**
 * What {@link paypalToolCatalog} finds in a toolkit.
 *
 * @example
 * ```ts
 * import type { PayPalToolCatalog } from '@handshake/paypal';
 * declare const catalog: PayPalToolCatalog;
 *
 * console.log(catalog.tools.map((tool) => tool.name), catalog.unavailable);
 * ```
 */
export interface PayPalToolCatalog {
  tools: PayPalToolSpec[];
  unavailable: UnavailablePayPalTool[];
}

/**
 * Tools that the toolkit lists but cannot run, by environment. `update_product` has a
 * schema and a description in 1.8 but no case in `PayPalAPI.executeMethod`, so `run()`
 * always answers "Invalid method: update_product"; offering it would let an agent ask a
 * person to approve a call that cannot succeed.
 */
function unavailableReason(name: PayPalToolName, environment: PayPalEnvironment) {
  if (name === 'update_product') {
    return '@paypal/agent-toolkit 1.8 defines update_product but does not implement it';
  }
  if (name === 'get_merchant_insights' && environment === 'sandbox') {
    return 'the toolkit refuses get_merchant_insights in sandbox';
  }
  return undefined;
}

/**
 * Classifies the tools of a toolkit: every tool of 1.8 gets its tier, annotations and
 * (for `accept_dispute_claim`) a corrected schema; tools that cannot run, and tools this
 * package has no tier for (from a newer toolkit), are listed as unavailable — an
 * unclassified tool is never offered.
 *
 * @example
 * ```ts
 * import { PayPalMCPToolkit } from '@paypal/agent-toolkit/mcp';
 * import { PAYPAL_ALL_ACTIONS, paypalToolCatalog } from '@handshake/paypal';
 *
 * const toolkit = new PayPalMCPToolkit({
 *   accessToken: '',
 *   configuration: { actions: PAYPAL_ALL_ACTIONS, context: { sandbox: true } },
 * });
 * const { tools, unavailable } = paypalToolCatalog(toolkit.getTools(), 'sandbox');
 * ```
 */
export function paypalToolCatalog(
  toolkitTools: readonly Tool[],
  environment: PayPalEnvironment,
): PayPalToolCatalog {
  const tools: PayPalToolSpec[] = [];
  const unavailable: UnavailablePayPalTool[] = [];
  for (const tool of toolkitTools) {
    const name = tool.method;
    if (!isPayPalToolName(name)) {
      unavailable.push({ name, reason: `${name} has no tier in @handshake/paypal` });
      continue;
    }
    const reason = unavailableReason(name, environment);
    if (reason) {
      unavailable.push({ name, reason });
      continue;
    }
    // The toolkit's schemas come from its own zod 3; only their zod 3 API is used.
    let schema = tool.parameters as unknown as ToolkitSchema;
    if (name === 'accept_dispute_claim' && hasMisplacedDisputeCheck(schema)) {
      schema = acceptDisputeClaimSchema;
    }
    tools.push({
      name,
      title: tool.name,
      description: tool.description.trim(),
      schema,
      tier: paypalToolTiers[name],
      annotations: paypalToolAnnotations[name],
    });
  }
  return { tools, unavailable };
}
