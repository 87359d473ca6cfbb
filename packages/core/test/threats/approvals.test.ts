// Threats: a requester approving their own request, and another user reading (or
// waiting on) someone's approval to learn of it or catch its token.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREDENTIALS, expectRefusal, type Harness, startHarness } from '../harness.js';

let h: Harness;
const refund = { capture_id: 'CAP-1', amount: { value: '25.00', currency: 'USD' } };

beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

async function pendingRefund() {
  const answer = await h.request('POST', '/authorize', {
    body: { tool: 'create_refund', parameters: refund },
    credential: CREDENTIALS.alice,
  });
  expect(answer.status).toBe(202);
  return answer.json as { approvalId: string; transactionId: string };
}

describe('approvals', () => {
  it('approval by the requester itself: a session with the approve scope cannot decide its own request', async () => {
    const { approvalId } = await pendingRefund();
    for (const decision of ['approve', 'deny']) {
      const answer = await h.request('POST', `/approvals/${approvalId}/decision`, {
        body: { decision },
        credential: CREDENTIALS.opsSession,
      });
      expect(expectRefusal(answer)).toBe('FORBIDDEN');
    }
    // A plain user session is no approver at all.
    const plain = await h.request('POST', `/approvals/${approvalId}/decision`, {
      body: { decision: 'approve' },
      credential: CREDENTIALS.alice,
    });
    expect(expectRefusal(plain)).toBe('UNAUTHORIZED');
    const status = await h.request('GET', `/approvals/${approvalId}`, {
      credential: CREDENTIALS.alice,
    });
    expect(status.json).toMatchObject({ status: 'pending' });
    expect(status.json).not.toHaveProperty('ephemeralToken');
    await h.engine.flushAudit();
    expect(h.audit.events).toContainEqual(
      expect.objectContaining({ type: 'refusal', outcome: 'FORBIDDEN', detail: 'self-approval' }),
    );
    // Another approver still can.
    const other = await h.request('POST', `/approvals/${approvalId}/decision`, {
      body: { decision: 'approve' },
      credential: CREDENTIALS.approver,
    });
    expect(other.status).toBe(200);
  });

  it('approval read by another user: every way of reading it answers as if it did not exist, before and after approval', async () => {
    const { approvalId } = await pendingRefund();
    const unknownId = approvalId.replace(/_[^_]+$/, '_doesNotExist0000000000');
    const reads = (id: string) => [
      h.request('GET', `/approvals/${id}`, { credential: CREDENTIALS.bob }),
      h.request('GET', `/approvals/${id}`, {
        credential: CREDENTIALS.bob,
        headers: { accept: 'text/event-stream' },
      }),
      h.request('GET', `/api/mcp/authorization-status?id=${encodeURIComponent(id)}`, {
        credential: CREDENTIALS.bob,
      }),
    ];
    const check = async () => {
      const theirs = await Promise.all(reads(approvalId));
      const missing = await Promise.all(reads(unknownId));
      theirs.forEach((answer, i) => {
        expect(expectRefusal(answer)).toBe('NOT_FOUND');
        expect(answer.text).toBe(missing[i]!.text);
        expect(answer.text).not.toContain('hset_');
      });
    };
    await check();
    // Nor can bob list approvals: that is for approvers.
    const list = await h.request('GET', '/approvals?status=pending', {
      credential: CREDENTIALS.bob,
    });
    expect(expectRefusal(list)).toBe('UNAUTHORIZED');
    const decided = await h.request('POST', `/approvals/${approvalId}/decision`, {
      body: { decision: 'approve' },
      credential: CREDENTIALS.approver,
    });
    expect(decided.status).toBe(200);
    await check();
    // Alice's other device sees the status, but the token only goes to the session that asked.
    const otherDevice = await h.request('GET', `/approvals/${approvalId}`, {
      credential: CREDENTIALS.aliceOtherDevice,
    });
    expect(otherDevice.json).toMatchObject({ status: 'approved' });
    expect(otherDevice.json).not.toHaveProperty('ephemeralToken');
    const own = await h.request('GET', `/approvals/${approvalId}`, {
      credential: CREDENTIALS.alice,
    });
    expect(own.json).toMatchObject({ status: 'approved', ephemeralToken: expect.any(String) });
  });
});
