import type { Tier } from '@handshake/protocol';
import type { PayPalToolName } from './tool-names.js';

/**
 * The tier of every tool of `@paypal/agent-toolkit` 1.8, following the project's tier
 * table: reads are INTERNAL (a session and a signature), state changes that move no money
 * are CONFIDENTIAL (their schema is checked strictly before anything runs), and money
 * movement is RESTRICTED (an approver decides and the amount counts against spending
 * limits). No PayPal tool is PUBLIC. A policy may raise any of these, never lower them.
 *
 * @example
 * ```ts
 * import { createHandshake } from '@handshake/core';
 * import { createPayPalToolProvider, paypalToolTiers } from '@handshake/paypal';
 *
 * paypalToolTiers.create_refund; // 'RESTRICTED'
 * // Raise a tier for your deployment: invoices need approval too.
 * const engine = createHandshake({
 *   tools: createPayPalToolProvider({ environment: 'sandbox', accessToken: 'A21AA…' }),
 *   policy: { tiers: { send_invoice: 'RESTRICTED' } },
 * });
 * ```
 */
export const paypalToolTiers = Object.freeze({
  // Invoices ---------------------------------------------------------------------------
  // Creates a draft and (in 1.8) sends it at once; it asks a customer for money, and only
  // the customer's own payment moves any.
  create_invoice: 'CONFIDENTIAL',
  // Read: lists invoices.
  list_invoices: 'INTERNAL',
  // Read: one invoice.
  get_invoice: 'INTERNAL',
  // Emails an invoice to its recipients; a request for payment, not a payment.
  send_invoice: 'CONFIDENTIAL',
  // Emails a reminder; moves no money.
  send_invoice_reminder: 'CONFIDENTIAL',
  // Cancels an unpaid invoice; nothing was paid, so nothing moves.
  cancel_sent_invoice: 'CONFIDENTIAL',
  // Read: renders a QR code of an existing invoice; changes nothing at PayPal.
  generate_invoice_qr_code: 'INTERNAL',

  // Catalog products -------------------------------------------------------------------
  // Adds a catalog entry; moves no money.
  create_product: 'CONFIDENTIAL',
  // Read: lists products.
  list_products: 'INTERNAL',
  // Would patch a catalog entry (no money). The toolkit defines it but has no
  // implementation in 1.8, so the provider and the MCP tools never offer it.
  update_product: 'CONFIDENTIAL',
  // Read: one product.
  show_product_details: 'INTERNAL',

  // Subscription plans and subscriptions -------------------------------------------------
  // Defines prices for future subscribers; nobody is charged until a subscriber approves.
  create_subscription_plan: 'CONFIDENTIAL',
  // Read: lists plans.
  list_subscription_plans: 'INTERNAL',
  // Read: one plan.
  show_subscription_plan_details: 'INTERNAL',
  // Creates a subscription awaiting the subscriber's approval; no charge until then.
  create_subscription: 'CONFIDENTIAL',
  // Read: one subscription.
  show_subscription_details: 'INTERNAL',
  // Stops future billing; takes and returns no money.
  cancel_subscription: 'CONFIDENTIAL',
  // Money: rewrites the outstanding balance, the price of a billing cycle or the shipping
  // amount of a live subscription, which PayPal then bills to the subscriber.
  update_subscription: 'RESTRICTED',
  // Changes a plan's name, description, setup fee, taxes or failure rules; existing
  // subscriptions keep their terms and nothing is billed by the change itself.
  update_plan: 'CONFIDENTIAL',

  // Shipment tracking ----------------------------------------------------------------------
  // Adds tracking information to a paid transaction; moves no money.
  create_shipment_tracking: 'CONFIDENTIAL',
  // Read: tracking of a transaction.
  get_shipment_tracking: 'INTERNAL',
  // Changes tracking information; moves no money.
  update_shipment_tracking: 'CONFIDENTIAL',

  // Orders ---------------------------------------------------------------------------------
  // Creates an order the payer must still approve; no money moves.
  create_order: 'CONFIDENTIAL',
  // Read: one order.
  get_order: 'INTERNAL',
  // Money: captures the payment of an approved order. The parameters carry no amount, so
  // the provider fetches the order to learn it before anyone is asked, and again at execute.
  pay_order: 'RESTRICTED',

  // Disputes ---------------------------------------------------------------------------------
  // Read: lists disputes.
  list_disputes: 'INTERNAL',
  // Read: one dispute.
  get_dispute: 'INTERNAL',
  // Money: accepting liability closes the dispute in the buyer's favour and PayPal refunds
  // the disputed amount from the merchant's balance.
  accept_dispute_claim: 'RESTRICTED',

  // Reporting and payments -------------------------------------------------------------------
  // Read: searches transactions.
  list_transactions: 'INTERNAL',
  // Money: returns captured funds to the payer (all of them when no amount is given).
  create_refund: 'RESTRICTED',
  // Read: one refund.
  get_refund: 'INTERNAL',
  // Read: sales and order metrics (live only; the toolkit refuses it in sandbox).
  get_merchant_insights: 'INTERNAL',
} as const satisfies Record<PayPalToolName, Tier>);

/**
 * The type of {@link paypalToolTiers}: a tier for every tool name.
 *
 * @example
 * ```ts
 * import type { PayPalToolTiers } from '@handshake/paypal';
 *
 * type RefundTier = PayPalToolTiers['create_refund']; // 'RESTRICTED'
 * ```
 */
export type PayPalToolTiers = typeof paypalToolTiers;
