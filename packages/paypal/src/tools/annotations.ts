import type { ToolAnnotations } from '@handshake/core';
import type { PayPalToolName } from './tool-names.js';

// MCP tool annotations (2025-06-18 schema, `ToolAnnotations`): hints for agents and hosts,
// never a security boundary. Every PayPal tool reaches an outside system (openWorldHint).
const openWorld = (hints: Omit<ToolAnnotations, 'openWorldHint'>): ToolAnnotations => ({
  ...hints,
  openWorldHint: true,
});
const read = openWorld({ readOnlyHint: true, destructiveHint: false, idempotentHint: true });
// Adds something new; calling twice adds it twice.
const create = openWorld({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
// Overwrites or ends existing state; the same call twice leaves the same state.
const overwrite = openWorld({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
// Moves money, which cannot be taken back by the tool itself. Marked non-idempotent on
// purpose so that agents never retry one on their own.
const money = openWorld({ readOnlyHint: false, destructiveHint: true, idempotentHint: false });

/**
 * MCP annotations (`readOnlyHint`, `destructiveHint`, `idempotentHint`, `openWorldHint`)
 * of every toolkit tool. Money-moving tools are destructive and marked non-idempotent so
 * agents do not retry them on their own.
 *
 * @example
 * ```ts
 * import { paypalToolAnnotations } from '@handshake/paypal';
 *
 * paypalToolAnnotations.get_order.readOnlyHint; // true
 * paypalToolAnnotations.pay_order.destructiveHint; // true
 * ```
 */
export const paypalToolAnnotations: Readonly<Record<PayPalToolName, Readonly<ToolAnnotations>>> =
  Object.freeze({
    create_invoice: create,
    list_invoices: read,
    get_invoice: read,
    // Emails the customer again on every call.
    send_invoice: create,
    send_invoice_reminder: create,
    cancel_sent_invoice: overwrite,
    generate_invoice_qr_code: read,
    create_product: create,
    list_products: read,
    update_product: overwrite,
    show_product_details: read,
    create_subscription_plan: create,
    list_subscription_plans: read,
    show_subscription_plan_details: read,
    create_subscription: create,
    show_subscription_details: read,
    cancel_subscription: overwrite,
    update_subscription: money,
    create_shipment_tracking: create,
    get_shipment_tracking: read,
    update_shipment_tracking: overwrite,
    create_order: create,
    get_order: read,
    pay_order: money,
    list_disputes: read,
    get_dispute: read,
    accept_dispute_claim: money,
    list_transactions: read,
    update_plan: overwrite,
    create_refund: money,
    get_refund: read,
    get_merchant_insights: read,
  });
