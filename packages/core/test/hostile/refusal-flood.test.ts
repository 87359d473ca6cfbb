import { afterEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/audit/audit-chain.js';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { createHandshakeHandler } from '../../src/http/handler.js';
import { type RunningServer, serve } from '../../src/node/serve.js';
import { CREDENTIALS, testEngine } from '../fixtures.js';

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const refusals = (events: readonly AuditEvent[], source?: string) =>
  events.filter((e) => e.type === 'refusal' && (source === undefined || e.source === source));

/** Refusals an event stands for: itself, plus the ones a summary counts. */
const total = (events: readonly AuditEvent[]) =>
  events.reduce((sum, e) => sum + (e.count === undefined ? 1 : e.count), 0);

describe('a flood of refused requests', () => {
  it('3 000 bad-credential requests write one event per source and window, counting every one', async () => {
    const { engine, audit, clock } = testEngine();
    const handler = createHandshakeHandler(engine);
    const attempt = (address: string, n: number) =>
      handler(
        new Request(
          'http://localhost/authorize',
          json(
            { tool: 'get_order', parameters: { order_id: 'O-1' } },
            {
              authorization: `Bearer stolen-or-guessed-${n}`,
            },
          ),
        ),
        { remoteAddress: address },
      );
    for (let i = 0; i < 3_000; i += 1) {
      expect((await attempt('198.51.100.7', i)).status).toBe(401);
    }
    for (let i = 0; i < 40; i += 1) await attempt('203.0.113.9', i);
    // Within the window: the first refusal of each source, written at once.
    expect(refusals(audit.events)).toHaveLength(2);
    expect(refusals(audit.events, '198.51.100.7')[0]).toMatchObject({ outcome: 'UNAUTHORIZED' });

    // The next refusal after the window closes it: a summary, then a new window.
    clock.advance(60_000);
    await attempt('198.51.100.7', 0);
    await engine.close();
    const flood = refusals(audit.events, '198.51.100.7');
    expect(flood.map((e) => e.count)).toEqual([undefined, 2_999, undefined]);
    expect(flood[1]?.detail).toMatch(/2999 more UNAUTHORIZED refusals from 198\.51\.100\.7/);
    expect(total(flood)).toBe(3_001);
    expect(total(refusals(audit.events, '203.0.113.9'))).toBe(40);
    expect(refusals(audit.events)).toHaveLength(5);
    expect(verifyAuditChain(audit.events)).toMatchObject({ ok: true });
  });

  it('writes each refusal of an identified user, and everything with refusalWindowMs: false', async () => {
    const { engine, audit } = testEngine({ refusalWindowMs: false });
    const handler = createHandshakeHandler(engine);
    for (let i = 0; i < 5; i += 1) {
      await handler(
        new Request(
          'http://localhost/authorize',
          json({ tool: 'get_order', parameters: {} }, { authorization: 'Bearer nope' }),
        ),
        { remoteAddress: '198.51.100.7' },
      );
    }
    expect(refusals(audit.events)).toHaveLength(5);

    const counted = testEngine();
    const byUser = createHandshakeHandler(counted.engine);
    for (let i = 0; i < 3; i += 1) {
      await byUser(
        new Request(
          'http://localhost/execute',
          json(
            { tool: 'get_order', parameters: {}, ephemeralToken: `eph_unknown${i}` },
            { authorization: `Bearer ${CREDENTIALS.alice}` },
          ),
        ),
        { remoteAddress: '198.51.100.7' },
      );
    }
    expect(refusals(counted.audit.events).map((e) => e.userId)).toEqual([
      'alice',
      'alice',
      'alice',
    ]);
  });
});

describe('rate limits of callers without a session', () => {
  const servers: RunningServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  const publicCall = (headers: Record<string, string> = {}) =>
    new Request(
      'http://localhost/authorize',
      json({ tool: 'get_exchange_rate', parameters: {} }, headers),
    );

  it('one client address exhausting its allowance does not starve another', async () => {
    const { engine } = testEngine({ rateLimit: { limit: 5, windowMs: 60_000 } });
    const handler = createHandshakeHandler(engine);
    const from = (address: string, headers?: Record<string, string>) =>
      handler(publicCall(headers), { remoteAddress: address });
    for (let i = 0; i < 5; i += 1) expect((await from('198.51.100.7')).status).toBe(200);
    const limited = await from('198.51.100.7');
    expect(limited.status).toBe(429);
    // A forged X-Forwarded-For is ignored when no proxy is trusted.
    expect((await from('198.51.100.7', { 'x-forwarded-for': '192.0.2.1' })).status).toBe(429);
    for (let i = 0; i < 5; i += 1) expect((await from('203.0.113.9')).status).toBe(200);
  });

  it('trusts X-Forwarded-For only as far as trustedProxies says', async () => {
    const { engine } = testEngine({ rateLimit: { limit: 2, windowMs: 60_000 } });
    const handler = createHandshakeHandler(engine, { trustedProxies: 1 });
    const viaProxy = (forwardedFor: string) =>
      handler(publicCall({ 'x-forwarded-for': forwardedFor }), { remoteAddress: '10.0.0.2' });
    expect((await viaProxy('198.51.100.7')).status).toBe(200);
    // The client wrote its own entry first; the proxy appended the real address.
    expect((await viaProxy('192.0.2.1, 198.51.100.7')).status).toBe(200);
    expect((await viaProxy('192.0.2.2, 198.51.100.7')).status).toBe(429);
    expect((await viaProxy('203.0.113.9')).status).toBe(200);
    expect(() => createHandshakeHandler(engine, { trustedProxies: -1 })).toThrow(/trustedProxies/);
  });

  it('serve passes the connection address: refusals over real HTTP name it', async () => {
    const { engine, audit } = testEngine({ rateLimit: { limit: 1, windowMs: 60_000 } });
    const server = await serve(createHandshakeHandler(engine), { port: 0 });
    servers.push(server);
    const call = () =>
      fetch(`${server.url}/authorize`, json({ tool: 'get_exchange_rate', parameters: {} }));
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(429);
    expect(refusals(audit.events)).toMatchObject([
      {
        outcome: 'RATE_LIMITED',
        userId: 'anonymous',
        source: expect.stringMatching(/127\.0\.0\.1/),
      },
    ]);
  });
});
