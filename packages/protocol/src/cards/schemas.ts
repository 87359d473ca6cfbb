import { z } from 'zod';
import { isCurrency } from '../money/currencies.js';
import { LimitWindowSchema, SignatureSchema } from '../schemas/wire.js';

// The spend API of the LayrPay seed, on the wire. Requests are strict (unknown fields
// are refused); responses are parsed leniently by clients, so new fields can be added.
// Amounts are accepted as JSON numbers or decimal strings and converted exactly by
// `parseMoney`; amounts in answers are always decimal strings.

/**
 * An ISO 4217 code this service knows.
 *
 * @example
 * ```ts
 * import { CurrencyCodeSchema } from '@handshake/protocol/cards';
 *
 * CurrencyCodeSchema.parse('EUR');
 * CurrencyCodeSchema.safeParse('XYZ').success; // false: not an ISO 4217 code
 * ```
 */
export const CurrencyCodeSchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "USD"')
  .refine(isCurrency, 'an ISO 4217 currency code this service knows');

/**
 * An amount as a JSON number or a decimal string; converted exactly, never through a float.
 *
 * @example
 * ```ts
 * import { AmountInputSchema } from '@handshake/protocol/cards';
 *
 * AmountInputSchema.parse('30.00'); // a decimal string
 * AmountInputSchema.parse(30); // or a JSON number, converted exactly later
 * ```
 */
export const AmountInputSchema = z.union([z.number(), z.string().max(40)]);

/**
 * A merchant's name: printable, without leading or trailing spaces, at most 200 characters.
 *
 * @example
 * ```ts
 * import { MerchantNameSchema } from '@handshake/protocol/cards';
 *
 * MerchantNameSchema.parse('Example Books');
 * MerchantNameSchema.safeParse(' Example Books').success; // false: leading space
 * ```
 */
export const MerchantNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\p{Cc}]+$/u, 'no control characters')
  .refine((name) => name.trim() === name, 'no leading or trailing spaces');

/**
 * Free-form product context passed on to approvers and the audit metadata, never hashed.
 *
 * @example
 * ```ts
 * import { ProductContextSchema } from '@handshake/protocol/cards';
 *
 * const product = ProductContextSchema.parse({ title: 'A Book', isbn: '978-0-00-000000-0' });
 * ```
 */
export const ProductContextSchema = z
  .record(z.string().min(1).max(64), z.json())
  .refine((product) => Object.keys(product).length <= 32, 'at most 32 fields');
/**
 * Free-form product details (at most 32 JSON fields) shown to approvers and kept in the audit metadata.
 *
 * @example
 * ```ts
 * import type { ProductContext } from '@handshake/protocol/cards';
 *
 * const product: ProductContext = { title: 'A Book', quantity: 1 };
 * ```
 */
export type ProductContext = z.infer<typeof ProductContextSchema>;

/**
 * Merchant categories a card may be used at, as the card network names them (e.g.
 * Stripe Issuing's `eating_places_restaurants`): 1 to 32 distinct names.
 *
 * @example
 * ```ts
 * import { MerchantCategoriesSchema } from '@handshake/protocol/cards';
 *
 * MerchantCategoriesSchema.parse(['book_stores', 'eating_places_restaurants']);
 * MerchantCategoriesSchema.safeParse([]).success; // false: omit the field to allow any category
 * ```
 */
export const MerchantCategoriesSchema = z
  .array(z.string().regex(/^[a-z0-9_]{1,100}$/, 'a category name such as "book_stores"'))
  .min(1)
  .max(32)
  .refine((categories) => new Set(categories).size === categories.length, 'no duplicates');

/**
 * The agent's name, as the seed's `agent_name`.
 *
 * @example
 * ```ts
 * import { AgentNameSchema } from '@handshake/protocol/cards';
 *
 * AgentNameSchema.parse('shopping-assistant');
 * ```
 */
export const AgentNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]+$/u, 'no control characters');

/**
 * A postal address.
 *
 * @example
 * ```ts
 * import { AddressSchema } from '@handshake/protocol/cards';
 *
 * AddressSchema.parse({ line1: '1 Main St', city: 'Springfield', postal_code: '12345', country: 'US' });
 * ```
 */
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
/**
 * A postal address, as in the spend API's customer details.
 *
 * @example
 * ```ts
 * import type { Address } from '@handshake/protocol/cards';
 *
 * const address: Address = { line1: '1 Main St', city: 'Springfield', postal_code: '12345', country: 'US' };
 * ```
 */
export type Address = z.infer<typeof AddressSchema>;

/**
 * The cardholder, as a card response carries it and the mock checkout accepts it:
 * an agent passes `customer` from the card straight on as `customer_details`.
 *
 * @example
 * ```ts
 * import { CustomerDetailsSchema } from '@handshake/protocol/cards';
 *
 * CustomerDetailsSchema.parse({ name: 'Ada Lovelace', email: 'ada@example.com' });
 * ```
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
/**
 * The cardholder of a virtual card, passed on unchanged as a checkout's `customer_details`.
 *
 * @example
 * ```ts
 * import type { CustomerDetails } from '@handshake/protocol/cards';
 *
 * const customer: CustomerDetails = { name: 'Ada Lovelace', email: 'ada@example.com' };
 * ```
 */
export type CustomerDetails = z.infer<typeof CustomerDetailsSchema>;

/**
 * `POST /api/mcp/validate-transaction` body.
 *
 * @example
 * ```ts
 * import { ValidateTransactionRequestSchema } from '@handshake/protocol/cards';
 *
 * const body = ValidateTransactionRequestSchema.parse({
 *   merchant: { name: 'Example Books' },
 *   amount: '30.00',
 *   currency: 'USD',
 *   timeout: 120,
 * });
 * ```
 */
export const ValidateTransactionRequestSchema = z
  .object({
    merchant: z.object({ name: MerchantNameSchema }).strict(),
    amount: AmountInputSchema,
    currency: CurrencyCodeSchema,
    product: ProductContextSchema.optional(),
    agent_name: AgentNameSchema.optional(),
    /** The only merchant categories the card may be used at (default: any). Bound to the validation. */
    merchant_categories: MerchantCategoriesSchema.optional(),
    /** Seconds the response waits for a person's decision (10 to 300, default 60). */
    timeout: z.number().int().min(10).max(300).optional(),
  })
  .strict();
/**
 * The body of `POST /api/mcp/validate-transaction`: a purchase to check against the user's spending limits.
 *
 * @example
 * ```ts
 * import type { ValidateTransactionRequest } from '@handshake/protocol/cards';
 *
 * const request: ValidateTransactionRequest = {
 *   merchant: { name: 'Example Books' },
 *   amount: '30.00',
 *   currency: 'USD',
 * };
 * ```
 */
export type ValidateTransactionRequest = z.infer<typeof ValidateTransactionRequestSchema>;

/**
 * `POST /api/mcp/create-virtual-card` body: the seed's fields plus the execute signature.
 *
 * @example
 * ```ts
 * import { CreateVirtualCardRequestSchema } from '@handshake/protocol/cards';
 *
 * const result = CreateVirtualCardRequestSchema.safeParse({ validation_token: 'hs_val_…' });
 * result.success; // false: the merchant and amounts are required
 * ```
 */
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
    /** The merchant categories the validation named, if any (in any order). */
    merchant_categories: MerchantCategoriesSchema.optional(),
    /** The transaction the signature covers (the validation's `transaction_id`). */
    transaction_id: z.string().min(1).max(128).optional(),
    /** Ed25519 signature over `canonicalize({ tool, paramsHash, transactionId })`. */
    signature: SignatureSchema.optional(),
  })
  .strict();
/**
 * The body of `POST /api/mcp/create-virtual-card`: consumes a validation token once for a single-use card.
 *
 * @example
 * ```ts
 * import type { CreateVirtualCardRequest, ValidationResponse } from '@handshake/protocol/cards';
 * declare const validation: ValidationResponse;
 *
 * const request: CreateVirtualCardRequest = {
 *   validation_token: validation.validation_token ?? '',
 *   merchant_name: 'Example Books',
 *   transaction_amount: '30.00',
 *   transaction_currency: 'USD',
 *   card_amount: '30.00',
 *   card_currency: 'USD',
 *   transaction_id: validation.transaction_id,
 * };
 * ```
 */
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

/**
 * `POST /api/mcp/mock-checkout` body.
 *
 * @example
 * ```ts
 * import { MockCheckoutRequestSchema } from '@handshake/protocol/cards';
 *
 * const body = MockCheckoutRequestSchema.parse({
 *   card_details: { card_number: '4242424242424242', cvc: '123', exp_month: 12, exp_year: 2030 },
 *   customer_details: { name: 'Ada Lovelace' },
 *   amount: '24.99',
 * });
 * ```
 */
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
    /** The merchant charging the card. Default: the merchant the card was issued for. */
    merchant: z
      .object({
        name: MerchantNameSchema,
        /** The merchant's category, as the card network names it (e.g. `book_stores`). */
        category: z
          .string()
          .regex(/^[a-z0-9_]{1,100}$/, 'a category name such as "book_stores"')
          .optional(),
      })
      .strict()
      .optional(),
    /** Default: the card's whole spending limit. */
    amount: AmountInputSchema.optional(),
    /** Default: the card's currency. */
    currency: CurrencyCodeSchema.optional(),
    product: ProductContextSchema.optional(),
  })
  .strict();
/**
 * The body of `POST /api/mcp/mock-checkout`: charges a virtual card at a simulated merchant.
 *
 * @example
 * ```ts
 * import type { CardCreationResponse, MockCheckoutRequest } from '@handshake/protocol/cards';
 * declare const card: CardCreationResponse;
 *
 * const request: MockCheckoutRequest = {
 *   card_details: { card_number: card.cardNumber, cvc: card.cvc, exp_month: card.expMonth, exp_year: card.expYear },
 *   customer_details: { name: card.customer.name },
 *   amount: '24.99',
 * };
 * ```
 */
export type MockCheckoutRequest = z.infer<typeof MockCheckoutRequestSchema>;

// Responses: lenient objects (extra fields allowed) for clients to parse.

/**
 * One endpoint in `GET /api/mcp/info`.
 *
 * @example
 * ```ts
 * import { SpendEndpointSchema } from '@handshake/protocol/cards';
 *
 * SpendEndpointSchema.parse({
 *   method: 'GET',
 *   path: '/api/mcp/limits',
 *   description: 'The spending limits and what remains',
 *   authentication: 'required',
 *   responses: ['200'],
 * });
 * ```
 */
export const SpendEndpointSchema = z.object({
  method: z.enum(['GET', 'POST']),
  path: z.string(),
  description: z.string(),
  authentication: z.enum(['required', 'optional', 'none']),
  responses: z.array(z.string()),
});
/**
 * One endpoint listed by `GET /api/mcp/info`.
 *
 * @example
 * ```ts
 * import type { SpendApiInfo, SpendEndpoint } from '@handshake/protocol/cards';
 * declare const info: SpendApiInfo;
 *
 * const posts: SpendEndpoint[] = info.endpoints.filter((endpoint) => endpoint.method === 'POST');
 * ```
 */
export type SpendEndpoint = z.infer<typeof SpendEndpointSchema>;

/**
 * `GET /api/mcp/info` answer.
 *
 * @example
 * ```ts
 * import { SpendApiInfoSchema } from '@handshake/protocol/cards';
 *
 * const info = SpendApiInfoSchema.parse(await (await fetch('https://handshake.example.com/api/mcp/info')).json());
 * ```
 */
export const SpendApiInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  description: z.string(),
  basePath: z.string(),
  endpoints: z.array(SpendEndpointSchema),
});
/**
 * The answer of `GET /api/mcp/info`: the API's name, version, base path and endpoints.
 *
 * @example
 * ```ts
 * import type { SpendApiInfo } from '@handshake/protocol/cards';
 * declare const info: SpendApiInfo;
 *
 * console.log(`${info.name} ${info.version} at ${info.basePath}`);
 * ```
 */
export type SpendApiInfo = z.infer<typeof SpendApiInfoSchema>;

const WindowBalanceSchema = z.object({
  amount: z.string(),
  remaining: z.string(),
  used: z.string(),
  currency: z.string(),
  resets_at: z.string(),
});

/**
 * `GET /api/mcp/limits` answer. A window that is not configured is absent.
 *
 * @example
 * ```ts
 * import { SpendLimitsResponseSchema } from '@handshake/protocol/cards';
 *
 * const limits = SpendLimitsResponseSchema.parse({
 *   enabled: { daily: false, weekly: false, monthly: false, transaction: false },
 * });
 * ```
 */
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
/**
 * The answer of `GET /api/mcp/limits`: each configured window's amount, use and remainder, as decimal strings.
 *
 * @example
 * ```ts
 * import type { SpendLimitsResponse } from '@handshake/protocol/cards';
 * declare const limits: SpendLimitsResponse;
 *
 * if (limits.daily) console.log(`${limits.daily.remaining} ${limits.daily.currency} left today`);
 * ```
 */
export type SpendLimitsResponse = z.infer<typeof SpendLimitsResponseSchema>;

const ReasonSchema = z.enum(['tier', ...LimitWindowSchema.options]);

/** What every answer about a validation says of it: its ids, and its token once there is one. */
const validationFields = {
  /** The transaction id when auto-approved; the approval id when a person decides. */
  authorization_id: z.string(),
  /** The transaction the card's execute signature covers. */
  transaction_id: z.string(),
  validation_token: z.string().optional(),
  /** When the validation token (or, while pending, the approval request) expires. */
  expires_at: z.string().optional(),
};

/**
 * The JSON answer of `validate-transaction`, and the `data` of each of its SSE events
 * (`pending`, `approved`, `denied`, `timeout`).
 *
 * @example
 * ```ts
 * import { ValidationResponseSchema } from '@handshake/protocol/cards';
 * declare const event: { data: string }; // one SSE event of a validation that waits for the user
 *
 * const validation = ValidationResponseSchema.parse(JSON.parse(event.data));
 * ```
 */
export const ValidationResponseSchema = z.object({
  status: z.enum(['auto_approved', 'pending', 'approved', 'denied', 'timeout']),
  ...validationFields,
  /** The amount as validated, e.g. `{ value: '30.00', currency: 'USD' }`. */
  amount: z.object({ value: z.string(), currency: z.string() }).optional(),
  /** Why a person must decide (pending only). */
  reasons: z.array(ReasonSchema).optional(),
  reason: z.string().optional(),
  message: z.string(),
});
/**
 * A validation's answer: `auto_approved` within every limit, else `pending` until the user decides (`approved`, `denied`, `timeout`).
 *
 * @example
 * ```ts
 * import type { ValidationResponse } from '@handshake/protocol/cards';
 * declare const validation: ValidationResponse;
 *
 * if (validation.status === 'auto_approved' || validation.status === 'approved') {
 *   console.log('create the card before', validation.expires_at);
 * }
 * ```
 */
export type ValidationResponse = z.infer<typeof ValidationResponseSchema>;

/**
 * `GET /api/mcp/authorization-status?id=` answer.
 *
 * @example
 * ```ts
 * import { AuthorizationStatusResponseSchema } from '@handshake/protocol/cards';
 *
 * const status = AuthorizationStatusResponseSchema.parse({
 *   status: 'pending',
 *   authorization_id: 'apr_1',
 *   transaction_id: 'tx_1',
 *   message: 'Waiting for the user',
 * });
 * ```
 */
export const AuthorizationStatusResponseSchema = z.object({
  /** `withdrawn`: the requester withdrew the validation while it was pending. */
  status: z.enum(['pending', 'approved', 'denied', 'expired', 'withdrawn']),
  ...validationFields,
  /** `true` once the validation was consumed (the card was created): it never yields a token again. */
  executed: z.boolean().optional(),
  reason: z.string().optional(),
  message: z.string(),
});
/**
 * The answer of `GET /api/mcp/authorization-status?id=`: where a pending validation stands.
 *
 * @example
 * ```ts
 * import type { AuthorizationStatusResponse } from '@handshake/protocol/cards';
 * declare const status: AuthorizationStatusResponse;
 *
 * const done = status.status !== 'pending';
 * ```
 */
export type AuthorizationStatusResponse = z.infer<typeof AuthorizationStatusResponseSchema>;

/**
 * `POST /api/mcp/create-virtual-card` answer (the seed's `CardCreationResponse`).
 *
 * @example
 * ```ts
 * import { CardCreationResponseSchema } from '@handshake/protocol/cards';
 * declare const answer: unknown;
 *
 * const card = CardCreationResponseSchema.parse(answer);
 * console.log(`card ending ${card.last4}`); // never log the number or the CVC
 * ```
 */
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
/**
 * A single-use virtual card: number, CVC, expiry and spending limit. Show `last4` only.
 *
 * @example
 * ```ts
 * import type { CardCreationResponse } from '@handshake/protocol/cards';
 * declare const card: CardCreationResponse;
 *
 * console.log(`${card.brand} ending ${card.last4}, limit ${card.spendingLimit} ${card.currency}`);
 * ```
 */
export type CardCreationResponse = z.infer<typeof CardCreationResponseSchema>;

/**
 * `POST /api/mcp/mock-checkout` answer.
 *
 * @example
 * ```ts
 * import { CheckoutResponseSchema } from '@handshake/protocol/cards';
 * declare const answer: unknown;
 *
 * const order = CheckoutResponseSchema.parse(answer);
 * console.log(order.order_id, order.status);
 * ```
 */
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
/**
 * The answer of `POST /api/mcp/mock-checkout`: the simulated order and the charge.
 *
 * @example
 * ```ts
 * import type { CheckoutResponse } from '@handshake/protocol/cards';
 * declare const order: CheckoutResponse;
 *
 * console.log(`${order.payment.amount} ${order.payment.currency} charged to card ending ${order.payment.last4}`);
 * ```
 */
export type CheckoutResponse = z.infer<typeof CheckoutResponseSchema>;
