// Invoicing v2. Bodies follow laravel-paypal's mockCreateInvoicesResponse,
// mockListInvoicesResponse and mockGetInvoicesResponse (tests/Mocks/Responses/Invoices.php
// @df4122ca, MIT) and the invoicing_v2 OpenAPI document (@ec4d8f36, Apache-2.0). Creating an
// invoice answers a bare link object unless the request sends
// `Prefer: return=representation`, as PayPal does.
import {
  invalid,
  isObject,
  json,
  link,
  minorOf,
  moneyOf,
  noContent,
  page,
  type Route,
  type RouteContext,
  readMoney,
  resource,
  scale,
  unprocessable,
} from './http.js';
import { iso, isoDate, type JsonObject, type SimulatedInvoice } from './state.js';

const VIEW_HOST = 'https://www.sandbox.paypal.com';

// A 1×1 PNG: PayPal answers generate-qr-code with a base64 PNG in a multipart body.
const QR_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

function links(invoice: SimulatedInvoice, origin: string) {
  const base = `${origin}/v2/invoicing/invoices/${invoice.id}`;
  const self = link(base, 'self');
  switch (invoice.status) {
    case 'DRAFT':
      return [
        self,
        link(`${base}/send`, 'send', 'POST'),
        link(base, 'replace', 'PUT'),
        link(base, 'delete', 'DELETE'),
        link(`${base}/payments`, 'record-payment', 'POST'),
        link(`${base}/generate-qr-code`, 'qr-code', 'POST'),
      ];
    case 'SENT':
      return [
        self,
        link(`${base}/remind`, 'remind', 'POST'),
        link(`${base}/cancel`, 'cancel', 'POST'),
        link(`${base}/payments`, 'record-payment', 'POST'),
        link(`${base}/generate-qr-code`, 'qr-code', 'POST'),
      ];
    default:
      return [self];
  }
}

function metadata(invoice: SimulatedInvoice) {
  const compact = invoice.id.replace(/^INV2-/, '').replaceAll('-', '');
  return {
    create_time: iso(invoice.createTime),
    last_update_time: iso(invoice.updateTime),
    recipient_view_url: `${VIEW_HOST}/invoice/p/#${compact}`,
    invoicer_view_url: `${VIEW_HOST}/invoice/details/${invoice.id}`,
  };
}

/** The full invoice, as `GET /v2/invoicing/invoices/{id}` answers it. */
export function invoiceBody(invoice: SimulatedInvoice, origin: string): JsonObject {
  const { detail, breakdown, ...rest } = invoice.body as JsonObject & {
    detail: JsonObject;
    breakdown?: JsonObject;
  };
  const paid = invoice.status === 'PAID';
  return {
    id: invoice.id,
    status: invoice.status,
    detail: { ...detail, invoice_number: invoice.number, metadata: metadata(invoice) },
    ...rest,
    configuration: {
      tax_calculated_after_discount: true,
      tax_inclusive: false,
      allow_tip: false,
      template_id: 'TEMP-19V05281TU309413B',
    },
    amount: { ...invoice.amount, ...(breakdown ? { breakdown } : {}) },
    due_amount: paid ? moneyOf(0n, invoice.amount.currency_code) : invoice.amount,
    links: links(invoice, origin),
  };
}

function summary(invoice: SimulatedInvoice, origin: string): JsonObject {
  const body = invoice.body as JsonObject & {
    detail: JsonObject;
    invoicer?: JsonObject;
    primary_recipients?: Array<{ billing_info?: JsonObject }>;
  };
  return {
    id: invoice.id,
    status: invoice.status,
    detail: { ...body.detail, invoice_number: invoice.number, metadata: metadata(invoice) },
    ...(body.invoicer?.email_address
      ? { invoicer: { email_address: body.invoicer.email_address } }
      : {}),
    primary_recipients: (body.primary_recipients ?? []).map((recipient) => ({
      billing_info: { email_address: recipient.billing_info?.email_address },
    })),
    amount: invoice.amount,
    links: links(invoice, origin),
  };
}

function invoice(context: RouteContext): SimulatedInvoice {
  return resource(context, context.state.invoices);
}

async function readCreate(context: RouteContext) {
  const { state } = context;
  const body = await context.json();
  if (!isObject(body))
    throw invalid(state, 'INVALID_REQUEST', 'The request body is not an object.');
  const detail = isObject(body.detail) ? body.detail : undefined;
  const currency = detail?.currency_code;
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
    throw invalid(
      state,
      'MISSING_REQUIRED_PARAMETER',
      'A required parameter is missing.',
      '/detail/currency_code',
    );
  }
  const rawItems = Array.isArray(body.items) ? body.items : [];
  let itemTotal = 0n;
  let taxTotal = 0n;
  const items = rawItems.map((raw, index) => {
    const item = isObject(raw) ? raw : {};
    const unitAmount = readMoney(state, item.unit_amount, `/items/${index}/unit_amount`);
    if (unitAmount.currency_code !== currency) {
      throw unprocessable(
        state,
        'CURRENCY_MISMATCH',
        'The currency code of the item must match the invoice currency.',
        `/items/${index}/unit_amount/currency_code`,
      );
    }
    const quantity = typeof item.quantity === 'string' ? item.quantity : '1';
    const line = scale(minorOf(unitAmount), quantity);
    const tax = isObject(item.tax) ? item.tax : undefined;
    const taxMinor = typeof tax?.percent === 'string' ? scale(line, tax.percent, 100n) : 0n;
    itemTotal += line;
    taxTotal += taxMinor;
    return {
      id: state.idSource.item(),
      ...item,
      quantity,
      ...(tax ? { tax: { ...tax, amount: moneyOf(taxMinor, currency) } } : {}),
    };
  });
  const { items: _items, ...rest } = body;
  return {
    currency,
    body: {
      ...rest,
      detail: {
        ...detail,
        invoice_date:
          typeof detail?.invoice_date === 'string'
            ? detail.invoice_date
            : isoDate(context.clock.now()),
      },
      ...(items.length > 0 ? { items } : {}),
      breakdown: {
        item_total: moneyOf(itemTotal, currency),
        tax_total: moneyOf(taxTotal, currency),
      },
    } as JsonObject,
    amount: moneyOf(itemTotal + taxTotal, currency),
  };
}

/** The Invoicing v2 routes. */
export const invoiceRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v2/invoicing/invoices',
    async handle(context) {
      const { state, clock, origin, request } = context;
      const { body, amount } = await readCreate(context);
      const now = clock.now();
      const created: SimulatedInvoice = {
        id: state.idSource.invoice(),
        status: 'DRAFT',
        number: String(state.invoices.size + 1).padStart(4, '0'),
        body,
        amount,
        createTime: now,
        updateTime: now,
      };
      state.invoices.set(created.id, created);
      if (/return=representation/i.test(request.headers.get('prefer') ?? '')) {
        return json(invoiceBody(created, origin), 201);
      }
      return json(link(`${origin}/v2/invoicing/invoices/${created.id}`, 'self'), 201);
    },
  },
  {
    method: 'GET',
    path: '/v2/invoicing/invoices',
    handle(context) {
      const { state, url, origin } = context;
      const all = [...state.invoices.values()].sort((a, b) => b.createTime - a.createTime);
      const { slice, totals, number, totalPages } = page(all, url, 20, 100);
      const self = `${origin}/v2/invoicing/invoices?page=${number}&page_size=${slice.length}`;
      return json({
        ...totals,
        items: slice.map((item) => summary(item, origin)),
        links: [
          link(self, 'self'),
          ...(number < totalPages
            ? [link(`${origin}/v2/invoicing/invoices?page=${number + 1}`, 'next')]
            : []),
        ],
      });
    },
  },
  {
    method: 'GET',
    path: '/v2/invoicing/invoices/:id',
    handle: (context) => json(invoiceBody(invoice(context), context.origin)),
  },
  {
    method: 'POST',
    path: '/v2/invoicing/invoices/:id/send',
    async handle(context) {
      const { state, clock } = context;
      const found = invoice(context);
      await context.json().catch(() => ({}));
      if (found.status !== 'DRAFT' && found.status !== 'SCHEDULED') {
        throw unprocessable(
          state,
          'INVALID_INVOICE_STATUS',
          `Invoice in status ${found.status} cannot be sent.`,
        );
      }
      found.updateTime = clock.now();
      const detail = (found.body as { detail?: { invoice_date?: string } }).detail;
      // An invoice dated in the future is scheduled: 202 without a body.
      if (detail?.invoice_date && detail.invoice_date > isoDate(clock.now())) {
        found.status = 'SCHEDULED';
        return new Response(null, { status: 202 });
      }
      found.status = 'SENT';
      const compact = found.id.replace(/^INV2-/, '').replaceAll('-', '');
      return json(link(`${VIEW_HOST}/invoice/p/#${compact}`, 'payer-view'));
    },
  },
  {
    method: 'POST',
    path: '/v2/invoicing/invoices/:id/remind',
    async handle(context) {
      const found = invoice(context);
      await context.json().catch(() => ({}));
      if (found.status !== 'SENT') {
        throw unprocessable(
          context.state,
          'INVALID_INVOICE_STATUS',
          `A reminder cannot be sent for an invoice in status ${found.status}.`,
        );
      }
      return noContent();
    },
  },
  {
    method: 'POST',
    path: '/v2/invoicing/invoices/:id/cancel',
    async handle(context) {
      const found = invoice(context);
      await context.json().catch(() => ({}));
      if (found.status !== 'SENT' && found.status !== 'SCHEDULED') {
        throw unprocessable(
          context.state,
          'INVALID_INVOICE_STATUS',
          `Invoice in status ${found.status} cannot be cancelled.`,
        );
      }
      found.status = 'CANCELLED';
      found.updateTime = context.clock.now();
      return noContent();
    },
  },
  {
    method: 'POST',
    path: '/v2/invoicing/invoices/:id/generate-qr-code',
    async handle(context) {
      invoice(context);
      const body = await context.json().catch(() => ({}));
      const size = isObject(body) ? body : {};
      for (const field of ['width', 'height'] as const) {
        const value = size[field];
        if (value !== undefined && (typeof value !== 'number' || value < 150 || value > 500)) {
          throw invalid(
            context.state,
            'INVALID_PARAMETER_VALUE',
            `${field} must be between 150 and 500.`,
            `/${field}`,
          );
        }
      }
      const boundary = 'qr-code-boundary';
      return new Response(
        `--${boundary}\r\ncontent-type: text/plain; charset=utf-8\r\n\r\n${QR_PNG_BASE64}\r\n--${boundary}--\r\n`,
        { status: 200, headers: { 'content-type': `multipart/mixed; boundary=${boundary}` } },
      );
    },
  },
];
