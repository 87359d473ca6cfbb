import { type ApproverOverview, ApproverOverviewSchema } from '@handshake/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIALS, testEngine } from '../../test/fixtures.js';
import { createHandshakeHandler } from '../http/handler.js';
import { type RunningServer, serve } from '../node/serve.js';
import { staticSessionVerifier } from '../sessions/static-session-verifier.js';
import { OTHER_CODE, RefusalCounts } from './refusal-counts.js';

const LIMITS = { currency: 'USD', daily: '100.00', weekly: '500.00', monthly: '2000.00' };
const usd = (value: string) => ({ value, currency: 'USD' });

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(overrides: Parameters<typeof testEngine>[0] = {}) {
  const setup = testEngine({ limits: LIMITS, ...overrides });
  server = await serve(createHandshakeHandler(setup.engine));
  const url = server.url;
  const call = (path: string, credential: string | undefined, body?: unknown) =>
    fetch(`${url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        ...(credential ? { authorization: `Bearer ${credential}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const authorize = async (credential: string, tool: string, parameters: unknown) =>
    (await call('/authorize', credential, { tool, parameters })).status;
  const overview = async (credential: string = CREDENTIALS.approver) => {
    const response = await call('/overview', credential);
    expect(response.status).toBe(200);
    const text = await response.text();
    return { text, body: ApproverOverviewSchema.parse(JSON.parse(text)) as ApproverOverview };
  };
  return { ...setup, call, authorize, overview };
}

describe('GET /overview', () => {
  it('lists the pending approvals, the longest-waiting first, with their age on the service clock', async () => {
    const { clock, authorize, overview } = await start();
    expect(
      await authorize(CREDENTIALS.alice, 'create_refund', {
        capture_id: 'CAP-SECRET-1',
        amount: usd('25.00'),
      }),
    ).toBe(202);
    clock.advance(90_000);
    expect(
      await authorize(CREDENTIALS.bob, 'create_refund', {
        capture_id: 'CAP-SECRET-2',
        amount: usd('10.00'),
      }),
    ).toBe(202);
    clock.advance(30_000);

    const { body, text } = await overview();
    expect(body.pending.count).toBe(2);
    expect(body.pending.more).toBe(false);
    expect(body.pending.oldestAgeSeconds).toBe(120);
    expect(body.pending.approvals.map((a) => [a.userId, a.ageSeconds, a.amount?.value])).toEqual([
      ['alice', 120, '25.00'],
      ['bob', 30, '10.00'],
    ]);
    expect(body.now).toBe(new Date(clock.now()).toISOString());
    // No parameter, token or hash reaches the overview.
    expect(text).not.toContain('CAP-SECRET');
    expect(text).not.toContain('parameters');
    expect(text).not.toContain('paramsHash');
    expect(text).not.toMatch(/hset_|session-/);
  });

  it("shows each recent requester's spend against their limits, reservations counted", async () => {
    const { authorize, overview } = await start();
    expect(await authorize(CREDENTIALS.alice, 'buy', { amount: usd('40.00') })).toBe(200);
    expect(
      await authorize(CREDENTIALS.alice, 'create_refund', {
        capture_id: 'CAP-1',
        amount: usd('25.00'),
      }),
    ).toBe(202);
    // Bob spends but never asked for an approval: the approvals list never named him.
    expect(await authorize(CREDENTIALS.bob, 'buy', { amount: usd('30.00') })).toBe(200);

    const { body } = await overview();
    expect(body.spend.users.map((user) => user.userId)).toEqual(['alice']);
    const alice = body.spend.users[0]!;
    expect(alice.currency).toBe('USD');
    const daily = alice.windows.find((w) => w.window === 'daily');
    expect(daily).toMatchObject({ limit: '100.00', used: '65.00', share: 0.65, enabled: true });
    expect(alice.windows.find((w) => w.window === 'weekly')).toMatchObject({
      limit: '500.00',
      used: '65.00',
      share: 0.13,
    });
  });

  it('names a user without limits with no windows, and drops users whose requests are older than a day', async () => {
    const { clock, authorize, overview, engine } = await start({
      limits: (userId) => (userId === 'alice' ? LIMITS : undefined),
    });
    expect(
      await authorize(CREDENTIALS.bob, 'create_refund', { capture_id: 'C', amount: usd('1.00') }),
    ).toBe(202);
    expect((await overview()).body.spend.users).toEqual([{ userId: 'bob', windows: [] }]);
    clock.advance(25 * 60 * 60 * 1000);
    await engine.listApprovals({}, CREDENTIALS.approver); // expires it
    const later = (await overview()).body;
    expect(later.pending.count).toBe(0);
    expect(later.spend.users).toEqual([]);
  });

  it('counts the refusals of the last hour by code, the most frequent first', async () => {
    const { clock, authorize, overview } = await start();
    expect(await authorize('not-a-session', 'get_order', { id: 'O-1' })).toBe(401);
    clock.advance(20 * 60_000);
    expect(await authorize(CREDENTIALS.alice, 'no_such_tool', {})).toBe(403);
    expect(await authorize(CREDENTIALS.bob, 'no_such_tool', {})).toBe(403);

    expect((await overview()).body.refusals).toEqual({
      minutes: 60,
      total: 3,
      byCode: [
        { code: 'TOOL_NOT_ALLOWED', count: 2 },
        { code: 'UNAUTHORIZED', count: 1 },
      ],
    });
    // An hour after the first refusal it has left the count; the later ones have not.
    clock.advance(40 * 60_000);
    expect((await overview()).body.refusals?.byCode).toEqual([
      { code: 'TOOL_NOT_ALLOWED', count: 2 },
    ]);
  });

  it("shows a person's own approver credential only their requests, and no refusals", async () => {
    const { authorize, overview } = await start();
    await authorize(CREDENTIALS.alice, 'create_refund', { capture_id: 'A', amount: usd('5.00') });
    await authorize(CREDENTIALS.bob, 'create_refund', { capture_id: 'B', amount: usd('6.00') });
    await authorize('not-a-session', 'get_order', {});

    const { body, text } = await overview(CREDENTIALS.aliceChat);
    expect(body.pending.approvals.map((a) => a.userId)).toEqual(['alice']);
    expect(body.spend.users.map((u) => u.userId)).toEqual(['alice']);
    expect(body.refusals).toBeUndefined();
    expect(text).not.toContain('bob');
  });

  it('answers only approvers', async () => {
    const { call } = await start();
    expect((await call('/overview', undefined)).status).toBe(401);
    expect((await call('/overview', CREDENTIALS.alice)).status).toBe(401);
    expect((await call('/overview', CREDENTIALS.opsSession)).status).toBe(200);
  });

  it('lists at most 20 pending approvals and 20 users, and says there were more', async () => {
    const sessions: Record<string, string> = { [CREDENTIALS.approver]: 'x' };
    for (let i = 0; i < 25; i += 1) sessions[`session-user-${i}-0123456789`] = `user-${i}`;
    const { authorize, overview } = await start({
      sessions: staticSessionVerifier(sessions),
    });
    for (let i = 0; i < 25; i += 1) {
      expect(
        await authorize(`session-user-${i}-0123456789`, 'create_refund', {
          capture_id: `C-${i}`,
          amount: usd('1.00'),
        }),
      ).toBe(202);
    }
    const { body } = await overview();
    expect(body.pending.count).toBe(25);
    expect(body.pending.approvals).toHaveLength(20);
    expect(body.spend.users).toHaveLength(20);
    expect(body.spend.more).toBe(true);
  });
});

describe('RefusalCounts', () => {
  it('keeps a fixed number of codes per minute, counting the rest as _OTHER', () => {
    const counts = new RefusalCounts({ maxCodes: 2 });
    for (const code of ['A', 'B', 'C', 'D', 'A']) counts.add(code, 0);
    expect(counts.byCode(0)).toEqual([
      { code: 'A', count: 2 },
      { code: OTHER_CODE, count: 2 },
      { code: 'B', count: 1 },
    ]);
  });

  it('reuses the bucket of a minute an hour later, so old counts never come back', () => {
    const counts = new RefusalCounts();
    counts.add('OLD', 0);
    counts.add('MID', 30 * 60_000);
    expect(counts.byCode(60 * 60_000 - 1).map((entry) => entry.code)).toEqual(['MID', 'OLD']);
    counts.add('NEW', 60 * 60_000);
    expect(counts.byCode(60 * 60_000)).toEqual([
      { code: 'MID', count: 1 },
      { code: 'NEW', count: 1 },
    ]);
  });
});
