import { z } from 'zod';
import { HandshakeError } from '../errors/handshake-error.js';
import { currencyExponent } from '../money/currencies.js';
import { formatMoney, parseMoney } from '../money/money.js';
import { MerchantCategoriesSchema, MerchantNameSchema } from './schemas.js';

/**
 * The tool a validation authorizes and a card creation executes.
 *
 * @example
 * ```ts
 * import { CREATE_VIRTUAL_CARD } from '@handshake/protocol/cards';
 *
 * CREATE_VIRTUAL_CARD; // 'create_virtual_card'
 * ```
 */
export const CREATE_VIRTUAL_CARD = 'create_virtual_card';

/**
 * The parameters of `create_virtual_card`: exactly what both `validate-transaction`
 * and `create-virtual-card` can reconstruct, so the parameters hash binds the merchant,
 * the amount and the merchant categories the card may be used at, if named. The amount
 * is in canonical form (`formatMoney`), so `30`, `30.0` and `"30.00"` all validate the
 * same purchase; the categories are sorted, so their order does not matter.
 *
 * @example
 * ```ts
 * import { CardPurchaseParametersSchema } from '@handshake/protocol/cards';
 *
 * CardPurchaseParametersSchema.safeParse({
 *   merchant_name: 'Example Books',
 *   amount: { value: '30.0', currency: 'USD' },
 * }).success; // false: the amount must be in canonical form, '30.00'
 * ```
 */
export const CardPurchaseParametersSchema = z
  .object({
    merchant_name: MerchantNameSchema,
    amount: z
      .object({
        value: z.string().regex(/^\d{1,18}(\.\d{1,4})?$/, 'a decimal string such as "12.34"'),
        currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "USD"'),
      })
      .strict(),
    merchant_categories: MerchantCategoriesSchema.optional(),
  })
  .strict()
  .superRefine((parameters, context) => {
    const categories = parameters.merchant_categories;
    if (categories?.some((category, i, list) => i > 0 && (list[i - 1] ?? '') >= category)) {
      context.addIssue({
        code: 'custom',
        path: ['merchant_categories'],
        message: 'list the categories in sorted order',
      });
    }
    const { value, currency } = parameters.amount;
    let canonical: string | undefined;
    try {
      canonical = formatMoney(parseMoney(value, currency), currency);
    } catch (error) {
      context.addIssue({
        code: 'custom',
        path: ['amount', 'value'],
        message: HandshakeError.isInstance(error) ? error.message : 'not a valid amount',
      });
      return;
    }
    if (canonical !== value) {
      context.addIssue({
        code: 'custom',
        path: ['amount', 'value'],
        message: `write the amount with exactly ${currencyExponent(currency)} decimal places`,
      });
    }
  });
/**
 * The parameters of `create_virtual_card`: the merchant, the amount in canonical form and
 * the merchant categories (sorted), if named.
 *
 * @example
 * ```ts
 * import { type CardPurchaseParameters, cardPurchaseParameters } from '@handshake/protocol/cards';
 *
 * const purchase: CardPurchaseParameters = cardPurchaseParameters('Example Books', '30', 'USD');
 * // { merchant_name: 'Example Books', amount: { value: '30.00', currency: 'USD' } }
 * ```
 */
export type CardPurchaseParameters = z.infer<typeof CardPurchaseParametersSchema>;

/**
 * The parameters of `create_virtual_card` for a purchase: the amount in canonical
 * form and the merchant categories sorted, so a validation and the card creation that
 * follows hash the same.
 *
 * @throws {HandshakeError} `VALIDATION_ERROR` when the amount is not valid for its currency.
 *
 * @example
 * ```ts
 * import { cardPurchaseParameters } from '@handshake/protocol/cards';
 *
 * cardPurchaseParameters('Example Books', 30, 'USD');
 * // { merchant_name: 'Example Books', amount: { value: '30.00', currency: 'USD' } }
 * ```
 */
export function cardPurchaseParameters(
  merchantName: string,
  amount: number | string,
  currency: string,
  merchantCategories?: readonly string[],
): CardPurchaseParameters {
  return {
    merchant_name: merchantName,
    amount: { value: formatMoney(parseMoney(amount, currency), currency), currency },
    ...(merchantCategories !== undefined
      ? { merchant_categories: [...merchantCategories].sort() }
      : {}),
  };
}
