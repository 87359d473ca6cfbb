import type Stripe from 'stripe';

/**
 * What the simulation keeps of a card: the object Stripe answers, and its secrets.
 *
 * @example
 * ```ts
 * import type { SimulatedCard, StripeIssuingSimulator } from '@handshake/stripe/testing';
 * declare const simulator: StripeIssuingSimulator;
 *
 * const active: SimulatedCard[] = [...simulator.cards.values()].filter((c) => c.card.status === 'active');
 * ```
 */
export interface SimulatedCard {
  card: Stripe.Issuing.Card;
  number: string;
  cvc: string;
}

const nullAddress = {
  city: null,
  country: null,
  line1: null,
  line2: null,
  postal_code: null,
  state: null,
};

/** An `issuing.cardholder` from a creation request. */
export function cardholderObject(
  id: string,
  created: number,
  params: Stripe.Issuing.CardholderCreateParams,
): Stripe.Issuing.Cardholder {
  const address = params.billing.address;
  return {
    id,
    object: 'issuing.cardholder',
    billing: {
      address: {
        ...nullAddress,
        city: address.city,
        country: address.country,
        line1: address.line1,
        line2: address.line2 ?? null,
        postal_code: address.postal_code,
        state: address.state ?? null,
      },
    },
    company: null,
    created,
    email: params.email ?? null,
    individual: null,
    livemode: false,
    metadata: Object.fromEntries(
      Object.entries(params.metadata ?? {}).map(([key, value]) => [key, String(value)]),
    ),
    name: params.name,
    phone_number: params.phone_number ?? null,
    preferred_locales: [],
    requirements: { disabled_reason: null, past_due: [] },
    spending_controls: null,
    status: 'active',
    type: params.type ?? 'individual',
  } as Stripe.Issuing.Cardholder;
}

/** An `issuing.card` from a creation request. */
export function cardObject(
  id: string,
  created: number,
  cardholder: Stripe.Issuing.Cardholder,
  params: Stripe.Issuing.CardCreateParams,
  last4: string,
  expiry: { month: number; year: number },
): Stripe.Issuing.Card {
  const controls = params.spending_controls ?? {};
  return {
    id,
    object: 'issuing.card',
    brand: 'Visa',
    cancellation_reason: null,
    cardholder,
    created,
    currency: params.currency,
    exp_month: expiry.month,
    exp_year: expiry.year,
    last4,
    latest_fraud_warning: null,
    lifecycle_controls: params.lifecycle_controls
      ? {
          cancel_after: {
            payment_count: Number(params.lifecycle_controls.cancel_after.payment_count),
          },
        }
      : null,
    livemode: false,
    metadata: Object.fromEntries(
      Object.entries(params.metadata ?? {}).map(([key, value]) => [key, String(value)]),
    ),
    personalization_design: null,
    replaced_by: null,
    replacement_for: null,
    replacement_reason: null,
    second_line: null,
    shipping: null,
    spending_controls: {
      allowed_card_presences: null,
      allowed_categories: (controls.allowed_categories ??
        null) as Stripe.Issuing.Card.SpendingControls['allowed_categories'],
      allowed_merchant_countries: null,
      blocked_card_presences: null,
      blocked_categories: null,
      blocked_merchant_countries: null,
      spending_limits: (controls.spending_limits ?? []).map((limit) => ({
        amount: Number(limit.amount),
        categories: null,
        interval: limit.interval,
      })) as Stripe.Issuing.Card.SpendingControls['spending_limits'],
      spending_limits_currency: params.currency,
    },
    status: (params.status ?? 'inactive') as Stripe.Issuing.Card.Status,
    type: params.type as Stripe.Issuing.Card.Type,
    wallets: {
      apple_pay: { eligible: false, ineligible_reason: 'unsupported_region' },
      google_pay: { eligible: false, ineligible_reason: 'unsupported_region' },
      primary_account_identifier: null,
    },
  } as Stripe.Issuing.Card;
}

/** A merchant as a card network describes it. */
export function merchantData(name: string, category: string) {
  return {
    category,
    category_code: '5942',
    city: 'San Francisco',
    country: 'US',
    name,
    network_id: '1234567890',
    postal_code: '94103',
    state: 'CA',
    tax_id: null,
    terminal_id: null,
    url: null,
  };
}

/** An `issuing.authorization` as it stands while Stripe asks the webhook. */
export function authorizationObject(
  id: string,
  created: number,
  card: Stripe.Issuing.Card,
  request: { amount: number; currency: string; merchantName: string; category: string },
): Stripe.Issuing.Authorization {
  return {
    id,
    object: 'issuing.authorization',
    amount: 0,
    amount_details: null,
    approved: false,
    authorization_method: 'keyed_in',
    balance_transactions: [],
    card,
    card_presence: null,
    cardholder: card.cardholder.id,
    created,
    currency: card.currency,
    fleet: null,
    fuel: null,
    livemode: false,
    merchant_amount: request.amount,
    merchant_currency: request.currency,
    merchant_data: merchantData(request.merchantName, request.category),
    metadata: {},
    network_data: null,
    pending_request: {
      amount: request.amount,
      amount_details: null,
      currency: card.currency,
      is_amount_controllable: false,
      merchant_amount: request.amount,
      merchant_currency: request.currency,
      network_risk_score: null,
    },
    request_history: [],
    status: 'pending',
    transactions: [],
    verification_data: {
      address_line1_check: 'not_provided',
      address_postal_code_check: 'not_provided',
      authentication_exemption: null,
      cvc_check: 'match',
      expiry_check: 'match',
      postal_code: null,
      three_d_secure: null,
    },
    verified_by_fraud_challenge: null,
    wallet: null,
  } as unknown as Stripe.Issuing.Authorization;
}

/** An `issuing.transaction` capturing an authorization (its amount negative, as Stripe writes debits). */
export function captureObject(
  id: string,
  created: number,
  authorization: Stripe.Issuing.Authorization,
  amount: number,
): Stripe.Issuing.Transaction {
  return {
    id,
    object: 'issuing.transaction',
    amount: -amount,
    amount_details: null,
    authorization: authorization.id,
    balance_transaction: null,
    card: authorization.card.id,
    cardholder: authorization.card.cardholder.id,
    created,
    currency: authorization.currency,
    dispute: null,
    livemode: false,
    merchant_amount: -amount,
    merchant_currency: authorization.merchant_currency,
    merchant_data: authorization.merchant_data,
    metadata: {},
    network_data: null,
    type: 'capture',
    wallet: null,
  } as unknown as Stripe.Issuing.Transaction;
}
