import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logRequests } from './logging.js';

function captured(level: Parameters<typeof createLogger>[0]) {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger(
    level,
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  return { log, lines };
}

describe('the service logger', () => {
  it('censors fields named like a secret, up to three levels down', () => {
    const { log, lines } = captured('info');
    log.info(
      {
        ephemeralToken: 'hset_secret',
        request: {
          parameters: { capture_id: 'CAP-1' },
          headers: { authorization: 'Bearer s', cookie: 'c' },
        },
        card: { card_number: '4242424242424242', cardNumber: '4000', cvc: '123' },
        answer: { validation_token: 'v', body: { result: { id: 'r' } } },
        seq: 7,
      },
      'x',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      service: 'handshake',
      msg: 'x',
      seq: 7,
      ephemeralToken: '[redacted]',
      request: { parameters: '[redacted]', headers: { authorization: '[redacted]' } },
      card: { card_number: '[redacted]', cardNumber: '[redacted]', cvc: '[redacted]' },
      answer: { validation_token: '[redacted]', body: { result: '[redacted]' } },
    });
    expect(JSON.stringify(lines)).not.toMatch(/hset_secret|CAP-1|Bearer s|4242|"123"/);
  });

  it('logs each request at debug with its status and refusal code, and nothing else', async () => {
    const handler = async (request: Request) =>
      request.url.endsWith('/bad')
        ? Response.json({ success: false, error: { code: 'VALIDATION_ERROR' } }, { status: 400 })
        : new Response('ok');
    const debug = captured('debug');
    const logged = logRequests(handler, debug.log);
    await logged(new Request('http://localhost/approvals/ap_123'));
    const refused = await logged(new Request('http://localhost/bad', { method: 'POST' }));
    // The answer's body is still whole for the caller.
    expect(await refused.json()).toMatchObject({ error: { code: 'VALIDATION_ERROR' } });
    expect(debug.lines.map(({ time: _t, ms: _m, ...line }) => line)).toEqual([
      { level: 20, service: 'handshake', method: 'GET', status: 200, msg: 'request' },
      {
        level: 20,
        service: 'handshake',
        method: 'POST',
        status: 400,
        code: 'VALIDATION_ERROR',
        msg: 'request',
      },
    ]);
    expect(JSON.stringify(debug.lines)).not.toContain('ap_123');
    // Above debug, the handler itself: nothing added to a request.
    const info = captured('info');
    expect(logRequests(handler, info.log)).toBe(handler);
  });
});
