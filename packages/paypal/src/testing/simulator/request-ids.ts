// PayPal-Request-Id, as PayPal documents it (developer.paypal.com/api/rest/reference/
// idempotency): a request repeating an id PayPal still stores is answered with the
// first request's result, and nothing is created or moved again. Endpoints that take the
// header, and how long PayPal keeps the ids, follow the OpenAPI documents of
// paypal/paypal-rest-api-specifications @ec4d8f36: Orders v2 6 hours, Payments v2 45
// days, Catalog Products and Subscriptions v1 72 hours.
import type { Clock } from '@handshake/core';

const HOUR = 3_600_000;

/** How long PayPal keeps a `PayPal-Request-Id`, per API. */
export const REQUEST_ID_RETENTION_MS = Object.freeze({
  orders: 6 * HOUR,
  payments: 45 * 24 * HOUR,
  billing: 72 * HOUR,
});

interface StoredReply {
  status: number;
  headers: [string, string][];
  body: string;
  expiresAt: number;
}

/** The first successful answer per endpoint and request id, replayed while it is kept. */
export class RequestIdReplies {
  readonly #replies = new Map<string, StoredReply>();
  readonly #running = new Map<string, Promise<unknown>>();

  /**
   * Answers `run()`'s response, or the stored one when `key` was answered before.
   * Requests with one key run one at a time: a repeat sent while the first is running
   * waits for it, then gets its answer.
   */
  async answer(
    key: string,
    retainMs: number,
    clock: Clock,
    run: () => Promise<Response>,
  ): Promise<{ response: Response; replayed: boolean }> {
    for (let running = this.#running.get(key); running; running = this.#running.get(key)) {
      await running.catch(() => undefined);
    }
    const stored = this.#replies.get(key);
    if (stored && clock.now() < stored.expiresAt) {
      return {
        response: new Response(stored.status === 204 ? null : stored.body, {
          status: stored.status,
          headers: stored.headers,
        }),
        replayed: true,
      };
    }
    this.#replies.delete(key);
    const running = run();
    this.#running.set(key, running);
    try {
      const response = await running;
      // Only a success is kept: a refused request changed nothing, so a retry runs anew.
      if (response.status < 200 || response.status > 299) return { response, replayed: false };
      const body = await response.text();
      const reply: StoredReply = {
        status: response.status,
        headers: [...response.headers.entries()],
        body,
        expiresAt: clock.now() + retainMs,
      };
      this.#replies.set(key, reply);
      return {
        response: new Response(reply.status === 204 ? null : body, {
          status: reply.status,
          headers: reply.headers,
        }),
        replayed: false,
      };
    } finally {
      this.#running.delete(key);
    }
  }
}
