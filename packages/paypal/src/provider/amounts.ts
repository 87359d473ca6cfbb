import { formatMoney, HandshakeError, type Money, parseMoney } from '@handshake/protocol';
import type { PayPalAPI } from '@paypal/agent-toolkit/mcp';
import { z } from 'zod';
import { interpretToolkitResult } from '../toolkit/result.js';
import { describeIssue, parameterPath, type ToolkitSchema } from '../toolkit/validate.js';
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

function validated(tool: string, schema: ToolkitSchema, parameters: unknown) {
  const result = schema.safeParse(parameters);
  if (result.success) return result.data as Record<string, unknown>;
  const issue = result.error.issues[0];
  const path = parameterPath(issue?.path ?? []);
  throw new HandshakeError(
    'VALIDATION_ERROR',
    `Parameters of ${tool} are invalid at ${path}: ${issue ? describeIssue(issue) : 'rejected by the schema'}`,
    { path },
  );
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
 * (the engine resolves the amount first, then the payee, of the same call).
 */
class PayeeMemo {
  readonly #entries = new Map<string, string>();

  set(key: string, payee: string | undefined) {
    if (payee === undefined || payee === '') {
      this.#entries.delete(key);
      return;
    }
    if (this.#entries.size >= 1000) this.#entries.clear();
    this.#entries.set(key, payee);
  }

  take(key: string): string | undefined {
    const payee = this.#entries.get(key);
    this.#entries.delete(key);
    return payee;
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
  const out: Partial<Record<PayPalToolName, MoneyDeclaration>> = {};

  const payOrder = schemas.get('pay_order');
  if (payOrder) {
    out.pay_order = {
      // The merchant can update an approved order's amount (PATCH /v2/checkout/orders/{id})
      // until it is captured.
      recheck: true,
      amount: async (parameters) => {
        const { id } = validated('pay_order', payOrder, parameters) as { id: string };
        const api = await source.api();
        const order = OrderSchema.safeParse(
          interpretToolkitResult('get_order', await api.run('get_order', { id })),
        );
        if (!order.success) throw unexpected('pay_order', 'order');
        const units = order.data.purchase_units;
        const payee = units[0]?.payee;
        payees.set(`pay_order:${id}`, payee?.email_address ?? payee?.merchant_id);
        return sum(
          'pay_order',
          units.map((unit) => unit.amount),
        );
      },
      payee: (parameters) => {
        const id = (parameters as { id?: unknown } | null)?.id;
        return typeof id === 'string' ? payees.take(`pay_order:${id}`) : undefined;
      },
    };
  }

  const createRefund = schemas.get('create_refund');
  if (createRefund) {
    out.create_refund = {
      amount: async (parameters) => {
        const { capture_id, amount } = validated('create_refund', createRefund, parameters) as {
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
    };
  }

  const acceptClaim = schemas.get('accept_dispute_claim');
  if (acceptClaim) {
    out.accept_dispute_claim = {
      recheck: true,
      amount: async (parameters) => {
        const { dispute_id } = validated('accept_dispute_claim', acceptClaim, parameters) as {
          dispute_id: string;
        };
        const api = await source.api();
        const dispute = DisputeSchema.safeParse(
          interpretToolkitResult('get_dispute', await api.run('get_dispute', { dispute_id })),
        );
        if (!dispute.success) throw unexpected('accept_dispute_claim', 'dispute');
        const buyer = dispute.data.disputed_transactions?.[0]?.buyer?.name;
        payees.set(`accept_dispute_claim:${dispute_id}`, buyer ? `${buyer} (buyer)` : undefined);
        return {
          value: dispute.data.dispute_amount.value,
          currency: dispute.data.dispute_amount.currency_code,
        };
      },
      payee: (parameters) => {
        const id = (parameters as { dispute_id?: unknown } | null)?.dispute_id;
        return typeof id === 'string' ? payees.take(`accept_dispute_claim:${id}`) : undefined;
      },
    };
  }

  const updateSubscription = schemas.get('update_subscription');
  if (updateSubscription) {
    out.update_subscription = {
      amount: async (parameters) => {
        const params = validated('update_subscription', updateSubscription, parameters) as {
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
    };
  }
  return out;
}
