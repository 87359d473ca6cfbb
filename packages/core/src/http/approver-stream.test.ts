import type { ApprovalSummary } from '@handshake/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIALS, testEngine } from '../../test/fixtures.js';
import { type RunningServer, serve } from '../node/serve.js';
import { createHandshakeHandler } from './handler.js';

const refund = (value: string) => ({ capture_id: 'CAP-1', amount: { value, currency: 'USD' } });

let server: RunningServer;
let setup: ReturnType<typeof testEngine>;

beforeAll(async () => {
  setup = testEngine();
  server = await serve(
    createHandshakeHandler(setup.engine, { heartbeatMs: 40, pollMs: 60, retryMs: 1_500 }),
  );
});
afterAll(async () => {
  await server.close();
});

const auth = (credential: string) => ({ authorization: `Bearer ${credential}` });
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

async function requestRefund(value: string): Promise<string> {
  const response = await post(
    '/authorize',
    { tool: 'create_refund', parameters: refund(value) },
    auth(CREDENTIALS.alice),
  );
  expect(response.status).toBe(202);
  return ((await response.json()) as { approvalId: string }).approvalId;
}

interface StreamEvent {
  event: string;
  data: string;
}

/** Opens the approvers' stream and parses it as it arrives (comments are kept as `comment`). */
async function openStream(query = '', credential: string = CREDENTIALS.approver) {
  const controller = new AbortController();
  const response = await fetch(`${server.url}/approvals${query}`, {
    headers: { ...auth(credential), accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const events: Array<StreamEvent> = [];
  const raw: string[] = [];
  let ended = false;
  const pump = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          raw.push(block);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) event = 'comment';
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
            else if (line.startsWith('retry: ')) event = 'retry';
          }
          events.push({ event, data: data.join('\n') });
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted by the test
    }
    ended = true;
  })();
  const waitFor = async (predicate: (e: StreamEvent) => boolean, timeoutMs = 3_000) => {
    const started = Date.now();
    for (;;) {
      const found = events.find(predicate);
      if (found) return found;
      if (ended) throw new Error('the stream ended');
      if (Date.now() - started > timeoutMs) throw new Error('timed out waiting for an event');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const approvalEvents = (approvalId: string) =>
    events
      .filter((e) => e.event === 'approval')
      .map((e) => JSON.parse(e.data) as ApprovalSummary)
      .filter((s) => s.approvalId === approvalId);
  return {
    response,
    events,
    raw,
    waitFor,
    approvalEvents,
    isEnded: () => ended,
    close: async () => {
      controller.abort();
      await pump;
    },
  };
}

describe('the approvers’ stream (GET /approvals with Accept: text/event-stream)', () => {
  it('opens with retry advice and a snapshot of the pending approvals, with the engine’s clock', async () => {
    const approvalId = await requestRefund('25.00');
    const stream = await openStream('?status=pending');
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(stream.response.headers.get('cache-control')).toBe('no-store');
      const snapshot = await stream.waitFor((e) => e.event === 'snapshot');
      expect(stream.raw[0]).toBe('retry: 1500');
      const data = JSON.parse(snapshot.data) as { approvals: ApprovalSummary[]; now: string };
      expect(data.now).toBe(new Date(setup.clock.now()).toISOString());
      const mine = data.approvals.find((a) => a.approvalId === approvalId);
      expect(mine).toMatchObject({
        status: 'pending',
        userId: 'alice',
        tool: 'create_refund',
        tier: 'RESTRICTED',
        amount: { value: '25.00', currency: 'USD' },
        payee: 'Customer of capture',
        parameters: refund('25.00'),
        reasons: [{ kind: 'tier' }],
      });
      expect(mine).not.toHaveProperty('ephemeralToken');
      expect(data.approvals.every((a) => a.status === 'pending')).toBe(true);
      await stream.waitFor((e) => e.event === 'comment');
    } finally {
      await stream.close();
    }
  });

  it('sends each new approval and each decision once, as they happen', async () => {
    const stream = await openStream('?status=pending');
    try {
      await stream.waitFor((e) => e.event === 'snapshot');
      const approvalId = await requestRefund('40.00');
      await stream.waitFor((e) => e.event === 'approval' && e.data.includes(approvalId));
      expect(stream.approvalEvents(approvalId)).toMatchObject([
        { status: 'pending', amount: { value: '40.00', currency: 'USD' } },
      ]);
      const decided = await post(
        `/approvals/${approvalId}/decision`,
        { decision: 'deny', reason: 'not this one' },
        auth(CREDENTIALS.approver),
      );
      expect(decided.status).toBe(200);
      await stream.waitFor(
        (e) => e.event === 'approval' && e.data.includes(approvalId) && e.data.includes('denied'),
      );
      // Several polls later, the decision has still been sent only once.
      const heartbeats = stream.events.filter((e) => e.event === 'comment').length;
      await stream.waitFor(
        () => stream.events.filter((e) => e.event === 'comment').length >= heartbeats + 5,
      );
      expect(stream.approvalEvents(approvalId).map((s) => s.status)).toEqual(['pending', 'denied']);
      expect(stream.approvalEvents(approvalId)[1]).toMatchObject({
        decidedBy: 'ops',
        reason: 'not this one',
      });
    } finally {
      await stream.close();
    }
  });

  it('delivers through the store’s notifications, without waiting for the poll', async () => {
    const slow = await serve(createHandshakeHandler(setup.engine, { pollMs: 60_000 }));
    const controller = new AbortController();
    try {
      const response = await fetch(`${slow.url}/approvals?status=pending`, {
        headers: { ...auth(CREDENTIALS.approver), accept: 'text/event-stream' },
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const readUntil = async (needle: string) => {
        while (!text.includes(needle)) {
          const { done, value } = await reader.read();
          if (done) throw new Error('the stream ended');
          text += decoder.decode(value, { stream: true });
        }
      };
      await readUntil('event: snapshot');
      // The handler polls once a minute: the event arriving before the test's own
      // timeout means the store's notification delivered it.
      const approvalId = await requestRefund('7.50');
      await readUntil(`"approvalId":"${approvalId}"`);
      await post(
        `/approvals/${approvalId}/decision`,
        { decision: 'approve' },
        auth(CREDENTIALS.approver),
      );
      await readUntil('"status":"approved"');
      expect(text).toContain('"status":"approved"');
    } finally {
      controller.abort();
      await slow.close();
    }
  });

  it('reports an approval that expires without a decision', async () => {
    const approvalId = await requestRefund('12.00');
    const stream = await openStream('?status=pending');
    try {
      await stream.waitFor((e) => e.event === 'snapshot');
      setup.clock.advance(301_000);
      const expired = await stream.waitFor(
        (e) => e.event === 'approval' && e.data.includes(approvalId),
      );
      expect(JSON.parse(expired.data)).toMatchObject({ approvalId, status: 'expired' });
    } finally {
      await stream.close();
    }
  });

  it('is for approvers only: a user’s session, or none, is refused before any stream', async () => {
    for (const headers of [auth(CREDENTIALS.alice), {}]) {
      const response = await fetch(`${server.url}/approvals`, {
        headers: { ...headers, accept: 'text/event-stream' },
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toMatchObject({
        success: false,
        error: { code: 'UNAUTHORIZED' },
      });
    }
    // A session holding the approve scope is an approver.
    const stream = await openStream('', CREDENTIALS.opsSession);
    try {
      await stream.waitFor((e) => e.event === 'snapshot');
    } finally {
      await stream.close();
    }
  });

  it('validates the filter before streaming', async () => {
    const response = await fetch(`${server.url}/approvals?status=maybe`, {
      headers: { ...auth(CREDENTIALS.approver), accept: 'text/event-stream' },
    });
    expect(response.status).toBe(400);
  });
});

describe('deciding is safe from cross-site requests', () => {
  it('refuses a cross-site form post, with or without a credential, and changes nothing', async () => {
    const approvalId = await requestRefund('99.00');
    const form = (headers: Record<string, string>) =>
      fetch(`${server.url}/approvals/${approvalId}/decision`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'https://attacker.example',
          ...headers,
        },
        body: 'decision=approve',
      });
    // What a browser sends for a cross-site <form>: no Authorization header.
    const anonymous = await form({});
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    // Even with the credential, a form body is refused before it is read.
    const withCredential = await form(auth(CREDENTIALS.approver));
    expect(withCredential.status).toBe(415);
    expect(await withCredential.json()).toMatchObject({
      error: { code: 'UNSUPPORTED_MEDIA_TYPE' },
    });
    const status = await fetch(`${server.url}/approvals/${approvalId}`, {
      headers: auth(CREDENTIALS.alice),
    });
    expect(await status.json()).toMatchObject({ approvalId, status: 'pending' });
  });

  it('answers no CORS headers, so another origin’s script cannot read or send with a credential', async () => {
    const preflight = await fetch(`${server.url}/approvals/apr_x/decision`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://attacker.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.ok).toBe(false);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});
