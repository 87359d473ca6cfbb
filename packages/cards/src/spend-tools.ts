import {
  type Awaitable,
  compareRates,
  type ExchangeRateProviderV1,
  isExchangeRate,
  rateForCallerAmount,
  type ToolContext,
  type ToolDefinition,
  type ToolProviderV1,
  UnsupportedSpecificationVersionError,
} from '@handshake/core';
import {
  currencyExponent,
  formatMoney,
  HandshakeError,
  type Money,
  parseMoney,
} from '@handshake/protocol';
import {
  type CardCreationResponse,
  type CardPurchaseParameters,
  CardPurchaseParametersSchema,
  CREATE_VIRTUAL_CARD,
  type CustomerDetails,
  CustomerDetailsSchema,
  cardMerchant,
} from '@handshake/protocol/cards';
import type { CardIssuerV1, IssuedCard } from './card-issuer.js';
import { withFieldPath } from './field-path.js';

/**
 * The largest card a validated amount pays for, in minor units of `cardCurrency`:
 * `validatedMinor × rate`, rounded down, so a card never exceeds what was validated.
 *
 * @example
 * ```ts
 * import { maxCardMinor } from '@handshake/cards';
 *
 * maxCardMinor(5000n, 'EUR', 'USD', '1.0850'); // 5425n: 50.00 EUR buys a card of 54.25 USD
 * ```
 */
export function maxCardMinor(
  validatedMinor: bigint,
  from: string,
  to: string,
  rate: string,
): bigint {
  const match = /^(\d{1,12})(?:\.(\d{1,12}))?$/.exec(rate);
  if (!match || !isExchangeRate(rate)) {
    throw new HandshakeError(
      'PROVIDER_ERROR',
      `Exchange rate ${from}/${to} is not a positive decimal`,
    );
  }
  const fraction = match[2] ?? '';
  let top = validatedMinor * BigInt(`${match[1]}${fraction}`);
  let bottom = 10n ** BigInt(fraction.length);
  const shift = currencyExponent(to) - currencyExponent(from);
  if (shift >= 0) top *= 10n ** BigInt(shift);
  else bottom *= 10n ** BigInt(-shift);
  return top / bottom;
}

/**
 * The card a route asks for, checked against the validated amount. The spend API hands
 * it to the tool as the execution's terms (`CallerContext.terms`, read back as
 * `ToolContext.terms`); without terms the card is for the whole validated amount.
 *
 * @example
 * ```ts
 * import type { CardTerms } from '@handshake/cards';
 *
 * const terms: CardTerms = {
 *   spendingLimit: { value: '54.25', currency: 'USD' },
 *   exchangeRate: '1.0850', // validated in EUR, card in USD
 *   agentName: 'shopping-assistant',
 * };
 * ```
 */
export interface CardTerms {
  /** The card's spending limit. */
  spendingLimit: Money;
  /** Units of the card's currency per unit of the validated currency, when they differ. */
  exchangeRate?: string;
  agentName?: string;
}

/**
 * Options of {@link spendTools}.
 *
 * @example
 * ```ts
 * import { spendTools, type SpendToolsOptions } from '@handshake/cards';
 * import { simulatedCardIssuer } from '@handshake/cards/testing';
 * import { simulatedExchangeRates } from '@handshake/core';
 *
 * const options: SpendToolsOptions = {
 *   issuer: simulatedCardIssuer(),
 *   exchangeRates: simulatedExchangeRates(),
 *   customer: (userId) => ({ name: `Customer ${userId}` }),
 * };
 * const tools = spendTools(options);
 * ```
 */
export interface SpendToolsOptions {
  /** Issues the cards. */
  issuer: CardIssuerV1;
  /**
   * Converts a validated amount to a card in another currency. Give it the same
   * (cached) provider as the engine, so a card is converted at the rate its validation
   * was counted at. Without it, a card must be in the validated currency.
   */
  exchangeRates?: ExchangeRateProviderV1;
  /** The cardholder's details returned with each card (default: a fixed test customer). */
  customer?: (userId: string) => Awaitable<CustomerDetails>;
}

/**
 * The card-purchase tool provider, with what the spend API routes need of it.
 *
 * @example
 * ```ts
 * import { type SpendTools, spendTools } from '@handshake/cards';
 * import { simulatedCardIssuer } from '@handshake/cards/testing';
 *
 * const tools: SpendTools = spendTools({ issuer: simulatedCardIssuer() });
 * const definitions = await tools.listTools(); // [{ name: 'create_virtual_card', tier: 'CONFIDENTIAL', … }]
 * ```
 */
export interface SpendTools extends ToolProviderV1 {
  readonly issuer: CardIssuerV1;
  /**
   * Checks a requested card against the validated purchase, before the validation
   * token is touched: `LIMIT_EXCEEDED` when the card would exceed the validated
   * amount, `VALIDATION_ERROR` for a stated `exchange_rate` that differs from the
   * service's rate or a currency that cannot be converted.
   */
  cardTerms(
    purchase: CardPurchaseParameters,
    card: { amount: number | string; currency: string; exchangeRate?: number | string },
    agentName?: string,
  ): Promise<CardTerms>;
}

/**
 * The test cardholder returned when no `customer` function is configured (fictitious).
 *
 * @example
 * ```ts
 * import { spendTools, TEST_CUSTOMER } from '@handshake/cards';
 * import { simulatedCardIssuer } from '@handshake/cards/testing';
 *
 * const spend = spendTools({
 *   issuer: simulatedCardIssuer(),
 *   customer: (userId) => ({ ...TEST_CUSTOMER, name: `Customer ${userId}` }),
 * });
 * ```
 */
export const TEST_CUSTOMER: CustomerDetails = Object.freeze({
  name: 'Test Customer',
  email: 'customer@example.com',
  phone: '+1 555 010 0000',
  billing_address: {
    line1: '1 Example Street',
    city: 'Springfield',
    state: 'IL',
    postal_code: '62701',
    country: 'US',
  },
  shipping_address: {
    line1: '1 Example Street',
    city: 'Springfield',
    state: 'IL',
    postal_code: '62701',
    country: 'US',
  },
}) as CustomerDetails;

const PARAMETERS_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['merchant_name', 'amount'],
  properties: {
    merchant_name: { type: 'string', minLength: 1, maxLength: 200 },
    amount: {
      type: 'object',
      additionalProperties: false,
      required: ['value', 'currency'],
      properties: {
        value: { type: 'string', pattern: '^\\d{1,18}(\\.\\d{1,4})?$' },
        currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      },
    },
    merchant_categories: {
      type: 'array',
      minItems: 1,
      maxItems: 32,
      uniqueItems: true,
      items: { type: 'string', pattern: '^[a-z0-9_]{1,100}$' },
    },
  },
} as const;

/**
 * The card-purchase tool: one tool, `create_virtual_card` (CONFIDENTIAL: strict
 * schema, and the INTERNAL tier's Ed25519 signature at execute), whose parameters are
 * `{ merchant_name, amount: { value, currency }, merchant_categories? }`. It declares its amount and payee,
 * so spending limits apply: authorizing it (a validation) reserves the amount, and a
 * purchase over a limit waits for a person. Executing it issues a single-use card for
 * the validated amount through the {@link CardIssuerV1}; the spend API's
 * `create-virtual-card` may ask for a smaller card, or one in another currency at the
 * service's rate, never a larger one.
 *
 * Register it with the engine and mount `spendApiRoutes` on the handler.
 *
 * @example
 * ```ts
 * import { spendTools } from '@handshake/cards';
 * import { simulatedCardIssuer } from '@handshake/cards/testing';
 * import { createHandshake } from '@handshake/core';
 *
 * const spend = spendTools({ issuer: simulatedCardIssuer() });
 * const engine = createHandshake({
 *   tools: [spend],
 *   limits: { currency: 'USD', daily: '1000.00', transaction: '500.00' },
 * });
 * ```
 */
export function spendTools(options: SpendToolsOptions): SpendTools {
  const issuer = UnsupportedSpecificationVersionError.check('card issuer', options.issuer);
  UnsupportedSpecificationVersionError.check('exchange rate provider', options.exchangeRates);
  const customerOf = options.customer ?? (() => TEST_CUSTOMER);
  const definition: ToolDefinition = {
    name: CREATE_VIRTUAL_CARD,
    description:
      'Issue a single-use virtual card for one validated purchase: the merchant and amount ' +
      'are bound to the validation; the card cannot be charged more than was validated and ' +
      'stops working after five minutes.',
    tier: 'CONFIDENTIAL',
    inputSchema: CardPurchaseParametersSchema,
    jsonSchema: PARAMETERS_JSON_SCHEMA,
    amount: (parameters) => (parameters as CardPurchaseParameters).amount,
    payee: (parameters) => (parameters as CardPurchaseParameters).merchant_name,
    // The last four digits of the card, no more: anything else is left out of the audit.
    auditAttributes: (result) => {
      const last4 = (result as { last4?: unknown } | null)?.last4;
      return typeof last4 === 'string' && /^\d{4}$/.test(last4) ? { cardLast4: last4 } : undefined;
    },
    annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: true },
  };

  const cardTerms: SpendTools['cardTerms'] = async (purchase, card, agentName) => {
    const validatedMinor = parseMoney(purchase.amount.value, purchase.amount.currency);
    const cardMinor = withFieldPath('card_amount', () => parseMoney(card.amount, card.currency));
    let stated: string | undefined;
    if (card.exchangeRate !== undefined) {
      stated =
        typeof card.exchangeRate === 'number' ? String(card.exchangeRate) : card.exchangeRate;
      if (!isExchangeRate(stated)) {
        throw new HandshakeError('VALIDATION_ERROR', 'exchange_rate must be a positive decimal', {
          path: 'exchange_rate',
        });
      }
    }
    let rate: string | undefined;
    let maxMinor = validatedMinor;
    if (card.currency !== purchase.amount.currency) {
      if (!options.exchangeRates) {
        throw new HandshakeError(
          'VALIDATION_ERROR',
          `card_currency must be ${purchase.amount.currency}: no exchange rates are configured`,
          { path: 'card_currency' },
        );
      }
      rate = (
        await rateForCallerAmount(
          options.exchangeRates,
          purchase.amount.currency,
          card.currency,
          'card_currency',
        )
      ).rate;
      maxMinor = maxCardMinor(validatedMinor, purchase.amount.currency, card.currency, rate);
    }
    if (stated !== undefined && compareRates(stated, rate ?? '1') !== 0) {
      throw new HandshakeError(
        'VALIDATION_ERROR',
        `exchange_rate differs from the rate in force for ${purchase.amount.currency}/${card.currency} (${rate ?? '1'})`,
        { path: 'exchange_rate' },
      );
    }
    if (cardMinor > maxMinor) {
      throw new HandshakeError(
        'LIMIT_EXCEEDED',
        `card_amount exceeds the validated amount (at most ${formatMoney(maxMinor, card.currency)} ${card.currency})`,
      );
    }
    return {
      spendingLimit: { value: formatMoney(cardMinor, card.currency), currency: card.currency },
      ...(rate !== undefined ? { exchangeRate: rate } : {}),
      ...(agentName !== undefined ? { agentName } : {}),
    };
  };

  const execute = async (
    name: string,
    parameters: unknown,
    context: ToolContext,
  ): Promise<CardCreationResponse> => {
    if (name !== CREATE_VIRTUAL_CARD) {
      throw new HandshakeError('TOOL_NOT_ALLOWED', `Tool ${name} is not allowed`);
    }
    const purchase = CardPurchaseParametersSchema.parse(parameters);
    const terms = termsOf(context.terms) ?? { spendingLimit: purchase.amount };
    // The route checked these before consuming the token; checked again here so no
    // path can issue a card above the validated amount.
    const validatedMinor = parseMoney(purchase.amount.value, purchase.amount.currency);
    const limitMinor = parseMoney(terms.spendingLimit.value, terms.spendingLimit.currency);
    const maxMinor =
      terms.spendingLimit.currency === purchase.amount.currency
        ? validatedMinor
        : terms.exchangeRate !== undefined
          ? maxCardMinor(
              validatedMinor,
              purchase.amount.currency,
              terms.spendingLimit.currency,
              terms.exchangeRate,
            )
          : -1n;
    if (limitMinor > maxMinor) {
      throw new HandshakeError('PROVIDER_ERROR', 'The card would exceed the validated amount');
    }
    const customer = CustomerDetailsSchema.parse(await customerOf(context.userId));
    const card: IssuedCard = await issuer.issueCard({
      userId: context.userId,
      transactionId: context.transactionId,
      ...cardMerchant(purchase.merchant_name, purchase.merchant_categories),
      spendingLimit: terms.spendingLimit,
      customer,
      signal: context.signal,
    });
    return {
      cardId: card.cardId,
      cardNumber: card.cardNumber,
      cvc: card.cvc,
      expMonth: card.expMonth,
      expYear: card.expYear,
      expiresAt: new Date(card.expiresAt).toISOString(),
      spendingLimit: card.spendingLimit.value,
      currency: card.spendingLimit.currency,
      last4: card.last4,
      brand: card.brand,
      customer,
      merchantName: purchase.merchant_name,
      transactionId: context.transactionId,
      transactionAmount: purchase.amount,
      ...(terms.exchangeRate !== undefined ? { exchangeRate: terms.exchangeRate } : {}),
      ...(terms.agentName !== undefined ? { agentName: terms.agentName } : {}),
    };
  };

  return {
    specificationVersion: 'v1',
    issuer,
    listTools: () => [definition],
    execute,
    cardTerms,
  };
}

/** The card terms an execution carries, or none; anything else is refused. */
function termsOf(terms: unknown): CardTerms | undefined {
  if (terms === undefined) return undefined;
  const candidate = terms as Partial<CardTerms> | null;
  const limit = candidate?.spendingLimit;
  if (
    typeof limit?.value !== 'string' ||
    typeof limit.currency !== 'string' ||
    (candidate?.exchangeRate !== undefined && typeof candidate.exchangeRate !== 'string') ||
    (candidate?.agentName !== undefined && typeof candidate.agentName !== 'string')
  ) {
    throw new HandshakeError('PROVIDER_ERROR', 'The card terms of this execution are malformed');
  }
  return candidate as CardTerms;
}
