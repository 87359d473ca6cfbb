// Threats: a racing client (double spend) and racing validations (overspend), on the
// memory store. `packages/redis/src/threats.test.ts` runs the same races on Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIALS, type Harness, sseData, startHarness } from '../harness.js';
import { authorized, execute } from './support.js';

const ROUNDS = 20;
const CONCURRENT = 100;

describe('a racing client', () => {
  let h: Harness;
  // The tool waits until every other request of the round has been answered (or has
  // reached the tool too, which only a broken store allows), so the race is decided
  // while the winner is still running.
  let entered = 0;
  let answered = 0;
  let release = () => {};
  let gate = Promise.resolve();
  const maybeRelease = () => {
    if (entered + answered >= CONCURRENT) release();
  };

  beforeAll(async () => {
    h = await startHarness({
      engine: { limits: { currency: 'USD', daily: '100000.00' } },
      run: async (name) => {
        entered += 1;
        maybeRelease();
        await gate;
        return { paid: true, tool: name };
      },
    });
  });
  afterAll(() => h.close());

  it(`double spend: ${ROUNDS} rounds × ${CONCURRENT} concurrent executes of one token run the tool once per round (memory store)`, async () => {
    const parameters = (round: number) => ({
      order: `O-${round}`,
      amount: { value: '10.00', currency: 'USD' },
    });
    for (let round = 0; round < ROUNDS; round += 1) {
      const p = parameters(round);
      const auth = await authorized(h, 'buy', p, CREDENTIALS.alice);
      entered = 0;
      answered = 0;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const results = await Promise.all(
        Array.from({ length: CONCURRENT }, async (_, i) => {
          // Half from the session that authorized, half from the same user's other device.
          const credential = i % 2 === 0 ? CREDENTIALS.alice : CREDENTIALS.aliceOtherDevice;
          const answer = await execute(h, {
            token: auth.ephemeralToken,
            tool: 'buy',
            parameters: p,
            transactionId: auth.transactionId,
            credential,
          });
          answered += 1;
          maybeRelease();
          return { ...answer, credential };
        }),
      );
      expect(h.calls.buy, `round ${round}`).toBe(round + 1);
      const winners = results.filter((r) => r.status === 200);
      expect(winners, `round ${round}`).toHaveLength(1);
      const winner = winners[0]!;
      expect(winner.json).toMatchObject({ status: 'completed', result: { paid: true } });
      for (const loser of results.filter((r) => r.status !== 200)) {
        const code = (loser.json as { error: { code: string } }).error.code;
        // Only the session that won may be told "still running"; anyone else is refused.
        expect(code, `round ${round}`).toBe(
          loser.credential === winner.credential ? 'EXECUTION_IN_PROGRESS' : 'TOKEN_ALREADY_USED',
        );
      }
    }
    // Each round's amount was counted once.
    const limits = await h.engine.limits(CREDENTIALS.alice);
    expect(limits?.windows[0]).toMatchObject({ used: (ROUNDS * 10).toFixed(2) });
  }, 90_000);
});

describe('racing validations', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ engine: { limits: { currency: 'USD', daily: '1000.00' } } });
  });
  afterAll(() => h.close());

  it('overspend by racing validations: 100 concurrent validations of 30.00 against 1000.00 approve exactly 33 (memory store)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => h.validate('30.00', CREDENTIALS.alice, `Shop ${i}`)),
    );
    const approved = answers.filter((a) =>
      (a.headers.get('content-type') ?? '').startsWith('application/json'),
    );
    const waiting = answers.filter((a) =>
      (a.headers.get('content-type') ?? '').startsWith('text/event-stream'),
    );
    expect(approved).toHaveLength(33);
    for (const a of approved) expect(a.json).toMatchObject({ status: 'auto_approved' });
    expect(waiting).toHaveLength(67);
    for (const w of waiting) {
      expect(sseData(w.text)[0]?.data).toMatchObject({ status: 'pending', reasons: ['daily'] });
    }
    const limits = await h.request('GET', '/api/mcp/limits', { credential: CREDENTIALS.alice });
    expect(limits.json).toMatchObject({ daily: { used: '990.00', remaining: '10.00' } });
  });
});
