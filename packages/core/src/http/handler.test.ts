import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIALS, testEngine } from '../../test/fixtures.js';
import { type RunningServer, serve } from '../node/serve.js';
import { createHandshakeHandler } from './handler.js';

const refund = { capture_id: 'CAP-1', amount: { value: '25.00', currency: 'USD' } };
const order = { order_id: 'O-1' };

let server: RunningServer;
let setup: ReturnType<typeof testEngine>;

beforeAll(async () => {
  setup = testEngine({ rateLimit: { limit: 1000, windowMs: 60_000 } });
  server = await serve(
    createHandshakeHandler(setup.engine, { heartbeatMs: 50, pollMs: 5_000, retryMs: 1_234 }),
  );
});
afterAll(async () => {
  await server.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const auth = (credential: string) => ({ authorization: `Bearer ${credential}` });

async function envelope(response: Response) {
  const body = (await response.json()) as {
    success: false;
    error: { code: string; message: string };
  };
  expect(body.success).toBe(false);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
  return { status: response.status, code: body.error.code, message: body.error.message };
}

describe('the HTTP surface', () => {
  it('runs a full handshake with the token in a header', async () => {
    const a = await post(
      '/authorize',
      { tool: 'get_order', parameters: order },
      auth(CREDENTIALS.alice),
    );
    expect(a.status).toBe(200);
    const authorized = (await a.json()) as {
      ephemeralToken: string;
      transactionId: string;
      paramsHash: string;
      expiresAt: string;
    };
    expect(new Date(authorized.expiresAt).toISOString()).toBe(authorized.expiresAt);
    const e = await post(
      '/execute',
      {
        tool: 'get_order',
        parameters: order,
        ...setup.sign('get_order', order, authorized.transactionId),
      },
      { ...auth(CREDENTIALS.alice), 'x-ephemeral-token': authorized.ephemeralToken },
    );
    expect(e.status).toBe(200);
    expect(await e.json()).toMatchObject({
      status: 'completed',
      transactionId: authorized.transactionId,
    });
  });

  it('accepts the session in the body, as the seed does', async () => {
    const a = await post('/authorize', {
      tool: 'get_order',
      parameters: order,
      sessionToken: CREDENTIALS.alice,
    });
    expect(a.status).toBe(200);
  });

  it('answers every failure with the envelope and the documented status', async () => {
    expect(
      await envelope(await post('/authorize', { tool: 'get_order', parameters: order })),
    ).toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
    });
    expect(
      await envelope(await post('/authorize', '{"tool":', auth(CREDENTIALS.alice))),
    ).toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
    });
    expect(
      await envelope(
        await post(
          '/authorize',
          { tool: 'get_order', parameters: order, extra: 1 },
          auth(CREDENTIALS.alice),
        ),
      ),
    ).toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('extra'),
    });
    expect(
      await envelope(
        await post('/authorize', { tool: 'get_order', parameters: [1] }, auth(CREDENTIALS.alice)),
      ),
    ).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
    const text = await fetch(`${server.url}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(await envelope(text)).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    const big = await post(
      '/authorize',
      { tool: 'get_order', parameters: { blob: 'x'.repeat(70_000) } },
      auth(CREDENTIALS.alice),
    );
    expect(await envelope(big)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    const badUtf8 = await fetch(`${server.url}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    });
    expect(await envelope(badUtf8)).toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('UTF-8'),
    });
    expect(await envelope(await fetch(`${server.url}/nowhere`))).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
    expect(await envelope(await fetch(`${server.url}/authorize`))).toMatchObject({
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
    });
    expect(
      await envelope(
        await post('/authorize', { tool: 'wire_money', parameters: {} }, auth(CREDENTIALS.alice)),
      ),
    ).toMatchObject({ status: 403, code: 'TOOL_NOT_ALLOWED' });
    expect(
      await envelope(
        await post(
          '/execute',
          { tool: 'get_order', parameters: order, ephemeralToken: 'hset_x' },
          auth(CREDENTIALS.alice),
        ),
      ),
    ).toMatchObject({ status: 403, code: 'SIGNATURE_INVALID' });
  });

  it('sends Retry-After with RATE_LIMITED', async () => {
    const limited = testEngine({ rateLimit: { limit: 1, windowMs: 60_000 } });
    const handler = createHandshakeHandler(limited.engine);
    const request = () =>
      handler(
        new Request('http://x/authorize', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...auth(CREDENTIALS.alice) },
          body: JSON.stringify({ tool: 'get_order', parameters: order }),
        }),
      );
    expect((await request()).status).toBe(200);
    const second = await request();
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBe(60);
  });

  it('serves approvals to approvers only, and decisions with the approver credential', async () => {
    const pending = await post(
      '/authorize',
      { tool: 'create_refund', parameters: refund },
      auth(CREDENTIALS.alice),
    );
    expect(pending.status).toBe(202);
    const { approvalId } = (await pending.json()) as { approvalId: string };
    expect(
      await envelope(
        await fetch(`${server.url}/approvals?status=pending`, { headers: auth(CREDENTIALS.alice) }),
      ),
    ).toMatchObject({
      status: 401,
    });
    const list = await fetch(`${server.url}/approvals?status=pending`, {
      headers: auth(CREDENTIALS.approver),
    });
    const { approvals } = (await list.json()) as {
      approvals: Array<{ approvalId: string; parameters: unknown }>;
    };
    expect(approvals.find((a) => a.approvalId === approvalId)?.parameters).toEqual(refund);
    expect(
      await envelope(
        await fetch(`${server.url}/approvals?status=bogus`, {
          headers: auth(CREDENTIALS.approver),
        }),
      ),
    ).toMatchObject({
      status: 400,
    });
    const byUser = await post(
      `/approvals/${approvalId}/decision`,
      { decision: 'approve' },
      auth(CREDENTIALS.alice),
    );
    expect(await envelope(byUser)).toMatchObject({ status: 401 });
    const decided = await post(
      `/approvals/${approvalId}/decision`,
      { decision: 'deny', reason: 'no' },
      auth(CREDENTIALS.approver),
    );
    expect(decided.status).toBe(200);
    const status = await fetch(`${server.url}/approvals/${approvalId}`, {
      headers: auth(CREDENTIALS.alice),
    });
    expect(await status.json()).toMatchObject({ status: 'denied', reason: 'no' });
  });

  it('streams approval status over SSE with id, retry and heartbeats, and closes after the decision', async () => {
    const pending = await post(
      '/authorize',
      { tool: 'create_refund', parameters: refund },
      auth(CREDENTIALS.alice),
    );
    const { approvalId, transactionId } = (await pending.json()) as {
      approvalId: string;
      transactionId: string;
    };
    const response = await fetch(`${server.url}/approvals/${approvalId}`, {
      headers: { ...auth(CREDENTIALS.alice), accept: 'text/event-stream' },
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil('"status":"pending"');
    expect(text).toContain('retry: 1234');
    expect(text).toContain('id: 1\nevent: status\n');
    await readUntil(': heartbeat');
    const decided = await post(
      `/approvals/${approvalId}/decision`,
      { decision: 'approve' },
      auth(CREDENTIALS.approver),
    );
    expect(decided.status).toBe(200);
    await readUntil('"status":"approved"');
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    const approvedEvent = text.slice(text.indexOf('id: 2'));
    const data = JSON.parse(/data: (.*)\n/.exec(approvedEvent)![1]!) as { ephemeralToken: string };
    expect(data.ephemeralToken).toMatch(/^hset_/);
    // The streamed token executes the approved call.
    const done = await post(
      '/execute',
      {
        ephemeralToken: data.ephemeralToken,
        tool: 'create_refund',
        parameters: refund,
        ...setup.sign('create_refund', refund, transactionId),
      },
      auth(CREDENTIALS.alice),
    );
    expect(done.status).toBe(200);
  });

  it('resumes from Last-Event-ID without repeating what the client saw', async () => {
    const pending = await post(
      '/authorize',
      { tool: 'create_refund', parameters: refund },
      auth(CREDENTIALS.alice),
    );
    const { approvalId } = (await pending.json()) as { approvalId: string };
    const controller = new AbortController();
    const response = await fetch(`${server.url}/approvals/${approvalId}`, {
      headers: { ...auth(CREDENTIALS.alice), accept: 'text/event-stream', 'last-event-id': '1' },
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('retry:');
    // Nothing new until a decision: the next chunk is a heartbeat, not a repeated status.
    const next = new TextDecoder().decode((await reader.read()).value);
    expect(next).toBe(': heartbeat\n\n');
    controller.abort();
  });

  it('hides another user’s approval stream', async () => {
    const pending = await post(
      '/authorize',
      { tool: 'create_refund', parameters: refund },
      auth(CREDENTIALS.alice),
    );
    const { approvalId } = (await pending.json()) as { approvalId: string };
    const response = await fetch(`${server.url}/approvals/${approvalId}`, {
      headers: { ...auth(CREDENTIALS.bob), accept: 'text/event-stream' },
    });
    expect(await envelope(response)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('keeps serving after hostile requests', async () => {
    for (const body of [
      '',
      'null',
      '[]',
      '"x"',
      '{"__proto__":{"polluted":1},"tool":"get_order","parameters":{}}',
    ]) {
      const response = await post('/authorize', body, auth(CREDENTIALS.alice));
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
