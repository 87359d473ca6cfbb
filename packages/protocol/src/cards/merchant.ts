/**
 * The merchant a validated purchase is locked to, as the card issuer is asked for the card
 * and the client reports the validation: its name and, when the validation named them,
 * the merchant categories (absent: any).
 *
 * @example
 * ```ts
 * import { cardMerchant } from '@handshake/protocol/cards';
 *
 * cardMerchant('Example Books', undefined); // { merchantName: 'Example Books' }
 * cardMerchant('Example Books', ['5942']);
 * // { merchantName: 'Example Books', merchantCategories: ['5942'] }
 * ```
 */
export function cardMerchant<Categories extends readonly string[]>(
  merchantName: string,
  merchantCategories: Categories | undefined,
): { merchantName: string; merchantCategories?: Categories } {
  return {
    merchantName,
    ...(merchantCategories !== undefined ? { merchantCategories } : {}),
  };
}
