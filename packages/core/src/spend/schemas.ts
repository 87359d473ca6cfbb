import { z } from 'zod';
import { isCurrency } from '../money/currencies.js';
import { SignatureSchema } from '../schemas/wire.js';

// The spend API of the LayrPay seed, on the wire. Requests are strict (unknown fields
// are refused); responses are parsed leniently by clients, so new fields can be added.
// Amounts are accepted as JSON numbers or decimal strings and converted exactly by
// `parseMoney`; amounts in answers are always decimal strings.

/** An ISO 4217 code this service knows. */
export const CurrencyCodeSchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "USD"')
  .refine(isCurrency, 'an ISO 4217 currency code this service knows');

/** An amount as a JSON number or a decimal string; converted exactly, never through a float. */
export const AmountInputSchema = z.union([z.number(), z.string().max(40)]);

/** A merchant's name: printable, without leading or trailing spaces, at most 200 characters. */
export const MerchantNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\p{Cc}]+$/u, 'no control characters')
  .refine((name) => name.trim() === name, 'no leading or trailing spaces');

/** Free-form product context passed on to approvers and the audit metadata, never hashed. */
export const ProductContextSchema = z
  .record(z.string().min(1).max(64), z.json())
  .refine((product) => Object.keys(product).length <= 32, 'at most 32 fields');
export type ProductContext = z.infer<typeof ProductContextSchema>;

/** The agent's name, as the seed's `agent_name`. */
export const AgentNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]+$/u, 'no control characters');

/** A postal address. */
export const AddressSchema = z
  .object({
    line1: z.string().min(1).max(200),
    line2: z.string().max(200).optional(),
    city: z.string().min(1).max(100),
    state: z.string().max(100).optional(),
    postal_code: z.string().min(1).max(20),
    country: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as "US"'),
  })
  .strict();
export type Address = z.infer<typeof AddressSchema>;

/**
 * The cardholder, as a card response carries it and the mock checkout accepts it:
 * an agent passes `customer` from the card straight on as `customer_details`.
 */
export const CustomerDetailsSchema = z
  .object({
    name: z.string().min(1).max(200),
    email: z.email().max(254).optional(),
    phone: z.string().max(40).optional(),
    billing_address: AddressSchema.optional(),
    shipping_address: AddressSchema.optional(),
  })
  .strict();
export type CustomerDetails = z.infer<typeof CustomerDetailsSchema>;

/** `POST /api/mcp/validate-transaction` body. */
export const ValidateTransactionRequestSchema = z
  .object({
    merchant: z.object({ name: MerchantNameSchema }).strict(),
    amount: AmountInputSchema,
    currency: CurrencyCodeSchema,
    product: ProductContextSchema.optional(),
    agent_name: AgentNameSchema.optional(),
    /** Seconds the response waits for a person's decision (10 to 300, default 60). */
    timeout: z.number().int().min(10).max(300).optional(),
  })
  .strict();
export type ValidateTransactionRequest = z.infer<typeof ValidateTransactionRequestSchema>;

/** `POST /api/mcp/create-virtual-card` body: the seed's fields plus the execute signature. */
export const CreateVirtualCardRequestSchema = z
  .object({
    validation_token: z.string().min(1).max(256),
    merchant_name: MerchantNameSchema,
    transaction_amount: AmountInputSchema,
    transaction_currency: CurrencyCodeSchema,
    card_amount: AmountInputSchema,
    card_currency: CurrencyCodeSchema,
    /** Units of `card_currency` per unit of `transaction_currency`; must match the service's rate. */
    exchange_rate: z.union([z.number().positive(), z.string().max(40)]).optional(),
    agent_name: AgentNameSchema.optional(),
    /** The transaction the signature covers (the validation's `transaction_id`). */
    transaction_id: z.string().min(1).max(128).optional(),
    /** Ed25519 signature over `canonicalize({ tool, paramsHash, transactionId })`. */
    signature: SignatureSchema.optional(),
  })
  .strict();
export type CreateVirtualCardRequest = z.infer<typeof CreateVirtualCardRequestSchema>;

const MonthSchema = z.union([
  z.number().int().min(1).max(12),
  z
    .string()
    .regex(/^(0?[1-9]|1[0-2])$/, 'a month from 1 to 12')
    .transform(Number),
]);
const YearSchema = z.union([
  z.number().int().min(2000).max(2199),
  z
    .string()
    .regex(/^2[01]\d\d$/, 'a four-digit year')
    .transform(Number),
]);

/** `POST /api/mcp/mock-checkout` body. */
export const MockCheckoutRequestSchema = z
  .object({
    card_details: z
      .object({
        card_number: z.string().min(1).max(32),
        cvc: z.string().min(1).max(8),
        exp_month: MonthSchema,
        exp_year: YearSchema,
      })
      .strict(),
    customer_details: CustomerDetailsSchema,
    /** Default: the card's whole spending limit. */
    amount: AmountInputSchema.optional(),
    /** Default: the card's currency. */
    currency: CurrencyCodeSchema.optional(),
    product: ProductContextSchema.optional(),
  })
  .strict();
export type MockCheckoutRequest = z.infer<typeof MockCheckoutRequestSchema>;

// Responses: lenient objects (extra fields allowed) for clients to parse.

/** One endpoint in `GET /api/mcp/info`. */
export const SpendEndpointSchema = z.object({
  method: z.enum(['GET', 'POST']),
  path: z.string(),
  description: z.string(),
  authentication: z.enum(['required', 'optional', 'none']),
  responses: z.array(z.string()),
});
export type SpendEndpoint = z.infer<typeof SpendEndpointSchema>;

/** `GET /api/mcp/info` answer. */
export const SpendApiInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  description: z.string(),
  basePath: z.string(),
  endpoints: z.array(SpendEndpointSchema),
});
export type SpendApiInfo = z.infer<typeof SpendApiInfoSchema>;

const WindowBalanceSchema = z.object({
  amount: z.string(),
  remaining: z.string(),
  used: z.string(),
  currency: z.string(),
  resets_at: z.string(),
});

/** `GET /api/mcp/limits` answer. A window that is not configured is absent. */
export const SpendLimitsResponseSchema = z.object({
  currency: z.string().optional(),
  time_zone: z.string().optional(),
  daily: WindowBalanceSchema.optional(),
  weekly: WindowBalanceSchema.optional(),
  monthly: WindowBalanceSchema.optional(),
  transaction: z.object({ amount: z.string(), currency: z.string() }).optional(),
  enabled: z.object({
    daily: z.boolean(),
    weekly: z.boolean(),
    monthly: z.boolean(),
    transaction: z.boolean(),
  }),
});
export type SpendLimitsResponse = z.infer<typeof SpendLimitsResponseSchema>;

const ReasonSchema = z.enum(['tier', 'daily', 'weekly', 'monthly', 'transaction']);

/**
 * The JSON answer of `validate-transaction`, and the `data` of each of its SSE events
 * (`pending`, `approved`, `denied`, `timeout`).
 */
export const ValidationResponseSchema = z.object({
  status: z.enum(['auto_approved', 'pending', 'approved', 'denied', 'timeout']),
  /** The transaction id when auto-approved; the approval id when a person decides. */
  authorization_id: z.string(),
  /** The transaction the card's execute signature covers. */
  transaction_id: z.string(),
  validation_token: z.string().optional(),
  /** When the validation token (or, while pending, the approval request) expires. */
  expires_at: z.string().optional(),
  /** The amount as validated, e.g. `{ value: '30.00', currency: 'USD' }`. */
  amount: z.object({ value: z.string(), currency: z.string() }).optional(),
  /** Why a person must decide (pending only). */
  reasons: z.array(ReasonSchema).optional(),
  reason: z.string().optional(),
  message: z.string(),
});
export type ValidationResponse = z.infer<typeof ValidationResponseSchema>;

/** `GET /api/mcp/authorization-status?id=` answer. */
export const AuthorizationStatusResponseSchema = z.object({
  status: z.enum(['pending', 'approved', 'denied', 'expired']),
  authorization_id: z.string(),
  transaction_id: z.string(),
  validation_token: z.string().optional(),
  expires_at: z.string().optional(),
  reason: z.string().optional(),
  message: z.string(),
});
export type AuthorizationStatusResponse = z.infer<typeof AuthorizationStatusResponseSchema>;

/** `POST /api/mcp/create-virtual-card` answer (the seed's `CardCreationResponse`). */
export const CardCreationResponseSchema = z.object({
  cardId: z.string(),
  cardNumber: z.string(),
  cvc: z.string(),
  expMonth: z.number(),
  expYear: z.number(),
  expiresAt: z.string(),
  spendingLimit: z.string(),
  currency: z.string(),
  last4: z.string(),
  brand: z.string(),
  customer: CustomerDetailsSchema.loose(),
  merchantName: z.string(),
  transactionId: z.string(),
  transactionAmount: z.object({ value: z.string(), currency: z.string() }),
  exchangeRate: z.string().optional(),
  agentName: z.string().optional(),
  replayed: z.boolean().optional(),
});
export type CardCreationResponse = z.infer<typeof CardCreationResponseSchema>;

/** `POST /api/mcp/mock-checkout` answer. */
export const CheckoutResponseSchema = z.object({
  order_id: z.string(),
  status: z.enum(['confirmed', 'processing', 'failed']),
  product: z.record(z.string(), z.unknown()),
  payment: z.object({
    charge_id: z.string(),
    card_id: z.string(),
    brand: z.string(),
    last4: z.string(),
    amount: z.string(),
    currency: z.string(),
    authorization_code: z.string(),
    status: z.string(),
  }),
  shipping: z.record(z.string(), z.unknown()),
  merchant: z.object({ name: z.string() }).loose(),
  receipt: z.record(z.string(), z.unknown()),
});
export type CheckoutResponse = z.infer<typeof CheckoutResponseSchema>;
