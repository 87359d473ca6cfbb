// Threat: someone with write access to the audit file editing it to hide a call.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEventHash, verifyAuditChain } from '../../src/audit/audit-chain.js';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { jsonLinesAuditSink } from '../../src/node/json-lines-audit-sink.js';
import { CREDENTIALS, type Harness, startHarness } from '../harness.js';
import { authorized, execute } from './support.js';

describe('the audit file', () => {
  let h: Harness;
  let folder: string;
  let events: AuditEvent[];

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'handshake-audit-'));
    h = await startHarness({
      engine: { audit: jsonLinesAuditSink({ path: join(folder, 'audit.jsonl') }) },
    });
    for (const value of ['10.00', '20.00', '30.00']) {
      const parameters = { order: `O-${value}`, amount: { value, currency: 'USD' } };
      const auth = await authorized(h, 'buy', parameters, CREDENTIALS.alice);
      await execute(h, {
        token: auth.ephemeralToken,
        tool: 'buy',
        parameters,
        transactionId: auth.transactionId,
        credential: CREDENTIALS.alice,
      });
    }
    await h.request('POST', '/authorize', {
      body: { tool: 'wire_money', parameters: {} },
      credential: CREDENTIALS.alice,
    });
    await h.engine.flushAudit();
    const text = await readFile(join(folder, 'audit.jsonl'), 'utf8');
    events = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEvent);
  });
  afterAll(async () => {
    await h.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('audit chain tampering detected: a changed, rehashed, removed, reordered, inserted, duplicated or foreign event fails verification at its place', () => {
    // Three purchases (authorize, started, completed each) and the refused tool.
    expect(events.length).toBe(10);
    expect(verifyAuditChain(events)).toEqual({ ok: true, count: 10 });
    const second = events.findIndex((e) => e.type === 'execute' && e.amount?.value === '20.00');
    expect(second).toBeGreaterThan(0);
    const at = (list: AuditEvent[]) => verifyAuditChain(list);
    const rehash = (event: Omit<AuditEvent, 'hash'>): AuditEvent => ({
      ...event,
      hash: auditEventHash(event),
    });

    // The amount of a payment lowered.
    const lowered = events.map((e, i) =>
      i === second ? { ...e, amount: { value: '2.00', currency: 'USD' } } : e,
    );
    expect(at(lowered)).toMatchObject({ ok: false, index: second, reason: /hash/ });
    // The same, with the event's own hash recomputed: its successor's link breaks.
    const { hash: _old, ...bare } = lowered[second]!;
    const rehashed = lowered.map((e, i) => (i === second ? rehash(bare) : e));
    expect(at(rehashed)).toMatchObject({ ok: false, index: second + 1, reason: /link/ });
    // The payment removed.
    const removed = events.filter((_, i) => i !== second);
    expect(at(removed)).toMatchObject({ ok: false, index: second });
    // Two events swapped.
    const swapped = [...events];
    [swapped[second], swapped[second + 1]] = [swapped[second + 1]!, swapped[second]!];
    expect(at(swapped)).toMatchObject({ ok: false, index: second });
    // A forged refusal slipped in, well formed and linked to its predecessor.
    const forged = rehash({
      seq: events[second]!.seq + 1,
      at: events[second]!.at,
      type: 'refusal',
      outcome: 'TOKEN_INVALID',
      chain: events[second]!.chain,
      prevHash: events[second]!.hash,
    });
    const inserted = [...events.slice(0, second + 1), forged, ...events.slice(second + 1)];
    expect(at(inserted)).toMatchObject({ ok: false, index: second + 2 });
    // A line written twice.
    const duplicated = [
      ...events.slice(0, second + 1),
      events[second]!,
      ...events.slice(second + 1),
    ];
    expect(at(duplicated)).toMatchObject({ ok: false, index: second + 1 });
    // An event of another instance's chain.
    const { hash: _hash, ...original } = events[second]!;
    const foreign = events.map((e, i) =>
      i === second ? rehash({ ...original, chain: 'other' }) : e,
    );
    expect(at(foreign)).toMatchObject({ ok: false, index: second });
    // The first events cut off.
    expect(at(events.slice(2))).toMatchObject({ ok: false, index: 0 });
  });
});
