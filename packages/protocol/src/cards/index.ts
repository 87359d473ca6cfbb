// @handshake/protocol/cards: the wire schemas of the spend API (`/api/mcp`: limits,
// purchase validation, single-use virtual cards, mock checkout) and the parameters of
// the `create_virtual_card` tool that a validation authorizes. A subpath, so that a
// client of the core protocol alone does not see them.

export { cardMerchant } from './merchant.js';
export {
  type CardPurchaseParameters,
  CardPurchaseParametersSchema,
  CREATE_VIRTUAL_CARD,
  cardPurchaseParameters,
} from './purchase.js';
export {
  type Address,
  AddressSchema,
  AgentNameSchema,
  AmountInputSchema,
  type AuthorizationStatusResponse,
  AuthorizationStatusResponseSchema,
  type CardCreationResponse,
  CardCreationResponseSchema,
  type CheckoutResponse,
  CheckoutResponseSchema,
  type CreateVirtualCardRequest,
  CreateVirtualCardRequestSchema,
  CurrencyCodeSchema,
  type CustomerDetails,
  CustomerDetailsSchema,
  MerchantCategoriesSchema,
  MerchantNameSchema,
  type MockCheckoutRequest,
  MockCheckoutRequestSchema,
  type ProductContext,
  ProductContextSchema,
  type SpendApiInfo,
  SpendApiInfoSchema,
  type SpendEndpoint,
  SpendEndpointSchema,
  type SpendLimitsResponse,
  SpendLimitsResponseSchema,
  type ValidateTransactionRequest,
  ValidateTransactionRequestSchema,
  type ValidationResponse,
  ValidationResponseSchema,
} from './schemas.js';
