import type { AuthorizationDecision } from './authorization-decision.js';

/** How many event ids and cards are remembered before the oldest are forgotten. */
const CAPACITY = 100_000;

const bounded = <K, V>(map: Map<K, V>, key: K, value: V) => {
  map.delete(key);
  map.set(key, value);
  if (map.size > CAPACITY) map.delete(map.keys().next().value as K);
};

/**
 * What the webhook remembers in this process: the cards already used (an approved
 * authorization spends a card), each real-time decision by event id (a repeated
 * delivery gets the same answer), and the follow-up events already processed.
 * Across instances, Stripe's own controls back it up: the card's `all_time` limit is
 * the approved amount, and it is cancelled after one payment.
 */
export function cardUsage() {
  const used = new Map<string, true>();
  const decisions = new Map<string, AuthorizationDecision>();
  const processed = new Map<string, true>();
  return {
    used: (cardId: string) => used.has(cardId),
    markUsed: (cardId: string) => bounded(used, cardId, true),
    decisionOf: (eventId: string) => decisions.get(eventId),
    rememberDecision: (eventId: string, decision: AuthorizationDecision) =>
      bounded(decisions, eventId, decision),
    processed: (eventId: string) => processed.has(eventId),
    markProcessed: (eventId: string) => bounded(processed, eventId, true),
  };
}
