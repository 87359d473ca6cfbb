import { PayPalAPI } from '@paypal/agent-toolkit/mcp';
import type { PayPalToolName } from '../tools/tool-names.js';

/**
 * The tools whose PayPal endpoint takes `PayPal-Request-Id` (per PayPal's OpenAPI
 * documents): order creation and capture (Orders v2), refund (Payments v2), and product,
 * plan and subscription creation (Catalog Products v1, Subscriptions v1). Each of these
 * tools sends exactly one request in toolkit 1.8.
 */
export const PAYPAL_REQUEST_ID_TOOLS: ReadonlySet<PayPalToolName> = new Set<PayPalToolName>([
  'create_order',
  'pay_order',
  'create_refund',
  'create_product',
  'create_subscription_plan',
  'create_subscription',
]);

/**
 * The `PayPal-Request-Id` of a Handshake transaction: the same for every run of the
 * transaction, so PayPal answers a repeated run with the first one's result. The engine's
 * transaction ids (`tx_` and 22 characters) keep it well inside Orders v2's 108.
 */
export function paypalRequestId(transactionId: string): string {
  return `handshake-${transactionId}`;
}

/**
 * The toolkit's API service for one call, sending `PayPal-Request-Id: requestId` on its
 * requests. The toolkit builds its headers in `paypalClient.getHeaders()`; this call gets
 * a client that adds the header to them, so the shared client (and any call running
 * beside this one) is left as it is.
 */
export function withRequestId(api: PayPalAPI, requestId: string): PayPalAPI {
  return withHeaders(api, () => ({ 'PayPal-Request-Id': requestId }));
}

/**
 * The toolkit's API service with `extra()` added to the headers of each of its requests,
 * read when the request is made; the shared client is left as it is.
 */
export function withHeaders(api: PayPalAPI, extra: () => Record<string, string>): PayPalAPI {
  const shared = api.paypalClient;
  const client: typeof shared = Object.create(shared);
  client.getHeaders = async () => ({ ...(await shared.getHeaders()), ...extra() });
  return new PayPalAPI(client, { ...api.context });
}
