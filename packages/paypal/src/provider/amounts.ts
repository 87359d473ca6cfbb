import { formatMoney, HandshakeError, type Money, parseMoney } from '@handshake/protocol';
import type { PayPalAPI } from '@paypal/agent-toolkit/mcp';
import { z } from 'zod';
import { interpretToolkitResult } from '../toolkit/result.js';
import { parseToolParameters, type ToolkitSchema } from '../toolkit/validate.js';
import type { PayPalToolName } from '../tools/tool-names.js';

// PayPal's responses are parsed leniently: only the fields read here must be present.
const PayPalMoneySchema = z.looseObject({ currency_code: z.string(), value: z.string() });

const OrderSchema = z.looseObject({
  status: z.string().optional(),
  purchase_units: z
    .array(
      z.looseObject({
        amount: PayPalMoneySchema,
        payee: z
          .looseObject({
            email_address: z.string().optional(),
            merchant_id: z.string().optional(),
          })
          .optional(),
      }),
    )
    .min(1),
});

const CaptureSchema = z.looseObject({ amount: PayPalMoneySchema });

const DisputeSchema = z.looseObject({
  dispute_amount: PayPalMoneySchema,
  disputed_transactions: z
    .array(
      z.looseObject({
        buyer: z.looseObject({ name: z.string().optional() }).optional(),
      }),
    )
    .optional(),
});

/** What an amount extractor needs from the provider. */
export interface AmountSource {
  api(): Promise<PayPalAPI>;
}

/** An amount extractor and, where the same lookup reveals it, the payee. */
export interface MoneyDeclaration {
  amount: (parameters: unknown) => Promise<Money | undefined>;
  payee?: (parameters: unknown) => string | undefined;
  /** The amount may change at PayPal after authorize: read it again at execute. */
  recheck?: true;
}

function unexpected(tool: string, what: string): HandshakeError {
  return new HandshakeError(
    'PROVIDER_ERROR',
    `The amount of ${tool} could not be determined: PayPal's ${what} has no usable amount`,
  );
}

/** Adds amounts of one currency exactly (minor units), answering wire money. */
function sum(tool: string, amounts: ReadonlyArray<{ currency_code: string; value: string }>) {
  const currency = amounts[0]?.currency_code;
  if (currency === undefined) return undefined;
  let total = 0n;
  for (const amount of amounts) {
    if (amount.currency_code !== currency) {
      throw new HandshakeError(
        'PROVIDER_ERROR',
        `The amount of ${tool} could not be determined: it mixes currencies`,
      );
    }
    total += parseMoney(amount.value, currency, { allowZero: true });
  }
  return { value: formatMoney(total, currency), currency };
}

/**
 * Remembers what an amount lookup learned about the payee until the engine asks for it
 * (the engine resolves the amount first, then the payee, of the same call), by tool and
 * the id the lookup read.
 */
class PayeeMemo {
  readonly #entries = new Map<string, string>();

  set(tool: string, id: string, payee: string | undefined) {
    const key = `${tool}:${id}`;
    if (payee === undefined || payee === '') {
      this.#entries.delete(key);
      return;
    }
    if (this.#entries.size >= 1000) this.#entries.clear();
    this.#entries.set(key, payee);
  }

  /** The `payee` of `tool`: what the lookup of the id in its `field` parameter learned. */
  reader(tool: string, field: string): (parameters: unknown) => string | undefined {
    return (parameters) => {
      const id = (parameters as Record<string, unknown> | null)?.[field];
      if (typeof id !== 'string') return undefined;
      const key = `${tool}:${id}`;
      const payee = this.#entries.get(key);
      this.#entries.delete(key);
      return payee;
    };
  }
}

async function fetchJson(api: PayPalAPI, tool: string, path: string): Promise<unknown> {
  const client = api.paypalClient;
  const url = `${client.getBaseUrl()}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: await client.getHeaders(),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new HandshakeError(
      'PROVIDER_ERROR',
      `The amount of ${tool} could not be determined: PayPal could not be reached`,
      { cause: error },
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new HandshakeError(
      'PROVIDER_ERROR',
      `The amount of ${tool} could not be determined: PayPal answered HTTP ${response.status}`,
    );
  }
  return response.json();
}

/**
 * The amount (and payee) of every money-moving toolkit tool:
 *
 * - `pay_order` carries only the order id, so the order is fetched through the toolkit's
 *   own `get_order` and its purchase units summed; the payee is the order's payee. The
 *   merchant can still update the order, so it is fetched again at execute and a changed
 *   amount is refused (`recheck`).
 * - `create_refund` uses the `amount` it names, or — for a full refund, which names none —
 *   the captured amount, fetched from `/v2/payments/captures/{id}` (an upper bound when
 *   the capture was already partly refunded).
 * - `accept_dispute_claim` moves the disputed amount, read through `get_dispute`; the
 *   dispute can change while it is open (a buyer's or an arbiter's new amount), so it is
 *   read again at execute and a changed amount is refused (`recheck`).
 * - `update_subscription` puts the new outstanding balance, cycle price and shipping
 *   amount on the subscriber's bill: their sum, when any is given.
 *
 * Invoice, order-creation and subscription-creation tools declare none: they ask a payer
 * for money, and only the payer's own action moves it.
 */
export function moneyDeclarations(
  source: AmountSource,
  schemas: ReadonlyMap<PayPalToolName, ToolkitSchema>,
): Partial<Record<PayPalToolName, MoneyDeclaration>> {
  const payees = new PayeeMemo();
  /**
   * What `tool`'s amount is read from, through one of the toolkit's own tools (`reader`),
   * as `schema` reads it; PayPal's `what` without it has no usable amount.
   */
  const lookUp = async <T>(
    tool: string,
    reader: string,
    args: Record<string, unknown>,
    schema: z.ZodType<T>,
    what: string,
  ): Promise<T> => {
    const api = await source.api();
    const found = schema.safeParse(interpretToolkitResult(reader, await api.run(reader, args)));
    if (!found.success) throw unexpected(tool, what);
    return found.data;
  };
  // Each `amount` here is given the parameters as the tool's schema parsed them.
  const declarations: Partial<Record<PayPalToolName, MoneyDeclaration>> = {
    pay_order: {
      // The merchant can update an approved order's amount (PATCH /v2/checkout/orders/{id})
      // until it is captured.
      recheck: true,
      amount: async (parameters) => {
        const { id } = parameters as { id: string };
        const order = await lookUp('pay_order', 'get_order', { id }, OrderSchema, 'order');
        const units = order.purchase_units;
        const payee = units[0]?.payee;
        payees.set('pay_order', id, payee?.email_address ?? payee?.merchant_id);
        return sum(
          'pay_order',
          units.map((unit) => unit.amount),
        );
      },
      payee: payees.reader('pay_order', 'id'),
    },
    create_refund: {
      amount: async (parameters) => {
        const { capture_id, amount } = parameters as {
          capture_id: string;
          amount?: { currency_code: string; value: string };
        };
        if (amount) return { value: amount.value, currency: amount.currency_code };
        const api = await source.api();
        const capture = CaptureSchema.safeParse(
          await fetchJson(
            api,
            'create_refund',
            `/v2/payments/captures/${encodeURIComponent(capture_id)}`,
          ),
        );
        if (!capture.success) throw unexpected('create_refund', 'capture');
        return {
          value: capture.data.amount.value,
          currency: capture.data.amount.currency_code,
        };
      },
    },
    accept_dispute_claim: {
      recheck: true,
      amount: async (parameters) => {
        const { dispute_id } = parameters as { dispute_id: string };
        const dispute = await lookUp(
          'accept_dispute_claim',
          'get_dispute',
          { dispute_id },
          DisputeSchema,
          'dispute',
        );
        const buyer = dispute.disputed_transactions?.[0]?.buyer?.name;
        payees.set('accept_dispute_claim', dispute_id, buyer ? `${buyer} (buyer)` : undefined);
        return {
          value: dispute.dispute_amount.value,
          currency: dispute.dispute_amount.currency_code,
        };
      },
      payee: payees.reader('accept_dispute_claim', 'dispute_id'),
    },
    update_subscription: {
      amount: async (parameters) => {
        const params = parameters as {
          currency_code?: string;
          outstanding_balance?: string;
          shipping_amount?: string;
          fixed_price?: { value: string };
        };
        const currency = params.currency_code ?? 'USD';
        const values = [
          params.outstanding_balance,
          params.fixed_price?.value,
          params.shipping_amount,
        ].filter((value): value is string => value !== undefined);
        return sum(
          'update_subscription',
          values.map((value) => ({ value, currency_code: currency })),
        );
      },
    },
  };

  const out: Partial<Record<PayPalToolName, MoneyDeclaration>> = {};
  for (const [tool, declaration] of Object.entries(declarations) as Array<
    [PayPalToolName, MoneyDeclaration]
  >) {
    const schema = schemas.get(tool);
    if (!schema) continue;
    out[tool] = {
      ...declaration,
      // At authorize, parameters that do not fit the schema are the caller's error.
      amount: async (parameters) =>
        declaration.amount(parseToolParameters(tool, schema, parameters, 'VALIDATION_ERROR')),
    };
  }
  return out;
}
