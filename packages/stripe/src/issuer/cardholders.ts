import type { Awaitable } from '@handshake/core';
import { HandshakeError, sha256Hex } from '@handshake/protocol';
import type { CustomerDetails } from '@handshake/protocol/cards';
import type Stripe from 'stripe';

/**
 * Remembers the Stripe cardholder of each user, so a user's cardholder is created once
 * and reused. The built-in one is in memory; after a restart the issuer finds a user's
 * cardholder again through Stripe (by the `handshake_user` metadata it writes). A shared
 * implementation (a database table) saves that look-up across instances.
 *
 * @example
 * ```ts
 * import type { CardholderDirectoryV1 } from '@handshake/stripe';
 *
 * const rows = new Map<string, string>(); // stands in for a database table
 * const directory: CardholderDirectoryV1 = {
 *   specificationVersion: 'v1',
 *   get: (userId) => rows.get(userId),
 *   set: (userId, cardholderId) => void rows.set(userId, cardholderId),
 * };
 * ```
 */
export interface CardholderDirectoryV1 {
  readonly specificationVersion: 'v1';
  get(userId: string): Awaitable<string | undefined>;
  set(userId: string, cardholderId: string): Awaitable<void>;
}

/**
 * A {@link CardholderDirectoryV1} in this process's memory.
 *
 * @example
 * ```ts
 * import { memoryCardholderDirectory } from '@handshake/stripe';
 *
 * const directory = memoryCardholderDirectory();
 * directory.set('alice', 'ich_123');
 * ```
 */
export function memoryCardholderDirectory(): CardholderDirectoryV1 {
  const ids = new Map<string, string>();
  return {
    specificationVersion: 'v1',
    get: (userId) => ids.get(userId),
    set: (userId, cardholderId) => {
      ids.set(userId, cardholderId);
    },
  };
}

/** The metadata key naming the user a cardholder belongs to. */
export const CARDHOLDER_USER_KEY = 'handshake_user';

/** Stripe prints at most 24 characters of a cardholder's name on cards. */
const printedName = (name: string) => name.trim().slice(0, 24).trim();

export interface CardholderContext {
  stripe: Stripe;
  directory: CardholderDirectoryV1;
  /** Runs a Stripe call with the issuer's retry and error mapping. */
  call<T>(what: string, run: () => Promise<T>): Promise<T>;
}

/** Finds or creates the cardholder of `userId`, once even under concurrent requests. */
export function cardholderResolver(context: CardholderContext) {
  const inFlight = new Map<string, Promise<string>>();

  const find = async (userId: string, customer: CustomerDetails | undefined) => {
    const list = await context.call('cardholder look-up', () =>
      context.stripe.issuing.cardholders.list({
        limit: 100,
        ...(customer?.email ? { email: customer.email } : {}),
      }),
    );
    return list.data.find((holder) => holder.metadata?.[CARDHOLDER_USER_KEY] === userId)?.id;
  };

  const create = async (userId: string, customer: CustomerDetails | undefined) => {
    const address = customer?.billing_address ?? customer?.shipping_address;
    if (!customer || !address) {
      throw new HandshakeError(
        'PROVIDER_ERROR',
        'A Stripe cardholder needs the customer’s name and billing address',
      );
    }
    const holder = await context.call('cardholder creation', () =>
      context.stripe.issuing.cardholders.create(
        {
          type: 'individual',
          name: printedName(customer.name),
          ...(customer.email ? { email: customer.email } : {}),
          ...(customer.phone ? { phone_number: customer.phone.replace(/[^+\d]/g, '') } : {}),
          billing: {
            address: {
              line1: address.line1,
              ...(address.line2 ? { line2: address.line2 } : {}),
              city: address.city,
              ...(address.state ? { state: address.state } : {}),
              postal_code: address.postal_code,
              country: address.country,
            },
          },
          metadata: { [CARDHOLDER_USER_KEY]: userId },
        },
        // One cardholder per user, even when two first purchases race.
        { idempotencyKey: `handshake-cardholder-${sha256Hex(userId).slice(0, 40)}` },
      ),
    );
    return holder.id;
  };

  const resolve = async (userId: string, customer: CustomerDetails | undefined) => {
    const known = await context.directory.get(userId);
    if (known) return known;
    const id = (await find(userId, customer)) ?? (await create(userId, customer));
    await context.directory.set(userId, id);
    return id;
  };

  return (userId: string, customer: CustomerDetails | undefined): Promise<string> => {
    const running = inFlight.get(userId);
    if (running) return running;
    const promise = resolve(userId, customer).finally(() => inFlight.delete(userId));
    inFlight.set(userId, promise);
    return promise;
  };
}
