// Threats: a stolen token without the user's signing key (forged signatures), and a
// key of another user (wrong-key signatures).
import { generateSigningKey, hashParams, signExecute } from '@handshake/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREDENTIALS, type Harness, startHarness } from '../harness.js';
import { type Authorized, authorized, refusal } from './support.js';

let h: Harness;
let auth: Authorized;
const order = { order_id: 'O-1' };

beforeEach(async () => {
  h = await startHarness();
  auth = await authorized(h, 'get_order', order, CREDENTIALS.alice);
});
afterEach(() => h.close());

const send = (signature: unknown, transactionId: string = auth.transactionId) =>
  h.request('POST', '/execute', {
    body: {
      ephemeralToken: auth.ephemeralToken,
      tool: 'get_order',
      parameters: order,
      transactionId,
      ...(signature === undefined ? {} : { signature }),
    },
    credential: CREDENTIALS.alice,
  });

const sign = (privateKey: string, input: { tool?: string; transactionId?: string } = {}) =>
  signExecute(privateKey, {
    tool: input.tool ?? 'get_order',
    paramsHash: hashParams(order),
    transactionId: input.transactionId ?? auth.transactionId,
  });

/** The token survived every refusal: alice's real signature still executes once. */
async function expectTokenIntact() {
  expect(h.calls.get_order).toBeUndefined();
  const real = await send({ keyId: 'alice-key', value: sign(h.aliceKey.privateKey) });
  expect(real.status).toBe(200);
  expect(h.calls.get_order).toBe(1);
}

describe('signatures', () => {
  it('forged signature: a signature by any key but the registered one is refused, and the token survives', async () => {
    const forger = generateSigningKey();
    const cases: Array<[string, unknown]> = [
      ['missing', undefined],
      [
        'made with an unregistered key under alice-key',
        { keyId: 'alice-key', value: sign(forger.privateKey) },
      ],
      ['random bytes', { keyId: 'alice-key', value: 'A'.repeat(86) }],
      ['truncated', { keyId: 'alice-key', value: sign(h.aliceKey.privateKey).slice(0, 40) }],
      ['not base64url', { keyId: 'alice-key', value: '!!!not-a-signature!!!' }],
      [
        'for another tool',
        { keyId: 'alice-key', value: sign(h.aliceKey.privateKey, { tool: 'list_orders' }) },
      ],
      [
        'for another transaction',
        { keyId: 'alice-key', value: sign(h.aliceKey.privateKey, { transactionId: 'tx_other' }) },
      ],
      ['under an unknown key id', { keyId: 'nobody', value: sign(forger.privateKey) }],
    ];
    for (const [name, signature] of cases) {
      expect(refusal(await send(signature)), name).toBe('SIGNATURE_INVALID');
    }
    // A valid signature naming another transaction than the token's.
    const elsewhere = await send(
      { keyId: 'alice-key', value: sign(h.aliceKey.privateKey, { transactionId: 'tx_other' }) },
      'tx_other',
    );
    expect(refusal(elsewhere)).toBe('TRANSACTION_MISMATCH');
    await expectTokenIntact();
  });

  it("wrong-key signature: bob's registered key cannot sign alice's call, under his key id or hers", async () => {
    const bob = h.bobKey.privateKey;
    expect(refusal(await send({ keyId: 'bob-key', value: sign(bob) }))).toBe('SIGNATURE_INVALID');
    expect(refusal(await send({ keyId: 'alice-key', value: sign(bob) }))).toBe('SIGNATURE_INVALID');
    await expectTokenIntact();
  });
});
