const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Deterministic identifiers in PayPal's formats, from a small seeded PRNG (mulberry32), so
 * a simulator produces the same ids after every `reset()` and tests can rely on them.
 */
export class IdSource {
  #state: number;

  constructor(seed = 0x5eed) {
    this.#state = seed >>> 0;
  }

  #next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chars(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i += 1) out += alphabet[Math.floor(this.#next() * alphabet.length)];
    return out;
  }

  /** Orders, captures, refunds and transactions: 17 upper-case letters and digits. */
  transaction(): string {
    return this.chars(UPPER_ALNUM, 17);
  }

  invoice(): string {
    const group = () => this.chars(UPPER_ALNUM, 4);
    return `INV2-${group()}-${group()}-${group()}-${group()}`;
  }

  product(): string {
    return `PROD-${this.chars(UPPER_ALNUM, 17)}`;
  }

  plan(): string {
    return `P-${this.chars(UPPER_ALNUM, 24)}`;
  }

  subscription(): string {
    return `I-${this.chars(UPPER_ALNUM, 12)}`;
  }

  item(): string {
    return `ITEM-${this.chars(UPPER_ALNUM, 17)}`;
  }

  debugId(): string {
    return this.chars('0123456789abcdef', 13);
  }

  accessToken(): string {
    return `A21AA${this.chars(BASE64URL, 92)}`;
  }

  payerId(): string {
    return this.chars(UPPER_ALNUM, 13);
  }
}
