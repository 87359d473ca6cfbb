// Checks of what a caller hands the spend client, before anything is sent: a bad field
// is a VALIDATION_ERROR naming the caller's field, and amounts become exact decimal
// strings (never floats) with the currency's decimals.

import { formatMoney, HandshakeError, type Money, parseMoney } from '@handshake/protocol';
import {
  AgentNameSchema,
  CurrencyCodeSchema,
  type CustomerDetails,
  MerchantCategoriesSchema,
  MerchantNameSchema,
  ProductContextSchema,
} from '@handshake/protocol/cards';
import type { ValidateTransactionInput } from './spend-client.js';

/** A `VALIDATION_ERROR` naming the caller's field. */
export function invalid(path: string, message: string, cause?: unknown): HandshakeError {
  return new HandshakeError('VALIDATION_ERROR', message, {
    path,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Refuses an `input` that is not an object; `what` names it (`the purchase`). */
export function checkInput(input: unknown, what: string): asserts input is object {
  if (typeof input !== 'object' || input === null) {
    throw invalid('input', `${what} must be an object`);
  }
}

/** The amount with exactly the currency's decimals; a bad amount names `path`. */
export function exactAmount(value: unknown, currency: string, path: string): string {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw invalid(path, `${path} must be a decimal string such as "12.34" or a number`);
  }
  try {
    return formatMoney(parseMoney(value, currency), currency);
  } catch (error) {
    if (HandshakeError.isInstance(error) && error.code === 'VALIDATION_ERROR') {
      throw invalid(path, `${path}: ${error.message}`, error);
    }
    throw error;
  }
}

/** An ISO 4217 code, or a `VALIDATION_ERROR` naming `path`. */
export function currencyOf(value: unknown, path: string): string {
  if (!CurrencyCodeSchema.safeParse(value).success) {
    throw invalid(path, `${path} must be an ISO 4217 code such as "USD"`);
  }
  return value as string;
}

/** Merchant categories as the spend API accepts them (absent: any), or a `VALIDATION_ERROR`. */
export function merchantCategoriesOf(value: unknown, path: string): string[] | undefined {
  if (value === undefined) return undefined;
  const parsed = MerchantCategoriesSchema.safeParse(value);
  if (!parsed.success) {
    throw invalid(
      path,
      `${path} must be 1 to 32 distinct category names such as "book_stores" (lowercase letters, digits, underscores)`,
    );
  }
  return parsed.data;
}

/** A merchant name as the spend API accepts it, or a `VALIDATION_ERROR`. */
export function merchantOf(value: unknown, path: string): string {
  if (!MerchantNameSchema.safeParse(value).success) {
    throw invalid(
      path,
      `${path} must be 1 to 200 printable characters without leading or trailing spaces`,
    );
  }
  return value as string;
}

/** An optional agent name, or a `VALIDATION_ERROR`. */
export function agentNameOf(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (!AgentNameSchema.safeParse(value).success) {
    throw invalid(path, `${path} must be 1 to 100 printable characters`);
  }
  return value as string;
}

/** A non-empty string of at most `max` characters, or a `VALIDATION_ERROR`. */
export function requiredString(value: unknown, path: string, max: number): string {
  if (typeof value !== 'string' || value === '' || value.length > max) {
    throw invalid(path, `${path} is required (a string of at most ${max} characters)`);
  }
  return value;
}

/** The cardholder fields the checkout accepts, from a card's (lenient) `customer`. */
export function customerDetails(customer: CustomerDetails): CustomerDetails {
  const { name, email, phone, billing_address, shipping_address } = customer;
  return {
    name,
    ...(email !== undefined ? { email } : {}),
    ...(phone !== undefined ? { phone } : {}),
    ...(billing_address !== undefined ? { billing_address } : {}),
    ...(shipping_address !== undefined ? { shipping_address } : {}),
  };
}

const DEFAULT_VALIDATION_TIMEOUT_SECONDS = 60;

/** A purchase checked and written as the wire wants it. */
export interface CheckedValidation {
  body: Record<string, unknown>;
  merchantName: string;
  merchantCategories: string[] | undefined;
  amount: Money;
  timeoutSeconds: number;
}

/** Checks a purchase before anything is sent; amounts become exact decimal strings. */
export function checkValidation(input: ValidateTransactionInput): CheckedValidation {
  checkInput(input, 'the purchase');
  const merchantName = merchantOf(
    typeof input.merchant === 'string' ? input.merchant : input.merchant?.name,
    'merchant',
  );
  const currency = currencyOf(input.currency, 'currency');
  const value = exactAmount(input.amount, currency, 'amount');
  if (input.product !== undefined && !ProductContextSchema.safeParse(input.product).success) {
    throw invalid('product', 'product must be a JSON object of at most 32 fields');
  }
  const timeout = input.timeout;
  if (
    timeout !== undefined &&
    (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 10 || timeout > 300)
  ) {
    throw invalid('timeout', 'timeout must be whole seconds from 10 to 300');
  }
  const agentName = agentNameOf(input.agentName, 'agentName');
  const merchantCategories = merchantCategoriesOf(input.merchantCategories, 'merchantCategories');
  return {
    body: {
      merchant: { name: merchantName },
      amount: value,
      currency,
      ...(input.product !== undefined ? { product: input.product } : {}),
      ...(agentName !== undefined ? { agent_name: agentName } : {}),
      ...(merchantCategories !== undefined ? { merchant_categories: merchantCategories } : {}),
      ...(timeout !== undefined ? { timeout } : {}),
    },
    merchantName,
    merchantCategories,
    amount: { value, currency },
    timeoutSeconds: timeout ?? DEFAULT_VALIDATION_TIMEOUT_SECONDS,
  };
}
