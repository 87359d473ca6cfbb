import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIALS } from '../../test/fixtures.js';
import { MALFORMED } from '../../test/hostile/corpus.js';
import { inMemoryTelemetry, instrumentedEngine } from '../../test/telemetry.js';

let telemetry: ReturnType<typeof inMemoryTelemetry>;
afterEach(() => telemetry?.close());

const refund = { capture_id: 'CAP-SECRET-4411', amount: { value: '73.19', currency: 'USD' } };

describe('what the instrumentation records', () => {
  it('holds no token, credential, user id, identifier or parameter value, even under hostile input', async () => {
    telemetry = inMemoryTelemetry();
    const setup = instrumentedEngine(telemetry, { limits: { currency: 'USD', daily: '1000.00' } });
    const { engine, handler } = setup;
    const call = (path: string, body: BodyInit, credential: string) =>
      handler(
        new Request(`http://localhost${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
          body,
        }),
      ).then((response) => response.json() as Promise<Record<string, unknown>>);

    // A full RESTRICTED handshake, approved, then executed.
    const pending = await call(
      '/authorize',
      JSON.stringify({ tool: 'create_refund', parameters: refund }),
      CREDENTIALS.alice,
    );
    const approvalId = String(pending.approvalId);
    const transactionId = String(pending.transactionId);
    await engine.decide(approvalId, { decision: 'approve' }, CREDENTIALS.approver);
    const status = await engine.approvalStatus(approvalId, CREDENTIALS.alice);
    const token = status.ephemeralToken!;
    await call(
      '/execute',
      JSON.stringify({
        ephemeralToken: token,
        tool: 'create_refund',
        parameters: refund,
        ...setup.sign('create_refund', refund, transactionId),
      }),
      CREDENTIALS.alice,
    );
    // A denial, a replayed token, an unknown tool named like a secret, bad credentials.
    const denied = await engine.authorize(
      { tool: 'create_refund', parameters: refund },
      CREDENTIALS.bob,
    );
    if (denied.status === 'pending') {
      await engine.decide(denied.approvalId, { decision: 'deny' }, CREDENTIALS.approver);
    }
    await call(
      '/execute',
      JSON.stringify({ ephemeralToken: token, tool: 'create_refund', parameters: refund }),
      CREDENTIALS.alice,
    );
    await call(
      '/authorize',
      JSON.stringify({ tool: 'tool_CAP-SECRET-4411', parameters: {} }),
      CREDENTIALS.alice,
    );
    await call(
      '/authorize',
      JSON.stringify({ tool: 'create_refund', parameters: refund }),
      'session-forged-0123456789',
    );
    for (const bad of MALFORMED) {
      await call('/authorize', bad.body as BodyInit, CREDENTIALS.alice);
      await call('/execute', bad.body as BodyInit, CREDENTIALS.bob);
    }
    await handler(
      new Request(`http://localhost/approvals/${approvalId}`, {
        headers: { authorization: `Bearer ${CREDENTIALS.alice}` },
      }),
    );
    await engine.flushAudit();

    const metrics = await telemetry.collect();
    const spans = telemetry.spans.getFinishedSpans();
    // The instruments did record: an empty record would pass trivially.
    expect(metrics.length).toBeGreaterThan(10);
    expect(spans.length).toBeGreaterThan(20);
    const names = new Set(metrics.map((entry) => entry.name));
    expect([...names]).toEqual(
      expect.arrayContaining([
        'handshake.spend.reserved',
        'handshake.spend.committed',
        'handshake.spend.released',
      ]),
    );
    expect(spans.map((span) => span.name)).toEqual(
      expect.arrayContaining([
        'handshake.policy parameters',
        'handshake.policy amount',
        'handshake.policy signature',
        'handshake.audit approval.requested',
      ]),
    );
    const recorded = JSON.stringify([
      metrics.map((entry) => entry.point.attributes),
      spans.map((span) => [span.name, span.attributes, span.events, span.status]),
    ]);
    const secrets = [
      token,
      ...Object.values(CREDENTIALS),
      'session-forged',
      'alice',
      'bob',
      'CAP-SECRET',
      '73.19',
      approvalId,
      transactionId,
    ];
    for (const secret of secrets) expect(recorded).not.toContain(secret);
  });
});
