// Transaction Search v1 (`/v1/reporting/transactions`): captures as T0006 (PayPal Checkout
// APIs) and refunds as T1107 (payment refund initiated by the merchant).
import { invalid, json, minorOf, moneyOf, page, type Route } from './http.js';
import { paypalFee } from './orders.js';
import { iso, type JsonObject, SIMULATED_MERCHANT, type SimulatedPayer } from './state.js';

const MAX_RANGE_MS = 31 * 86_400_000;

interface Row {
  id: string;
  time: number;
  body: JsonObject;
}

function payerInfo(payer: SimulatedPayer): JsonObject {
  return {
    account_id: payer.payerId,
    email_address: payer.email,
    address_status: 'Y',
    payer_status: 'Y',
    payer_name: {
      given_name: payer.givenName,
      surname: payer.surname,
      alternate_full_name: `${payer.givenName} ${payer.surname}`,
    },
    country_code: payer.countryCode,
  };
}

/** The Transaction Search route. */
export const reportingRoutes: Route[] = [
  {
    method: 'GET',
    path: '/v1/reporting/transactions',
    handle(context) {
      const { state, url, clock } = context;
      const startText = url.searchParams.get('start_date');
      const endText = url.searchParams.get('end_date');
      if (!startText || !endText) {
        throw invalid(
          state,
          'MISSING_REQUIRED_PARAMETER',
          'Both start_date and end_date are required.',
          startText ? 'end_date' : 'start_date',
        );
      }
      const start = Date.parse(startText);
      const end = Date.parse(endText);
      if (Number.isNaN(start) || Number.isNaN(end) || end < start) {
        throw invalid(
          state,
          'INVALID_PARAMETER_SYNTAX',
          'The start_date and end_date must be ISO 8601 date-times with start before end.',
          'start_date',
        );
      }
      if (end - start > MAX_RANGE_MS + 1000) {
        throw invalid(
          state,
          'INVALID_REQUEST',
          'Date range is greater than 31 days.',
          'start_date',
        );
      }
      const rows: Row[] = [];
      for (const capture of state.captures.values()) {
        rows.push({
          id: capture.id,
          time: capture.createTime,
          body: {
            transaction_info: {
              paypal_account_id: capture.payer.payerId,
              transaction_id: capture.id,
              transaction_event_code: 'T0006',
              transaction_initiation_date: iso(capture.createTime),
              transaction_updated_date: iso(capture.updateTime),
              transaction_amount: capture.amount,
              fee_amount: moneyOf(
                -minorOf(paypalFee(capture.amount)),
                capture.amount.currency_code,
              ),
              transaction_status: 'S',
              ...(capture.invoiceId ? { invoice_id: capture.invoiceId } : {}),
              protection_eligibility: '01',
            },
            payer_info: payerInfo(capture.payer),
            shipping_info: { name: `${capture.payer.givenName} ${capture.payer.surname}` },
            cart_info: {},
          },
        });
      }
      for (const refund of state.refunds.values()) {
        const capture = state.captures.get(refund.captureId);
        rows.push({
          id: refund.id,
          time: refund.createTime,
          body: {
            transaction_info: {
              paypal_reference_id: refund.captureId,
              paypal_reference_id_type: 'TXN',
              transaction_id: refund.id,
              transaction_event_code: 'T1107',
              transaction_initiation_date: iso(refund.createTime),
              transaction_updated_date: iso(refund.createTime),
              transaction_amount: moneyOf(-minorOf(refund.amount), refund.amount.currency_code),
              transaction_status: 'S',
              ...(refund.invoiceId ? { invoice_id: refund.invoiceId } : {}),
            },
            ...(capture ? { payer_info: payerInfo(capture.payer) } : {}),
            cart_info: {},
          },
        });
      }
      const status = url.searchParams.get('transaction_status');
      const transactionId = url.searchParams.get('transaction_id');
      const matching = rows
        .filter((row) => row.time >= start && row.time <= end)
        // Every simulated transaction succeeded (S); none is denied, pending or reversed.
        .filter(() => !status || status === 'S')
        .filter((row) => !transactionId || row.id === transactionId)
        .sort((a, b) => a.time - b.time);
      const { slice, number, totalPages } = page(matching, url, 100, 500);
      return json({
        transaction_details: slice.map((row) => row.body),
        account_number: SIMULATED_MERCHANT.accountNumber,
        start_date: iso(start),
        end_date: iso(end),
        last_refreshed_datetime: iso(clock.now()),
        page: number,
        total_items: matching.length,
        total_pages: totalPages,
        links: [],
      });
    },
  },
];
