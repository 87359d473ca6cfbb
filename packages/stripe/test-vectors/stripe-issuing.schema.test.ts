// Every request the official `stripe` client made to the simulated Stripe Issuing API,
// every answer the simulation gave and every webhook event it sent, checked against
// Stripe's API description: the JSON Schemas in stripe-issuing.schema.json beside this
// file, generated from the `stripe` package 23.2.0's declarations (OpenAPI spec v2602,
// API version 2026-11-18.endive; see README.md). Validation: ajv 8, strict off, all
// errors; form-encoded request values are strings on the wire, so types are coerced.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { stripeTestServer } from '../src/test-harness.js';

const schema = JSON.parse(
  readFileSync(new URL('./stripe-issuing.schema.json', import.meta.url), 'utf8'),
);
const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: true });
ajv.addSchema(schema, 'stripe');
const validator = (name: string) => {
  const validate = ajv.getSchema(`stripe#/definitions/${encodeURIComponent(name)}`);
  if (!validate) throw new Error(`no schema ${name}`);
  return (value: unknown) =>
    validate(structuredClone(value))
      ? []
      : (validate.errors ?? []).map((e) => `${name}${e.instancePath} ${e.message}`);
};
const list = (item: string) => (value: unknown) => {
  const body = value as { object?: unknown; data?: unknown[] };
  if (body.object !== 'list' || !Array.isArray(body.data)) return [`not a list`];
  return body.data.flatMap((entry) => validator(item)(entry));
};

const REQUESTS: Record<string, string | undefined> = {
  PostIssuingCardholders: 'PostIssuingCardholders',
  PostIssuingCards: 'PostIssuingCards',
  PostIssuingCardsCard: 'PostIssuingCardsCard',
  PostTestHelpersIssuingAuthorizations: 'PostTestHelpersIssuingAuthorizations',
  PostTestHelpersIssuingAuthorizationsCapture: 'PostTestHelpersIssuingAuthorizationsCapture',
};
const RESPONSES: Record<string, (value: unknown) => string[]> = {
  PostIssuingCardholders: validator('IssuingCardholder'),
  GetIssuingCardholders: list('IssuingCardholder'),
  PostIssuingCards: validator('IssuingCard'),
  GetIssuingCards: list('IssuingCard'),
  GetIssuingCardsCard: validator('IssuingCard'),
  PostIssuingCardsCard: validator('IssuingCard'),
  PostTestHelpersIssuingAuthorizations: validator('IssuingAuthorization'),
  PostTestHelpersIssuingAuthorizationsCapture: validator('IssuingAuthorization'),
};
const EVENT_OBJECTS: Record<string, string> = {
  'issuing_authorization.request': 'IssuingAuthorization',
  'issuing_authorization.created': 'IssuingAuthorization',
  'issuing_transaction.created': 'IssuingTransaction',
};

const { start } = stripeTestServer();

describe("the simulated Stripe Issuing API follows Stripe's schemas", () => {
  it('in requests, answers and events of a whole spend flow', async () => {
    const t = await start();
    {
      await t.issuer.verify();
      const card = await t.card('Example Books', '30.00');
      expect((await t.checkout(card, { merchant: 'Other Shop' })).status).toBe(400);
      expect((await t.checkout(card, { amount: '12.00' })).status).toBe(200);
      expect((await t.checkout(card)).status).not.toBe(200);
      const second = await t.card('Example Books', '5.00');
      t.timers.fireAll();
      await expect.poll(() => t.simulator.cards.get(second.cardId)?.card.status).toBe('canceled');
      const errors = t.simulator.exchanges.flatMap((exchange) => {
        const request = REQUESTS[exchange.operation];
        const found = [
          ...(request ? validator(request)(exchange.params) : []),
          ...(exchange.status < 300
            ? (RESPONSES[exchange.operation]?.(exchange.body) ?? [
                `${exchange.operation}: no schema`,
              ])
            : []),
        ];
        return found.map((error) => `${exchange.operation}: ${error}`);
      });
      expect(t.simulator.exchanges.length).toBeGreaterThan(10);
      expect(errors).toEqual([]);
      const operations = new Set(t.simulator.exchanges.map((exchange) => exchange.operation));
      expect([...operations].sort()).toEqual([
        'GetIssuingCardholders',
        'GetIssuingCards',
        'GetIssuingCardsCard',
        'PostIssuingCardholders',
        'PostIssuingCards',
        'PostIssuingCardsCard',
        'PostTestHelpersIssuingAuthorizations',
        'PostTestHelpersIssuingAuthorizationsCapture',
      ]);
      const events = t.simulator.deliveries.map((delivery) => delivery.event);
      expect(new Set(events.map((event) => event.type))).toEqual(
        new Set(Object.keys(EVENT_OBJECTS)),
      );
      const eventErrors = events.flatMap((event) => [
        ...validator('EventEnvelope')({
          ...event,
          data: { object: { object: event.data.object.object } },
        }),
        ...validator(EVENT_OBJECTS[event.type] as string)(event.data.object),
      ]);
      expect(eventErrors).toEqual([]);
    }
  });

  it('would catch an object that strays from them', () => {
    const card = { id: 'ic_1', object: 'issuing.card' };
    expect(validator('IssuingCard')(card).join('\n')).toContain(
      "must have required property 'wallets'",
    );
    expect(
      validator('PostIssuingCards')({ currency: 'usd', type: 'virtual', colour: 'red' }),
    ).not.toEqual([]);
    expect(
      validator('PostIssuingCards')({
        currency: 'usd',
        type: 'virtual',
        spending_controls: { spending_limits: [{ amount: 'ten', interval: 'all_time' }] },
      }),
    ).not.toEqual([]);
  });
});
