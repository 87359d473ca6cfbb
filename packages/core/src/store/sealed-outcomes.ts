import { hasSensitive } from '@handshake/protocol';
import { cryptoRandomSource, type RandomSource } from '../tokens/token.js';
import type { ExecutionOutcome } from './records.js';
import type { CompleteOp, ConsumeOp, ConsumeOutcome, StoreV1 } from './store-v1.js';

/**
 * A key that seals stored outcomes holding secrets (AES-256-GCM): an id, and 32 random
 * bytes in base64. Give a list to `createHandshake({ outcomeKeys })`, newest first: the
 * first seals, every one of them opens. To rotate, put a new key first and keep the old
 * one for one replay window (10 minutes by default), then remove it.
 *
 * @example
 * ```ts
 * import type { OutcomeKey } from '@handshake/core';
 *
 * // openssl rand -base64 32
 * const key: OutcomeKey = { id: '2026-12', key: 'q0v8bS0vJ6m3nXfWm3p9Yb3JxQ2zq6o8c1Q4t2k5H7E=' };
 * ```
 */
export interface OutcomeKey {
  /** Names the key in each sealed outcome; letters, digits, `_` and `-`. */
  id: string;
  /** 32 bytes, base64 (standard or URL alphabet). */
  key: string;
}

/** The member a sealed result is stored under: `v1.<key id>.<iv>.<ciphertext>`. */
const SEALED = '$handshake.sealed';

interface Keyring {
  current: { id: string; key: Promise<CryptoKey> };
  byId: Map<string, Promise<CryptoKey>>;
  random: RandomSource;
}

/**
 * Wraps a store so that a completed outcome whose result holds secrets — a member named
 * like a card number, CVC, password, secret or token, or a Luhn-valid card number (what
 * `redactSensitive` would hide) — is stored sealed with AES-256-GCM, bound to its
 * token, and opened again when a replay reads it. Without keys, a random key of this
 * process seals: replays then work only on the instance that stored them.
 */
export function sealOutcomes(
  store: StoreV1,
  keys: readonly OutcomeKey[] | undefined,
  random: RandomSource = cryptoRandomSource,
): StoreV1 {
  const ring = keyring(keys, random);
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property === 'complete') {
        return async (op: CompleteOp) => target.complete(await sealOp(ring, op));
      }
      if (property === 'consume') {
        return async (op: ConsumeOp) => openOutcome(ring, op, await target.consume(op));
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function keyring(keys: readonly OutcomeKey[] | undefined, random: RandomSource): Keyring {
  const byId = new Map<string, Promise<CryptoKey>>();
  const add = (id: string, bytes: Uint8Array) =>
    byId.set(
      id,
      crypto.subtle.importKey('raw', bytes as Uint8Array<ArrayBuffer>, 'AES-GCM', false, [
        'encrypt',
        'decrypt',
      ]),
    );
  if (!keys || keys.length === 0) {
    add('process', random(new Uint8Array(32)));
    return { current: { id: 'process', key: byId.get('process')! }, byId, random };
  }
  for (const { id, key } of keys) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
      throw new TypeError('an outcome key id must be 1 to 64 letters, digits, _ or -');
    }
    if (byId.has(id)) throw new TypeError(`outcome key id ${id} is given twice`);
    const bytes = fromBase64(key);
    if (bytes.length !== 32) {
      throw new TypeError(`outcome key ${id} must be 32 bytes in base64 (openssl rand -base64 32)`);
    }
    add(id, bytes);
  }
  const first = keys[0]!.id;
  return { current: { id: first, key: byId.get(first)! }, byId, random };
}

function holdsSecrets(result: unknown): boolean {
  try {
    return hasSensitive(result);
  } catch {
    return true;
  }
}

/** The token a sealed outcome belongs to: a sealed outcome moved to another tombstone does not open. */
const boundTo = (partition: string, digest: string) =>
  new TextEncoder().encode(`handshake:outcome:${partition}:${digest}`);

async function sealOp(ring: Keyring, op: CompleteOp): Promise<CompleteOp> {
  if (op.outcome.status !== 'completed' || !holdsSecrets(op.outcome.result)) return op;
  const iv = ring.random(new Uint8Array(12));
  const plain = new TextEncoder().encode(JSON.stringify(op.outcome.result ?? null));
  const sealed = await crypto.subtle.encrypt(
    {
      name: 'AES-GCM',
      iv: iv as Uint8Array<ArrayBuffer>,
      additionalData: boundTo(op.partition, op.digest),
    },
    await ring.current.key,
    plain,
  );
  const text = `v1.${ring.current.id}.${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
  return { ...op, outcome: { status: 'completed', result: { [SEALED]: text } } };
}

async function openOutcome(
  ring: Keyring,
  op: ConsumeOp,
  outcome: ConsumeOutcome,
): Promise<ConsumeOutcome> {
  if (outcome.status !== 'used') return outcome;
  const stored = outcome.tombstone.outcome;
  const text = sealedText(stored);
  if (text === undefined) return outcome;
  let opened: ExecutionOutcome;
  try {
    const [, id = '', iv = '', data = ''] = text.split('.');
    const key = ring.byId.get(id);
    if (!key) throw new Error('unknown key');
    const plain = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: fromBase64(iv) as Uint8Array<ArrayBuffer>,
        additionalData: boundTo(op.partition, op.digest),
      },
      await key,
      fromBase64(data) as Uint8Array<ArrayBuffer>,
    );
    opened = { status: 'completed', result: JSON.parse(new TextDecoder().decode(plain)) };
  } catch {
    opened = {
      status: 'failed',
      code: 'PROVIDER_ERROR',
      message: `${outcome.tombstone.tool} completed, but its result holds secrets sealed with a key this service does not hold, so it cannot be shown again`,
    };
  }
  return { ...outcome, tombstone: { ...outcome.tombstone, outcome: opened } };
}

function sealedText(outcome: ExecutionOutcome | undefined): string | undefined {
  if (outcome?.status !== 'completed') return undefined;
  const result = outcome.result as Record<string, unknown> | null;
  if (typeof result !== 'object' || result === null || Object.keys(result).length !== 1) {
    return undefined;
  }
  const text = result[SEALED];
  return typeof text === 'string' && text.startsWith('v1.') ? text : undefined;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return new Uint8Array();
  }
}
