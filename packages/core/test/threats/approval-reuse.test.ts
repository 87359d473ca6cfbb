// Threat: an approval executed twice. Once the tombstone of its executed token lapses
// (the replay window), reading the approval must not issue a fresh token that runs the
// same signed execute again, whatever the token lifetime and replay window are — over
// `GET /approvals/{id}`, its SSE stream and the spend API's `authorization-status`.
import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIALS, type Harness, sseData, startHarness } from '../harness.js';
import { execute, refusal } from './support.js';

let h: Harness;
afterEach(() => h?.close());

const refund = { capture_id: 'CAP-1', amount: { value: '5.00', currency: 'USD' } };

async function approvedRefund() {
  const pending = await h.request('POST', '/authorize', {
    body: { tool: 'create_refund', parameters: refund },
    credential: CREDENTIALS.alice,
  });
  expect(pending.status, pending.text).toBe(202);
  const { approvalId, transactionId } = pending.json as {
    approvalId: string;
    transactionId: string;
  };
  const decided = await h.request('POST', `/approvals/${approvalId}/decision`, {
    body: { decision: 'approve' },
    credential: CREDENTIALS.approver,
  });
  expect(decided.status, decided.text).toBe(200);
  return { approvalId, transactionId };
}

/** The two ways the requesting session reads the approval: JSON and the SSE stream. */
function readers(approvalId: string): Array<() => Promise<Record<string, unknown>>> {
  const path = `/approvals/${approvalId}`;
  return [
    async () => (await h.request('GET', path, { credential: CREDENTIALS.alice })).json as never,
    async () => {
      const stream = await h.request('GET', path, {
        credential: CREDENTIALS.alice,
        headers: { accept: 'text/event-stream' },
      });
      return sseData(stream.text)[0]?.data as never;
    },
  ];
}

async function reads(approvalId: string) {
  const out: Array<Record<string, unknown>> = [];
  for (const read of readers(approvalId)) out.push(await read());
  return out;
}

const run = (token: string, transactionId: string) =>
  execute(h, {
    token,
    tool: 'create_refund',
    parameters: refund,
    transactionId,
    credential: CREDENTIALS.alice,
  });

describe('an approval is single-use in itself', () => {
  const lifetimes: Array<{ tokenTtlMs: number; replayWindowMs: number }> = [
    // The reported case: a 3600 s token, the default 600 s replay window.
    { tokenTtlMs: 3_600_000, replayWindowMs: 600_000 },
    // A replay window shorter than the token lifetime.
    { tokenTtlMs: 60_000, replayWindowMs: 1_000 },
    { tokenTtlMs: 30_000, replayWindowMs: 600_000 },
  ];
  for (const { tokenTtlMs, replayWindowMs } of lifetimes) {
    it(`runs the approved refund once (token ${tokenTtlMs / 1000} s, replay window ${replayWindowMs / 1000} s)`, async () => {
      h = await startHarness({ engine: { tokenTtlMs, replayWindowMs } });
      const { approvalId, transactionId } = await approvedRefund();
      const view = await h.request('GET', `/approvals/${approvalId}`, {
        credential: CREDENTIALS.alice,
      });
      const token = (view.json as { ephemeralToken: string }).ephemeralToken;
      expect((await run(token, transactionId)).status).toBe(200);
      expect(h.calls.create_refund).toBe(1);
      const ranAt = h.clock.now();

      // Past the replay window (the executed token's tombstone is gone), then past the
      // token lifetime: whatever a read hands out, the same signed execute never runs again.
      for (const at of [replayWindowMs + 1_000, tokenTtlMs + replayWindowMs + 1_000]) {
        h.clock.set(ranAt + at);
        for (const reader of readers(approvalId)) {
          const read = await reader();
          expect(read).toMatchObject({ status: 'approved', executed: true });
          const tokens = [token, read?.ephemeralToken].filter((t) => typeof t === 'string');
          for (const t of tokens) {
            expect(['TOKEN_ALREADY_USED', 'TOKEN_INVALID']).toContain(
              refusal(await run(t as string, transactionId)),
            );
          }
          expect(read).not.toHaveProperty('ephemeralToken');
        }
      }
      expect(h.calls.create_refund).toBe(1);
      expect((await h.engine.limits(CREDENTIALS.alice))?.windows[0]?.used).toBe('5.00');
    });
  }

  it('a waiter past the replay window cannot run the call through its sibling token', async () => {
    h = await startHarness({ engine: { tokenTtlMs: 60_000, replayWindowMs: 1_000 } });
    const { approvalId, transactionId } = await approvedRefund();
    const [first, second] = await reads(approvalId);
    const tokens = [first?.ephemeralToken, second?.ephemeralToken] as string[];
    expect((await run(tokens[0]!, transactionId)).status).toBe(200);
    // Within the replay window the sibling's identical execute learns the result…
    expect((await run(tokens[1]!, transactionId)).json).toMatchObject({ replayed: true });
    // …and after it, while the sibling is still within its lifetime, it is refused.
    h.clock.advance(2_000);
    expect(refusal(await run(tokens[1]!, transactionId))).toBe('TOKEN_ALREADY_USED');
    expect(h.calls.create_refund).toBe(1);
  });

  it('a spent card validation yields no second validation token, and no second card', async () => {
    h = await startHarness({ engine: { tokenTtlMs: 3_600_000, replayWindowMs: 1_000 } });
    // Over the 500.00 per-transaction limit: the validation waits for the user.
    const stream = await h.validate('600.00');
    const { authorization_id, transaction_id } = sseData(stream.text)[0]!.data as {
      authorization_id: string;
      transaction_id: string;
    };
    const decided = await h.request('POST', `/approvals/${authorization_id}/decision`, {
      body: { decision: 'approve' },
      credential: CREDENTIALS.approver,
    });
    expect(decided.status).toBe(200);
    const status = () =>
      h.request('GET', `/api/mcp/authorization-status?id=${authorization_id}`, {
        credential: CREDENTIALS.alice,
      });
    const approved = (await status()).json as { validation_token: string };
    expect(approved.validation_token).toEqual(expect.any(String));
    const body = h.cardBody({ ...approved, transaction_id }, '600.00');
    const card = await h.request('POST', '/api/mcp/create-virtual-card', {
      body,
      credential: CREDENTIALS.alice,
    });
    expect(card.status, card.text).toBe(200);
    h.clock.advance(2_000);
    const after = (await status()).json as Record<string, unknown>;
    expect(after).toMatchObject({ status: 'approved' });
    expect(after).not.toHaveProperty('validation_token');
    const again = await h.request('POST', '/api/mcp/create-virtual-card', {
      body,
      credential: CREDENTIALS.alice,
    });
    expect(['TOKEN_ALREADY_USED', 'TOKEN_INVALID']).toContain(refusal(again));
    expect(h.issuer.issuedCount).toBe(1);
    expect((await h.engine.limits(CREDENTIALS.alice))?.windows[0]?.used).toBe('600.00');
  });
});
