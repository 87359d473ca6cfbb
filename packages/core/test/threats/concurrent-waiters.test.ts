// Threat (to availability): waiters of one session revoking each other's token. Each
// read of an approved approval issues a token; concurrent waiters must each keep a
// working one, and the first execute must spend them all.
import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIALS, type Harness, sseData, startHarness } from '../harness.js';
import { execute } from './support.js';

let h: Harness;
afterEach(() => h?.close());

const refund = { capture_id: 'CAP-7', amount: { value: '7.00', currency: 'USD' } };
const WAITERS = 32;

describe('concurrent waiters of one session', () => {
  it(`${WAITERS} concurrent streams on one approval each get a working token; one call runs`, async () => {
    h = await startHarness();
    const pending = await h.request('POST', '/authorize', {
      body: { tool: 'create_refund', parameters: refund },
      credential: CREDENTIALS.alice,
    });
    const { approvalId, transactionId } = pending.json as {
      approvalId: string;
      transactionId: string;
    };
    const stream = () =>
      h.request('GET', `/approvals/${approvalId}`, {
        credential: CREDENTIALS.alice,
        headers: { accept: 'text/event-stream' },
        sseEvents: 2,
      });
    // The waiters are listening before the decision: each stream hears `approved`.
    const waiting = Array.from({ length: WAITERS }, stream);
    const decided = await h.request('POST', `/approvals/${approvalId}/decision`, {
      body: { decision: 'approve' },
      credential: CREDENTIALS.approver,
    });
    expect(decided.status).toBe(200);
    const tokens = (await Promise.all(waiting)).map((answer) => {
      const approved = sseData(answer.text).find(
        (e) => (e.data as { status: string }).status === 'approved',
      );
      return (approved?.data as { ephemeralToken?: string } | undefined)?.ephemeralToken;
    });
    expect(tokens.every((t) => typeof t === 'string')).toBe(true);
    expect(new Set(tokens).size).toBe(WAITERS);

    const answers = await Promise.all(
      tokens.map((token) =>
        execute(h, {
          token: token!,
          tool: 'create_refund',
          parameters: refund,
          transactionId,
          credential: CREDENTIALS.alice,
        }),
      ),
    );
    // No waiter's token was revoked: each learns the result or that it is still running.
    for (const answer of answers) {
      const code = (answer.json as { error?: { code: string } }).error?.code;
      expect(answer.status === 200 || code === 'EXECUTION_IN_PROGRESS', answer.text).toBe(true);
    }
    const ran = answers.filter(
      (a) => a.status === 200 && !(a.json as { replayed?: boolean }).replayed,
    );
    expect(ran).toHaveLength(1);
    expect(h.calls.create_refund).toBe(1);

    // Every token is spent now: the identical execute replays, a read issues nothing.
    const again = await execute(h, {
      token: tokens[WAITERS - 1]!,
      tool: 'create_refund',
      parameters: refund,
      transactionId,
      credential: CREDENTIALS.alice,
    });
    expect(again.json).toMatchObject({ status: 'completed', replayed: true });
    const view = await h.request('GET', `/approvals/${approvalId}`, {
      credential: CREDENTIALS.alice,
    });
    expect(view.json).toMatchObject({ status: 'approved', executed: true });
    expect(view.json).not.toHaveProperty('ephemeralToken');
    expect(h.calls.create_refund).toBe(1);
    expect((await h.engine.limits(CREDENTIALS.alice))?.windows[0]?.used).toBe('7.00');
  });
});
