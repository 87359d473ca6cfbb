// Faults: an audit sink that fails. By default RESTRICTED calls, and the execute of every
// call that changes state, fail closed — nothing irreversible happens unless its audit
// event is written — and everything else is buffered: the call goes on, the events wait in order and are retried until written.
// Nothing is dropped either way.
import { HandshakeError } from '@handshake/protocol';
import { describe, expect, it, vi } from 'vitest';
import { verifyAuditChain } from '../../src/audit/audit-chain.js';
import type { AuditEvent, AuditSinkV1 } from '../../src/audit/audit-event.js';
import type { HandshakeOptions } from '../../src/engine/options.js';
import { CREDENTIALS, testEngine } from '../fixtures.js';

/** A sink that fails while `down` is true; `events` holds what it wrote, in order. */
function switchableSink() {
  const events: AuditEvent[] = [];
  const sink: AuditSinkV1 & { down: boolean; events: AuditEvent[]; attempts: number } = {
    specificationVersion: 'v1',
    down: false,
    events,
    attempts: 0,
    async write(event) {
      sink.attempts += 1;
      if (sink.down) throw new Error('audit endpoint answered 503');
      events.push(event);
    },
  };
  return sink;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (HandshakeError.isInstance(error)) return error.code;
    throw error;
  }
  return 'OK';
}

const order = { order_id: 'O-1' };
const refund = { capture_id: 'CAP-1', amount: { value: '25.00', currency: 'USD' } };

function setup(overrides: Partial<HandshakeOptions> = {}) {
  const sink = switchableSink();
  const errors: AuditEvent[] = [];
  const t = testEngine({
    audit: sink,
    auditRetryMs: () => 1,
    onAuditError: (_, event) => errors.push(event),
    ...overrides,
  });
  const internal = async () => {
    const auth = await t.engine.authorize(
      { tool: 'get_order', parameters: order },
      CREDENTIALS.alice,
    );
    if (auth.status !== 'authorized') throw new Error('expected authorized');
    return t.engine.execute(
      {
        ephemeralToken: auth.ephemeralToken,
        tool: 'get_order',
        parameters: order,
        ...t.sign('get_order', order, auth.transactionId),
      },
      CREDENTIALS.alice,
    );
  };
  /** Waits until the sink is failing (its retry is pending). */
  const failing = async () => {
    await internal().catch(() => {});
    expect(t.engine.auditBacklog().length).toBeGreaterThan(0);
  };
  return { ...t, sink, errors, internal, failing };
}

describe('an audit sink that fails', () => {
  it('fails closed for RESTRICTED: no approval is asked, no decision taken and no tool run while its events cannot be written; the token survives', async () => {
    const t = setup();
    const pending = await t.engine.authorize(
      { tool: 'create_refund', parameters: refund },
      CREDENTIALS.alice,
    );
    if (pending.status !== 'pending') throw new Error('expected pending');
    await t.engine.decide(pending.approvalId, { decision: 'approve' }, CREDENTIALS.approver);
    const view = await t.engine.approvalStatus(pending.approvalId, CREDENTIALS.alice);
    const request = {
      ephemeralToken: view.ephemeralToken!,
      tool: 'create_refund',
      parameters: refund,
      ...t.sign('create_refund', refund, pending.transactionId),
    };
    t.sink.down = true;
    await t.failing();
    const refused = await t.engine
      .execute(request, CREDENTIALS.alice)
      .catch((error: HandshakeError) => error);
    expect(refused).toMatchObject({ code: 'AUDIT_UNAVAILABLE', status: 503, retryAfterSeconds: 1 });
    expect(t.tools.calls.create_refund).toBeUndefined();
    expect(
      await codeOf(
        t.engine.authorize({ tool: 'create_refund', parameters: refund }, CREDENTIALS.alice),
      ),
    ).toBe('AUDIT_UNAVAILABLE');
    expect(await t.engine.listApprovals({ status: 'pending' }, CREDENTIALS.approver)).toHaveLength(
      0,
    );

    // Back up: the backlog drains in order, and the same token now executes.
    t.sink.down = false;
    await t.engine.flushAudit();
    expect(t.engine.auditBacklog()).toEqual([]);
    expect((await t.engine.execute(request, CREDENTIALS.alice)).status).toBe('completed');
    expect(t.tools.calls.create_refund).toBe(1);
    await t.engine.flushAudit();
    // The refused execute and the started one are both on record.
    const kinds = t.sink.events.map((e) => `${e.type}:${e.outcome}`);
    expect(kinds).toContain('refusal:AUDIT_UNAVAILABLE');
    expect(kinds.filter((k) => k === 'execute:started')).toHaveLength(2);
    expect(kinds.at(-1)).toBe('execute:completed');
    expect(verifyAuditChain(t.sink.events)).toEqual({ ok: true, count: t.sink.events.length });
  });

  it('writes ahead every call that changes state: CONFIDENTIAL and any tool with an amount run only after their started event is written', async () => {
    const t = setup();
    const invoice = {
      recipient_email: 'a@example.com',
      amount: { value: '10.00', currency: 'USD' },
    };
    const purchase = { amount: { value: '12.00', currency: 'USD' } };
    const authorized = async (tool: string, parameters: Record<string, unknown>) => {
      const auth = await t.engine.authorize({ tool, parameters }, CREDENTIALS.alice);
      if (auth.status !== 'authorized') throw new Error('expected authorized');
      return {
        ephemeralToken: auth.ephemeralToken,
        tool,
        parameters,
        ...t.sign(tool, parameters, auth.transactionId),
      };
    };
    const calls = [await authorized('create_invoice', invoice), await authorized('buy', purchase)];
    t.sink.down = true;
    await t.failing();
    for (const request of calls) {
      expect(await codeOf(t.engine.execute(request, CREDENTIALS.alice))).toBe('AUDIT_UNAVAILABLE');
    }
    expect(t.tools.calls.create_invoice).toBeUndefined();
    expect(t.tools.calls.buy).toBeUndefined();
    t.sink.down = false;
    await t.engine.flushAudit();
    for (const request of calls) {
      expect((await t.engine.execute(request, CREDENTIALS.alice)).status).toBe('completed');
    }
    await t.engine.flushAudit();
    // Each completed call has its started event before it, under the same transaction
    // (the refused attempt's own started event was kept and written once the sink was back).
    for (const request of calls) {
      const mine = t.sink.events.filter((e) => e.transactionId === request.transactionId);
      expect(mine.map((e) => `${e.type}:${e.outcome}`)).toEqual([
        'authorize:authorized',
        'execute:started',
        'refusal:AUDIT_UNAVAILABLE',
        'execute:started',
        'execute:completed',
      ]);
    }
  });

  it('fails closed for a decision on a RESTRICTED request', async () => {
    const t = setup();
    const pending = await t.engine.authorize(
      { tool: 'create_refund', parameters: refund },
      CREDENTIALS.alice,
    );
    if (pending.status !== 'pending') throw new Error('expected pending');
    t.sink.down = true;
    await t.failing();
    expect(
      await codeOf(
        t.engine.decide(pending.approvalId, { decision: 'approve' }, CREDENTIALS.approver),
      ),
    ).toBe('AUDIT_UNAVAILABLE');
    expect((await t.engine.approvalStatus(pending.approvalId, CREDENTIALS.alice)).status).toBe(
      'pending',
    );
  });

  it('buffers the other tiers: calls go on, events wait in order and are retried until written, and nothing is dropped', async () => {
    const t = setup();
    t.sink.down = true;
    for (let i = 0; i < 5; i += 1) expect((await t.internal()).status).toBe('completed');
    const backlog = t.engine.auditBacklog();
    expect(backlog.length).toBe(10);
    expect(backlog.map((e) => e.seq)).toEqual([...backlog.map((e) => e.seq)].sort((a, b) => a - b));
    expect(t.errors.length).toBeGreaterThan(0);
    // Retried while down: the head is attempted again and again, never skipped.
    const attempts = t.sink.attempts;
    await vi.waitFor(() => expect(t.sink.attempts).toBeGreaterThan(attempts + 2));
    expect(t.sink.events).toEqual([]);
    t.sink.down = false;
    await t.engine.flushAudit();
    expect(t.engine.auditBacklog()).toEqual([]);
    expect(t.sink.events.map((e) => e.seq)).toEqual(backlog.map((e) => e.seq));
    expect(verifyAuditChain(t.sink.events)).toEqual({ ok: true, count: 10 });
  });

  it('is configurable per tier: RESTRICTED may buffer, INTERNAL may fail closed', async () => {
    const relaxed = setup({ auditFailure: { RESTRICTED: 'buffer' } });
    relaxed.sink.down = true;
    await relaxed.failing();
    expect(
      (
        await relaxed.engine.authorize(
          { tool: 'create_refund', parameters: refund },
          CREDENTIALS.alice,
        )
      ).status,
    ).toBe('pending');

    const strict = setup({ auditFailure: { INTERNAL: 'closed', RESTRICTED: 'closed' } });
    strict.sink.down = true;
    expect(await codeOf(strict.internal())).toBe('AUDIT_UNAVAILABLE');
    expect(strict.tools.calls.get_order).toBeUndefined();
    expect(
      await codeOf(
        strict.engine.authorize({ tool: 'get_order', parameters: order }, CREDENTIALS.alice),
      ),
    ).toBe('AUDIT_UNAVAILABLE');
  });

  it('keeps every sink in order on its own: a healthy sink is not held back, and the failing one gets each event once', async () => {
    const healthy = switchableSink();
    const flaky = switchableSink();
    const t = setup({ audit: [healthy, flaky] });
    flaky.down = true;
    for (let i = 0; i < 3; i += 1) await t.internal();
    await vi.waitFor(() => expect(healthy.events).toHaveLength(6));
    expect(flaky.events).toHaveLength(0);
    flaky.down = false;
    await t.engine.flushAudit();
    expect(flaky.events.map((e) => e.hash)).toEqual(healthy.events.map((e) => e.hash));
  });

  it('close() does not hang on a sink that stays down, and what is left stays visible', async () => {
    const t = setup();
    t.sink.down = true;
    await t.internal();
    await t.engine.close();
    expect(t.engine.auditBacklog().length).toBeGreaterThan(0);
  });
});
