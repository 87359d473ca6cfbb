import type { Money } from '@handshake/protocol';
import {
  AuthorizationStatusResponseSchema,
  type CardCreationResponse,
  CardCreationResponseSchema,
  type CheckoutResponse,
  CheckoutResponseSchema,
  CREATE_VIRTUAL_CARD,
  type CustomerDetails,
  cardPurchaseParameters,
  type ProductContext,
  ProductContextSchema,
  type SpendApiInfo,
  SpendApiInfoSchema,
  type SpendLimitsResponse,
  SpendLimitsResponseSchema,
} from '@handshake/protocol/cards';
import type { RequestOptions } from '../client.js';
import type { ResolvedSigner } from '../credentials.js';
import type { Timers } from '../timers.js';
import { answerAbout, parseAnswer, type Transport, type TransportRequest } from '../transport.js';
import type { WaitOptions } from '../waiter/wait-options.js';
import {
  agentNameOf,
  checkInput,
  currencyOf,
  customerDetails,
  exactAmount,
  invalid,
  merchantCategoriesOf,
  merchantOf,
  requiredString,
} from './inputs.js';
import { validateTransaction } from './validation-wait.js';

/**
 * A purchase to validate against the user's spending limits
 * (`POST /api/mcp/validate-transaction`). The merchant and the amount are bound to the
 * validation: the card made with it is for this merchant and at most this amount.
 *
 * @example
 * ```ts
 * import type { ValidateTransactionInput } from '@handshake/client';
 *
 * const purchase: ValidateTransactionInput = {
 *   merchant: 'Example Books',
 *   amount: '30.00',
 *   currency: 'USD',
 *   product: { name: 'A field guide to birds', sku: 'BK-1' },
 *   timeout: 120,
 *   agentName: 'shopper',
 * };
 * ```
 */
export interface ValidateTransactionInput {
  /** The merchant's name, or `{ name }` as on the wire. */
  merchant: string | { name: string };
  /** A decimal string (preferred) or a JSON number, converted exactly. */
  amount: string | number;
  /** ISO 4217 code of `amount`. */
  currency: string;
  /** Context for the person who may be asked (at most 32 fields); not bound. */
  product?: ProductContext;
  /** Whole seconds, 10 to 300 (default 60): how long the service waits for a person. */
  timeout?: number;
  agentName?: string;
  /**
   * The only merchant categories the card may be used at, as the card network names
   * them (e.g. `eating_places_restaurants`); 1 to 32, bound to the validation and shown
   * to the approver. Default: any category.
   */
  merchantCategories?: string[];
}

/**
 * Why a validation's wait left the event stream for polling `authorization-status`:
 * the stream ended or was cut before a decision (`ended`, `network`), went silent past
 * the heartbeat timeout (`heartbeat`), the service reported a failure on it
 * (`server-error`), or the answer was no event stream at all (`not-event-stream`, e.g. a
 * proxy rewrote it).
 *
 * @example
 * ```ts
 * import type { ValidationFallbackReason } from '@handshake/client';
 *
 * const proxyInTheWay = (reason: ValidationFallbackReason) => reason === 'not-event-stream';
 * ```
 */
export type ValidationFallbackReason =
  | 'ended'
  | 'network'
  | 'heartbeat'
  | 'server-error'
  | 'not-event-stream';

/**
 * Progress of {@link SpendClient.validateTransaction}, for logs and interfaces. Never
 * carries a token.
 *
 * @example
 * ```ts
 * import type { ValidationStatus } from '@handshake/client';
 *
 * const show = (status: ValidationStatus) => {
 *   if (status.status === 'pending') console.log(`asking the user (${status.reasons.join(', ')})`);
 * };
 * ```
 */
export type ValidationStatus =
  | { status: 'validating'; merchantName: string; amount: Money }
  | {
      status: 'pending';
      authorizationId: string;
      transactionId: string;
      /** The deadline of the person's decision. */
      expiresAt: string | undefined;
      /** The limits exceeded (`daily`, `transaction`, …), or `tier`. */
      reasons: readonly string[];
      message: string;
    }
  | { status: 'polling'; authorizationId: string; reason: ValidationFallbackReason }
  | {
      status: 'auto_approved' | 'approved' | 'denied' | 'expired' | 'timeout';
      authorizationId: string;
      transactionId: string;
    };

/**
 * Options of {@link SpendClient.validateTransaction}; unset waits take the client's
 * `waiter` defaults.
 *
 * @example
 * ```ts
 * import type { ValidateTransactionOptions } from '@handshake/client';
 *
 * const options: ValidateTransactionOptions = {
 *   signal: AbortSignal.timeout(300_000),
 *   onStatus: (status) => console.log(status.status),
 *   pollIntervalMs: 1_000,
 * };
 * ```
 */
export interface ValidateTransactionOptions extends RequestOptions {
  /** Hears each step. Exceptions thrown here are ignored. */
  onStatus?: (status: ValidationStatus) => void;
  /** A stream silent (not even a heartbeat) this long is given up for polling (45 s). */
  heartbeatTimeoutMs?: WaitOptions['heartbeatTimeoutMs'];
  /** Pause between `authorization-status` reads when polling (2 s). */
  pollIntervalMs?: WaitOptions['pollIntervalMs'];
  /** Timer functions (default the runtime's); tests inject faster ones. */
  timers?: Timers;
}

/**
 * An approved validation: the single-use validation token that makes the card, and the
 * purchase it is bound to. Its fields are named as {@link CreateVirtualCardInput}'s, so
 * it can be passed to `createVirtualCard` as it is. Keep the token out of logs.
 *
 * @example
 * ```ts
 * import type { SpendClient, ValidatedTransaction } from '@handshake/client';
 * declare const spend: SpendClient;
 *
 * const validation: ValidatedTransaction = await spend.validateTransaction({
 *   merchant: 'Example Books',
 *   amount: '30.00',
 *   currency: 'USD',
 * });
 * console.log(validation.status, validation.transactionAmount, validation.expiresAt);
 * ```
 */
export interface ValidatedTransaction {
  /** `auto_approved` within every limit; `approved` by a person or an approver. */
  status: 'auto_approved' | 'approved';
  validationToken: string;
  /** The approval's id, or the transaction id when auto-approved. */
  authorizationId: string;
  /** The transaction the card's signature covers. */
  transactionId: string;
  /** When the validation token lapses (30 s by default): make the card before. */
  expiresAt: string | undefined;
  merchantName: string;
  /** The merchant categories the validation named (absent: any). */
  merchantCategories?: string[];
  /** The validated amount, with the currency's decimals (`"30.00"`). */
  transactionAmount: string;
  transactionCurrency: string;
  message: string;
}

/**
 * The state of a validation that waits for a person
 * (`GET /api/mcp/authorization-status?id=`). Once approved, each read issues a fresh
 * validation token and retires the previous one: use the latest.
 *
 * @example
 * ```ts
 * import type { AuthorizationStatus, SpendClient } from '@handshake/client';
 * declare const spend: SpendClient;
 *
 * const state: AuthorizationStatus = await spend.authorizationStatus('apr_0123456789abcdef_x');
 * if (state.status === 'denied') console.log(state.reason);
 * ```
 */
export interface AuthorizationStatus {
  status: 'pending' | 'approved' | 'denied' | 'expired' | 'withdrawn';
  authorizationId: string;
  transactionId: string;
  /** Present when approved and no card was made yet. */
  validationToken: string | undefined;
  /** The decision deadline while pending; the token's expiry once approved. */
  expiresAt: string | undefined;
  /** The person's reason, if they gave one. */
  reason: string | undefined;
  message: string;
}

/**
 * A card to create from an approved validation (`POST /api/mcp/create-virtual-card`).
 * `merchantName`, `transactionAmount` and `transactionCurrency` must be what was
 * validated; the card may be smaller (`cardAmount`), or in another currency at the
 * service's rate, never larger. A {@link ValidatedTransaction} is one as it is.
 *
 * @example
 * ```ts
 * import type { CreateVirtualCardInput, ValidatedTransaction } from '@handshake/client';
 * declare const validation: ValidatedTransaction;
 *
 * // A card for 24.99 of the 30.00 validated.
 * const input: CreateVirtualCardInput = { ...validation, cardAmount: '24.99', agentName: 'shopper' };
 * ```
 */
export interface CreateVirtualCardInput {
  validationToken: string;
  transactionId: string;
  merchantName: string;
  transactionAmount: string | number;
  transactionCurrency: string;
  /** The merchant categories the validation named, if any (in any order). */
  merchantCategories?: string[];
  /** Default: the whole validated amount. */
  cardAmount?: string | number;
  /** Default: `transactionCurrency`; another currency needs `cardAmount`. */
  cardCurrency?: string;
  /** Units of `cardCurrency` per unit of `transactionCurrency`; must be the service's rate. */
  exchangeRate?: string | number;
  agentName?: string;
}

/**
 * The card a checkout charges: a {@link CardCreationResponse} as it is, or its number,
 * CVC and expiry.
 *
 * @example
 * ```ts
 * import type { CheckoutCard } from '@handshake/client';
 * import type { CardCreationResponse } from '@handshake/protocol/cards';
 * declare const created: CardCreationResponse;
 *
 * const card: CheckoutCard = created;
 * ```
 */
export interface CheckoutCard {
  cardNumber: string;
  cvc: string;
  expMonth: number;
  expYear: number;
  /** The card's currency, used to write `amount` exactly. */
  currency?: string;
  /** The cardholder; the checkout's default `customer`. */
  customer?: CustomerDetails;
}

/**
 * A simulated merchant checkout (`POST /api/mcp/mock-checkout`).
 *
 * @example
 * ```ts
 * import type { MockCheckoutInput } from '@handshake/client';
 * import type { CardCreationResponse } from '@handshake/protocol/cards';
 * declare const card: CardCreationResponse;
 *
 * const input: MockCheckoutInput = { card, amount: '24.99', product: { name: 'A field guide to birds' } };
 * ```
 */
export interface MockCheckoutInput {
  card: CheckoutCard;
  /** Default: the card's `customer`. */
  customer?: CustomerDetails;
  /** Default: the card's whole spending limit. */
  amount?: string | number;
  /** Default: the card's currency (another is refused). */
  currency?: string;
  /**
   * The merchant charging the card (default: the one it was issued for). A card is
   * locked to its merchant: another is declined.
   */
  merchant?: string | { name: string; category?: string };
  product?: ProductContext;
}

/**
 * The spend API (`/api/mcp`, docs/spend-api.md) of a Handshake service: spending
 * limits, purchase validation that waits for the user over Server-Sent Events, and
 * single-use virtual cards. Reached as `client.spend`; every failure is a
 * `HandshakeError` as for the rest of the client, and a malformed answer a
 * `HandshakeResponseError`. Messages never contain a token or a card number.
 *
 * @example
 * ```ts
 * import { createHandshakeClient } from '@handshake/client';
 *
 * const client = createHandshakeClient({
 *   baseUrl: 'https://handshake.example.com',
 *   session: 'dev-token-alice',
 *   signer: { keyId: 'laptop', privateKey: 'base64url-seed-of-32-bytes' },
 * });
 * const limits = await client.spend.limits();
 * console.log(limits.daily?.remaining);
 * const validation = await client.spend.validateTransaction({ merchant: 'Example Books', amount: '30.00', currency: 'USD' });
 * const card = await client.spend.createVirtualCard(validation);
 * const order = await client.spend.mockCheckout({ card });
 * console.log(order.status, card.last4);
 * ```
 */
export interface SpendClient {
  /**
   * `GET /api/mcp/info`: the service's name, version and endpoints. Needs no session.
   *
   * @example
   * ```ts
   * import type { HandshakeClient } from '@handshake/client';
   * declare const client: HandshakeClient;
   *
   * const info = await client.spend.info();
   * for (const endpoint of info.endpoints) console.log(endpoint.method, endpoint.path);
   * ```
   */
  info(options?: RequestOptions): Promise<SpendApiInfo>;

  /**
   * `GET /api/mcp/limits`: the user's limits and what remains of each, reservations of
   * validations not yet turned into cards included. A window that is not configured is
   * absent.
   *
   * @example
   * ```ts
   * import type { HandshakeClient } from '@handshake/client';
   * declare const client: HandshakeClient;
   *
   * const limits = await client.spend.limits();
   * if (limits.daily) console.log(`${limits.daily.remaining} ${limits.daily.currency} left today`);
   * ```
   */
  limits(options?: RequestOptions): Promise<SpendLimitsResponse>;

  /**
   * Validates a purchase. Within every limit the service answers at once
   * (`auto_approved`); otherwise it asks the user and this waits on the answer's event
   * stream for the decision, falling back to polling `authorization-status` when the
   * stream breaks, goes silent or is rewritten by a proxy. Resolves with the validation
   * token once approved. A denial throws `APPROVAL_DENIED`, an approval that lapsed
   * `APPROVAL_EXPIRED`, and no decision within `timeout` seconds `TIMEOUT` (the
   * authorization stays pending: its id is in the message and in the `pending` status,
   * for {@link SpendClient.authorizationStatus}). Nothing is retried after the service
   * answered; a lost request is retried as `authorize` is.
   *
   * @example
   * ```ts
   * import { HandshakeError, type HandshakeClient } from '@handshake/client';
   * declare const client: HandshakeClient;
   *
   * try {
   *   const validation = await client.spend.validateTransaction(
   *     { merchant: 'Example Audio', amount: '180.00', currency: 'USD', timeout: 120 },
   *     { onStatus: (status) => console.log(status.status) },
   *   );
   *   console.log(validation.status); // 'auto_approved' or 'approved'
   * } catch (error) {
   *   if (HandshakeError.isInstance(error) && error.code === 'APPROVAL_DENIED') {
   *     // the user said no
   *   }
   * }
   * ```
   */
  validateTransaction(
    input: ValidateTransactionInput,
    options?: ValidateTransactionOptions,
  ): Promise<ValidatedTransaction>;

  /**
   * Reads a validation that waits for a person, by its `authorizationId`.
   *
   * @example
   * ```ts
   * import type { HandshakeClient } from '@handshake/client';
   * declare const client: HandshakeClient;
   *
   * const state = await client.spend.authorizationStatus('apr_0123456789abcdef_x');
   * if (state.status === 'approved' && state.validationToken) {
   *   // make the card with the latest token
   * }
   * ```
   */
  authorizationStatus(
    authorizationId: string,
    options?: RequestOptions,
  ): Promise<AuthorizationStatus>;

  /**
   * Creates the single-use virtual card of an approved validation, consuming its token.
   * The request is signed with the client's signer (Ed25519 over
   * `canonicalize({ tool: 'create_virtual_card', paramsHash, transactionId })`, where the
   * parameters are the merchant and the validated amount). After a lost response it is
   * re-sent only as the byte-identical request, which the service answers with the same
   * card (`replayed: true`): never a second card. The answer holds the card number and
   * CVC: show only `last4`.
   *
   * @example
   * ```ts
   * import type { HandshakeClient } from '@handshake/client';
   * declare const client: HandshakeClient;
   *
   * const validation = await client.spend.validateTransaction({ merchant: 'Example Books', amount: '30.00', currency: 'USD' });
   * const card = await client.spend.createVirtualCard(validation);
   * console.log(`card ending ${card.last4}, expires ${card.expMonth}/${card.expYear}`);
   * ```
   */
  createVirtualCard(
    input: CreateVirtualCardInput,
    options?: RequestOptions,
  ): Promise<CardCreationResponse>;

  /**
   * Charges a card at the simulated merchant checkout. Never retried: a charge is not
   * repeatable, and a card is charged once.
   *
   * @example
   * ```ts
   * import type { HandshakeClient } from '@handshake/client';
   * import type { CardCreationResponse } from '@handshake/protocol/cards';
   * declare const client: HandshakeClient;
   * declare const card: CardCreationResponse;
   *
   * const order = await client.spend.mockCheckout({ card, product: { name: 'A field guide to birds' } });
   * console.log(order.order_id, order.payment.last4, order.receipt.total);
   * ```
   */
  mockCheckout(input: MockCheckoutInput, options?: RequestOptions): Promise<CheckoutResponse>;
}

/** What the spend client needs of the client that holds it. */
export interface SpendClientContext {
  transport: Transport;
  /** The spend API's path under the base URL, e.g. `api/mcp`. */
  basePath: string;
  signer: ResolvedSigner | undefined;
  /** The client's waiter defaults. */
  waiter: Omit<WaitOptions, 'signal' | 'onEvent'> | undefined;
  /** Per-request deadline, for reading a JSON answer. */
  requestTimeoutMs: number | false;
}

/** Normalizes a spend API base path: no leading or trailing slash. */
export function spendBasePath(path: string | undefined): string {
  const out = (path ?? '/api/mcp').replace(/^\/+|\/+$/g, '');
  if (/[?#]/.test(out)) throw new TypeError('spendBasePath must be a path without query or hash');
  return out;
}

/** The spend API client behind `client.spend`. */
export class SpendApi implements SpendClient {
  readonly #context: SpendClientContext;

  constructor(context: SpendClientContext) {
    this.#context = context;
  }

  #path(endpoint: string): string {
    const base = this.#context.basePath;
    return base === '' ? endpoint : `${base}/${endpoint}`;
  }

  /** Reads `endpoint` (with its query), its answer read by `parse`. */
  #read<T>(
    operation: string,
    endpoint: string,
    options: RequestOptions,
    parse: TransportRequest<T>['parse'],
  ): Promise<T> {
    return this.#context.transport.send({
      operation,
      method: 'GET',
      path: this.#path(endpoint),
      policy: 'read',
      signal: options.signal,
      parse,
    });
  }

  info(options: RequestOptions = {}): Promise<SpendApiInfo> {
    return this.#read('Spend API info', 'info', options, (body, context) =>
      parseAnswer(SpendApiInfoSchema, body, context),
    );
  }

  limits(options: RequestOptions = {}): Promise<SpendLimitsResponse> {
    return this.#read('Spending limits', 'limits', options, (body, context) =>
      parseAnswer(SpendLimitsResponseSchema, body, context),
    );
  }

  authorizationStatus(
    authorizationId: string,
    options: RequestOptions = {},
  ): Promise<AuthorizationStatus> {
    if (
      typeof authorizationId !== 'string' ||
      authorizationId === '' ||
      authorizationId.length > 200
    ) {
      return Promise.reject(
        invalid('authorizationId', 'authorizationId is required (at most 200 characters)'),
      );
    }
    return this.#read(
      `Authorization status of ${authorizationId}`,
      `authorization-status?id=${encodeURIComponent(authorizationId)}`,
      options,
      answerAbout(AuthorizationStatusResponseSchema, {
        differs: (answer) => answer.authorization_id !== authorizationId,
        path: 'authorization_id',
        message: 'the answer is about another authorization',
        detail: 'differs from the one requested',
      }),
    ).then((answer) => ({
      status: answer.status,
      authorizationId: answer.authorization_id,
      transactionId: answer.transaction_id,
      validationToken: answer.validation_token,
      expiresAt: answer.expires_at,
      reason: answer.reason,
      message: answer.message,
    }));
  }

  async createVirtualCard(
    input: CreateVirtualCardInput,
    options: RequestOptions = {},
  ): Promise<CardCreationResponse> {
    checkInput(input, 'the card request');
    const validationToken = requiredString(input.validationToken, 'validationToken', 256);
    const transactionId = requiredString(input.transactionId, 'transactionId', 128);
    const merchantName = merchantOf(input.merchantName, 'merchantName');
    const transactionCurrency = currencyOf(input.transactionCurrency, 'transactionCurrency');
    const transactionAmount = exactAmount(
      input.transactionAmount,
      transactionCurrency,
      'transactionAmount',
    );
    const cardCurrency =
      input.cardCurrency === undefined
        ? transactionCurrency
        : currencyOf(input.cardCurrency, 'cardCurrency');
    if (input.cardAmount === undefined && cardCurrency !== transactionCurrency) {
      throw invalid('cardAmount', 'cardAmount is required for a card in another currency');
    }
    const cardAmount = exactAmount(
      input.cardAmount ?? transactionAmount,
      cardCurrency,
      'cardAmount',
    );
    const { exchangeRate } = input;
    if (
      exchangeRate !== undefined &&
      !(typeof exchangeRate === 'number' && exchangeRate > 0) &&
      !(typeof exchangeRate === 'string' && /^\d{1,12}(\.\d{1,12})?$/.test(exchangeRate))
    ) {
      throw invalid('exchangeRate', 'exchangeRate must be a positive decimal');
    }
    const agentName = agentNameOf(input.agentName, 'agentName');
    const merchantCategories = merchantCategoriesOf(input.merchantCategories, 'merchantCategories');
    // The parameters the validation authorized: the execute signature covers their hash.
    const parameters = cardPurchaseParameters(
      merchantName,
      transactionAmount,
      transactionCurrency,
      merchantCategories,
    );
    const signature = this.#context.signer?.sign({
      tool: CREATE_VIRTUAL_CARD,
      parameters,
      transactionId,
    });
    return this.#context.transport.send({
      operation: 'Create virtual card',
      method: 'POST',
      path: this.#path('create-virtual-card'),
      // Serialized once: a retry re-sends these exact bytes, which the service answers
      // with the card it already made.
      json: {
        validation_token: validationToken,
        merchant_name: merchantName,
        transaction_amount: transactionAmount,
        transaction_currency: transactionCurrency,
        card_amount: cardAmount,
        card_currency: cardCurrency,
        ...(exchangeRate !== undefined ? { exchange_rate: String(exchangeRate) } : {}),
        ...(agentName !== undefined ? { agent_name: agentName } : {}),
        ...(merchantCategories !== undefined ? { merchant_categories: merchantCategories } : {}),
        transaction_id: transactionId,
        ...(signature ? { signature } : {}),
      },
      policy: 'execute',
      signal: options.signal,
      secrets: [validationToken],
      parse: answerAbout(CardCreationResponseSchema, {
        differs: (card) =>
          card.transactionId !== transactionId || card.merchantName !== merchantName,
        path: 'transactionId',
        message: 'the card is for another purchase',
        detail: 'differs from the validated purchase',
      }),
    });
  }

  async mockCheckout(
    input: MockCheckoutInput,
    options: RequestOptions = {},
  ): Promise<CheckoutResponse> {
    checkInput(input, 'the checkout');
    const card = input.card;
    if (typeof card !== 'object' || card === null) {
      throw invalid('card', 'card is required (the answer of createVirtualCard)');
    }
    const cardNumber = requiredString(card.cardNumber, 'card.cardNumber', 32);
    const cvc = requiredString(card.cvc, 'card.cvc', 8);
    if (!Number.isInteger(card.expMonth) || !Number.isInteger(card.expYear)) {
      throw invalid('card.expMonth', 'card.expMonth and card.expYear must be whole numbers');
    }
    const customer = input.customer ?? card.customer;
    if (typeof customer !== 'object' || customer === null) {
      throw invalid('customer', 'customer is required when the card carries none');
    }
    const currency =
      input.currency !== undefined ? currencyOf(input.currency, 'currency') : card.currency;
    let amount: string | number | undefined = input.amount;
    if (amount !== undefined && currency !== undefined) {
      amount = exactAmount(amount, currency, 'amount');
    }
    if (input.product !== undefined && !ProductContextSchema.safeParse(input.product).success) {
      throw invalid('product', 'product must be a JSON object of at most 32 fields');
    }
    return this.#context.transport.send({
      operation: 'Mock checkout',
      method: 'POST',
      path: this.#path('mock-checkout'),
      json: {
        card_details: {
          card_number: cardNumber,
          cvc,
          exp_month: card.expMonth,
          exp_year: card.expYear,
        },
        customer_details: customerDetails(customer),
        ...(amount !== undefined ? { amount } : {}),
        ...(input.currency !== undefined ? { currency } : {}),
        ...(input.merchant !== undefined
          ? {
              merchant:
                typeof input.merchant === 'string' ? { name: input.merchant } : input.merchant,
            }
          : {}),
        ...(input.product !== undefined ? { product: input.product } : {}),
      },
      policy: 'none',
      signal: options.signal,
      secrets: [cardNumber, cvc],
      parse: (body, context) => parseAnswer(CheckoutResponseSchema, body, context),
    });
  }

  validateTransaction(
    input: ValidateTransactionInput,
    options: ValidateTransactionOptions = {},
  ): Promise<ValidatedTransaction> {
    return validateTransaction(
      {
        transport: this.#context.transport,
        path: this.#path('validate-transaction'),
        waiter: this.#context.waiter,
        requestTimeoutMs: this.#context.requestTimeoutMs,
        readStatus: (id, signal) => this.authorizationStatus(id, { signal }),
      },
      input,
      options,
    );
  }
}
