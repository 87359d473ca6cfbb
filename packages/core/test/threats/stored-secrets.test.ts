import { spendTools } from '@handshake/cards';
import { simulatedCardIssuer } from '@handshake/cards/testing';
import { HandshakeError } from '@handshake/protocol';
import {
  type CardCreationResponse,
  CREATE_VIRTUAL_CARD,
  cardPurchaseParameters,
} from '@handshake/protocol/cards';
import { describe, expect, it } from 'vitest';
import { staticKeyResolver } from '../../src/signing/key-resolver.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { OutcomeKey } from '../../src/store/sealed-outcomes.js';
import type { StoreV1 } from '../../src/store/store-v1.js';
import { CREDENTIALS, testEngine } from '../fixtures.js';

const OLD: OutcomeKey = { id: 'k1', key: Buffer.alloc(32, 1).toString('base64') };
const NEW: OutcomeKey = { id: 'k2', key: Buffer.alloc(32, 2).toString('base64url') };

/** A memory store that keeps, as JSON, everything it was given and everything it answered. */
function rawStore() {
  const inner = new MemoryStore();
  const seen: string[] = [];
  const json = (value: unknown) =>
    JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  const store = new Proxy(inner, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        seen.push(json(args));
        const answer = value.apply(target, args);
        void Promise.resolve(answer).then((settled) => seen.push(json(settled) ?? ''));
        return answer;
      };
    },
  }) as StoreV1;
  return { store, seen };
}

function cardEngine(
  store: StoreV1,
  outcomeKeys?: readonly OutcomeKey[],
  from?: ReturnType<typeof testEngine>,
) {
  const spend = spendTools({ issuer: simulatedCardIssuer() });
  return testEngine({
    store,
    tools: spend,
    ...(outcomeKeys ? { outcomeKeys } : {}),
    ...(from
      ? {
          clock: from.clock,
          keys: staticKeyResolver([
            { userId: 'alice', keyId: 'alice-key', publicKey: from.aliceKey.publicKey },
          ]),
        }
      : {}),
  });
}

async function issueCard(setup: ReturnType<typeof testEngine>) {
  const parameters = cardPurchaseParameters('Example Books', '30.00', 'USD');
  const auth = await setup.engine.authorize(
    { tool: CREATE_VIRTUAL_CARD, parameters },
    CREDENTIALS.alice,
  );
  if (auth.status !== 'authorized') throw new Error('expected authorized');
  const body = {
    ephemeralToken: auth.ephemeralToken,
    tool: CREATE_VIRTUAL_CARD,
    parameters,
    ...setup.sign(CREATE_VIRTUAL_CARD, parameters, auth.transactionId),
  };
  const done = await setup.engine.execute(body, CREDENTIALS.alice);
  return { card: done.result as CardCreationResponse, body };
}

describe('card numbers and CVCs at rest', () => {
  it('the memory store never holds a card number or CVC, and a replay still returns the card', async () => {
    const { store, seen } = rawStore();
    const setup = cardEngine(store, [OLD]);
    const { card, body } = await issueCard(setup);
    expect(card.cardNumber).toMatch(/^\d{16}$/);
    const replay = await setup.engine.execute(body, CREDENTIALS.alice);
    expect(replay).toMatchObject({ replayed: true, result: card });
    await new Promise((resolve) => setImmediate(resolve));
    const raw = seen.join('\n');
    expect(raw).toContain('$handshake.sealed');
    expect(raw).not.toContain(card.cardNumber);
    expect(raw).not.toContain(`"${card.cvc}"`);
  });

  it('seals with a random key of the process when none is configured', async () => {
    const { store, seen } = rawStore();
    const setup = cardEngine(store);
    const { card, body } = await issueCard(setup);
    expect(await setup.engine.execute(body, CREDENTIALS.alice)).toMatchObject({ result: card });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.join('\n')).not.toContain(card.cardNumber);
  });

  it('key rotation: a new first key still opens what the old one sealed; without it, a clear refusal', async () => {
    const { store } = rawStore();
    const first = cardEngine(store, [OLD]);
    const { card, body } = await issueCard(first);
    const rotated = cardEngine(store, [NEW, OLD], first);
    expect(await rotated.engine.execute(body, CREDENTIALS.alice)).toMatchObject({
      replayed: true,
      result: card,
    });
    const oldKeyRemoved = cardEngine(store, [NEW], first);
    const refused = await oldKeyRemoved.engine
      .execute(body, CREDENTIALS.alice)
      .catch((error: unknown) => error);
    expect(HandshakeError.isInstance(refused) && refused.code).toBe('PROVIDER_ERROR');
    expect((refused as Error).message).toMatch(/cannot be shown again/);
    expect((refused as Error).message).not.toContain(card.cardNumber);
  });

  it('refuses malformed keys when the engine is created', () => {
    const store = new MemoryStore();
    expect(() => cardEngine(store, [{ id: 'short', key: 'AAAA' }])).toThrow(/32 bytes/);
    expect(() => cardEngine(store, [{ id: 'a.b', key: OLD.key }])).toThrow(/id/);
    expect(() => cardEngine(store, [OLD, OLD])).toThrow(/twice/);
  });
});
