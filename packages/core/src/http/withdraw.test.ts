import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIALS, testEngine } from '../../test/fixtures.js';
import { type RunningServer, serve } from '../node/serve.js';
import { createHandshakeHandler } from './handler.js';

const refund = { capture_id: 'CAP-1', amount: { value: '25.00', currency: 'USD' } };

let server: RunningServer;

beforeAll(async () => {
  const setup = testEngine();
  server = await serve(
    createHandshakeHandler(setup.engine, { heartbeatMs: 50, pollMs: 5_000, retryMs: 1_000 }),
  );
});
afterAll(async () => {
  await server.close();
});

const auth = (credential: string) => ({ authorization: `Bearer ${credential}` });
const post = (path: string, headers: Record<string, string>, body?: unknown) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });

async function pending(): Promise<string> {
  const answer = await post('/authorize', auth(CREDENTIALS.alice), {
    tool: 'create_refund',
    parameters: refund,
  });
  expect(answer.status).toBe(202);
  return ((await answer.json()) as { approvalId: string }).approvalId;
}

describe('POST /approvals/{id}/withdraw', () => {
  it('withdraws the requester’s pending approval; its live stream ends with withdrawn', async () => {
    const approvalId = await pending();
    const stream = await fetch(`${server.url}/approvals/${approvalId}`, {
      headers: { ...auth(CREDENTIALS.alice), accept: 'text/event-stream' },
    });
    expect(stream.status).toBe(200);
    const withdrawn = await post(`/approvals/${approvalId}/withdraw`, auth(CREDENTIALS.alice));
    expect(withdrawn.status).toBe(200);
    expect(await withdrawn.json()).toMatchObject({ approvalId, status: 'withdrawn' });
    // The stream closes after the final status, which it names.
    const events = await stream.text();
    expect(events).toMatch(/"status":"withdrawn"/);
    const read = await fetch(`${server.url}/approvals/${approvalId}`, {
      headers: auth(CREDENTIALS.alice),
    });
    expect(await read.json()).toMatchObject({ status: 'withdrawn' });
  });

  it('refuses a later approval with a 409 naming the status', async () => {
    const approvalId = await pending();
    await post(`/approvals/${approvalId}/withdraw`, auth(CREDENTIALS.alice));
    const late = await post(`/approvals/${approvalId}/decision`, auth(CREDENTIALS.approver), {
      decision: 'approve',
    });
    expect(late.status).toBe(409);
    expect(await late.json()).toEqual({
      success: false,
      error: {
        code: 'APPROVAL_PENDING',
        message: 'The approval was already withdrawn: its requester cancelled the call',
      },
    });
  });

  it('answers another user exactly as a read of it does, and changes nothing', async () => {
    const approvalId = await pending();
    const withdraw = await post(`/approvals/${approvalId}/withdraw`, auth(CREDENTIALS.bob));
    const read = await fetch(`${server.url}/approvals/${approvalId}`, {
      headers: auth(CREDENTIALS.bob),
    });
    expect(withdraw.status).toBe(404);
    expect(await withdraw.json()).toEqual(await read.json());
    expect((await post(`/approvals/${approvalId}/withdraw`, {})).status).toBe(401);
    const mine = await fetch(`${server.url}/approvals/${approvalId}`, {
      headers: auth(CREDENTIALS.alice),
    });
    expect(await mine.json()).toMatchObject({ status: 'pending' });
  });
});
