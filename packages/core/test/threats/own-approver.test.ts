// Threats to in-chat approval: a person's own approver credential (the scope
// `handshake:approve:own`) used for another user's request, for parameters other than
// those shown, or by the agent's own session.
import { hashParams } from '@handshake/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREDENTIALS, expectRefusal, type Harness, startHarness } from '../harness.js';

let h: Harness;
const refund = { capture_id: 'CAP-1', amount: { value: '25.00', currency: 'USD' } };

beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

async function pendingRefund(credential: string) {
  const answer = await h.request('POST', '/authorize', {
    body: { tool: 'create_refund', parameters: refund },
    credential,
  });
  expect(answer.status).toBe(202);
  return answer.json as { approvalId: string; paramsHash: string };
}

const decide = (approvalId: string, body: Record<string, unknown>, credential: string) =>
  h.request('POST', `/approvals/${approvalId}/decision`, { body, credential });

describe('a person’s own approver credential', () => {
  it('decides the person’s own request, naming its parameters, and the audit records the chat', async () => {
    const { approvalId, paramsHash } = await pendingRefund(CREDENTIALS.alice);
    expect(paramsHash).toBe(hashParams(refund));
    const answer = await decide(
      approvalId,
      { decision: 'approve', paramsHash, channel: 'chat' },
      CREDENTIALS.aliceChat,
    );
    expect(answer.status).toBe(200);
    await h.engine.flushAudit();
    expect(h.audit.events).toContainEqual(
      expect.objectContaining({
        type: 'approval.decided',
        outcome: 'approved',
        decidedBy: 'alice',
        channel: 'chat',
      }),
    );
  });

  it('is refused for another user’s request, and the request stays pending', async () => {
    const { approvalId, paramsHash } = await pendingRefund(CREDENTIALS.bob);
    const answer = await decide(
      approvalId,
      { decision: 'approve', paramsHash, channel: 'chat' },
      CREDENTIALS.aliceChat,
    );
    expect(expectRefusal(answer)).toBe('FORBIDDEN');
    const listed = await h.request('GET', '/approvals?status=pending', {
      credential: CREDENTIALS.aliceChat,
    });
    expect((listed.json as { approvals: unknown[] }).approvals).toEqual([]);
    const status = await h.request('GET', `/approvals/${approvalId}`, {
      credential: CREDENTIALS.bob,
    });
    expect(status.json).toMatchObject({ status: 'pending' });
  });

  it('is refused for other parameters than those requested, or without naming them', async () => {
    const { approvalId } = await pendingRefund(CREDENTIALS.alice);
    const changed = hashParams({ ...refund, amount: { value: '2500.00', currency: 'USD' } });
    const other = await decide(
      approvalId,
      { decision: 'approve', paramsHash: changed, channel: 'chat' },
      CREDENTIALS.aliceChat,
    );
    expect(expectRefusal(other)).toBe('TRANSACTION_MISMATCH');
    const unnamed = await decide(approvalId, { decision: 'approve' }, CREDENTIALS.aliceChat);
    expect(expectRefusal(unnamed)).toBe('VALIDATION_ERROR');
    const status = await h.request('GET', `/approvals/${approvalId}`, {
      credential: CREDENTIALS.alice,
    });
    expect(status.json).toMatchObject({ status: 'pending' });
  });

  it('is not the agent’s session: that one decides nothing', async () => {
    const { approvalId, paramsHash } = await pendingRefund(CREDENTIALS.alice);
    const answer = await decide(approvalId, { decision: 'approve', paramsHash }, CREDENTIALS.alice);
    expect(expectRefusal(answer)).toBe('UNAUTHORIZED');
  });
});
