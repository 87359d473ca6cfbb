/**
 * Every tool `@paypal/agent-toolkit` 1.8 defines, in the toolkit's own order
 * (`src/shared/tools.ts`). A test enumerates the installed toolkit with every action
 * enabled and fails when this list and the toolkit disagree.
 *
 * @example
 * ```ts
 * import { PAYPAL_TOOL_NAMES, paypalToolTiers } from '@handshake/paypal';
 *
 * for (const name of PAYPAL_TOOL_NAMES) console.log(name, paypalToolTiers[name]);
 * ```
 */
export const PAYPAL_TOOL_NAMES = [
  'create_invoice',
  'list_invoices',
  'get_invoice',
  'send_invoice',
  'send_invoice_reminder',
  'cancel_sent_invoice',
  'generate_invoice_qr_code',
  'create_product',
  'list_products',
  'update_product',
  'show_product_details',
  'create_subscription_plan',
  'list_subscription_plans',
  'show_subscription_plan_details',
  'create_subscription',
  'show_subscription_details',
  'cancel_subscription',
  'update_subscription',
  'create_shipment_tracking',
  'get_shipment_tracking',
  'update_shipment_tracking',
  'create_order',
  'get_order',
  'pay_order',
  'list_disputes',
  'get_dispute',
  'accept_dispute_claim',
  'list_transactions',
  'update_plan',
  'create_refund',
  'get_refund',
  'get_merchant_insights',
] as const;

/**
 * The name of a tool of `@paypal/agent-toolkit` 1.8 (its `method`).
 *
 * @example
 * ```ts
 * import type { PayPalToolName } from '@handshake/paypal';
 *
 * const tool: PayPalToolName = 'create_refund';
 * ```
 */
export type PayPalToolName = (typeof PAYPAL_TOOL_NAMES)[number];

/**
 * True when `name` is a tool of `@paypal/agent-toolkit` 1.8.
 *
 * @example
 * ```ts
 * import { isPayPalToolName } from '@handshake/paypal';
 *
 * isPayPalToolName('pay_order'); // true
 * isPayPalToolName('transfer_everything'); // false
 * ```
 */
export function isPayPalToolName(name: string): name is PayPalToolName {
  return (PAYPAL_TOOL_NAMES as readonly string[]).includes(name);
}

/**
 * The toolkit's `configuration.actions` with every action switched on: the products and
 * actions of 1.8 (the same map as the `ALL_TOOLS_ENABLED` its `ai-sdk` entry exports).
 *
 * @example
 * ```ts
 * import { PayPalMCPToolkit } from '@paypal/agent-toolkit/mcp';
 * import { PAYPAL_ALL_ACTIONS } from '@handshake/paypal';
 *
 * const toolkit = new PayPalMCPToolkit({
 *   accessToken: process.env.PAYPAL_ACCESS_TOKEN ?? '',
 *   configuration: { actions: PAYPAL_ALL_ACTIONS, context: { sandbox: true } },
 * });
 * ```
 */
export const PAYPAL_ALL_ACTIONS: PayPalActions = {
  invoices: {
    create: true,
    list: true,
    get: true,
    send: true,
    sendReminder: true,
    cancel: true,
    generateQRC: true,
  },
  products: { create: true, list: true, update: true, show: true },
  subscriptionPlans: { create: true, list: true, show: true },
  subscriptions: { create: true, show: true, cancel: true, update: true },
  shipment: { create: true, get: true, update: true },
  orders: { create: true, get: true, capture: true },
  disputes: { list: true, get: true, create: true },
  transactions: { list: true },
  plan: { update: true },
  payments: { createRefund: true, getRefunds: true },
  insights: { get: true },
};

/**
 * The toolkit's `configuration.actions`: which actions of which product are enabled.
 *
 * @example
 * ```ts
 * import type { PayPalActions } from '@handshake/paypal';
 *
 * const refundsOnly: PayPalActions = { payments: { createRefund: true, getRefunds: true } };
 * ```
 */
export type PayPalActions = { [product: string]: { [action: string]: boolean } };
