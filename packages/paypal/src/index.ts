// The public API of @handshake/paypal. The simulated PayPal API lives in
// `@handshake/paypal/testing`, so this entry never loads msw.

export {
  createSecuredPayPalMcpHandler,
  type SecuredPayPalMcpHandler,
  type SecuredPayPalMcpHttpOptions,
} from './mcp/http.js';
export {
  type HandshakeCall,
  type HandshakeCaller,
  type HandshakeCallOptions,
  registerSecuredPayPalTools,
  type SecuredPayPalToolsOptions,
} from './mcp/register.js';
export {
  createPayPalToolProvider,
  type PayPalToolProvider,
  type PayPalToolProviderOptions,
} from './provider/provider.js';
export {
  type PayPalEnvironment,
  type PayPalToolCatalog,
  type PayPalToolSpec,
  paypalToolCatalog,
  type UnavailablePayPalTool,
} from './toolkit/catalog.js';
export {
  PAYPAL_API_BASE,
  type PayPalConnectionOptions,
  type PayPalToolkitContext,
} from './toolkit/connection.js';
export { acceptDisputeClaimSchema } from './toolkit/corrections.js';
export { interpretToolkitResult } from './toolkit/result.js';
export { paypalToolAnnotations } from './tools/annotations.js';
export { type PayPalToolTiers, paypalToolTiers } from './tools/tiers.js';
export {
  isPayPalToolName,
  PAYPAL_ALL_ACTIONS,
  PAYPAL_TOOL_NAMES,
  type PayPalActions,
  type PayPalToolName,
} from './tools/tool-names.js';
