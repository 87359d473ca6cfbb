// Crash on the memory store: the reference service, with its trail in a JSON-lines audit
// file, kills itself with SIGKILL at a step of a virtual card's execute (CRASH_AT,
// crash-child.ts) and loses its store with it — one process per step, all appending to
// one audit file. Started again on that file, the service resolves at start-up every
// call the dead processes started and never finished, and answers the identical retry
// of each that its outcome is unknown: nothing is issued a second time.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unresolvedExecutions } from '@handshake/core';
import { CRASH_POINTS } from '@handshake/core/testing';
import { generateSigningKey } from '@handshake/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { auditEvents, callService, purchaseBody, startChild } from './crash-support.js';

describe('a service on the memory store killed with SIGKILL in the middle of an execute', () => {
  const folders: string[] = [];
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it(`at each step (${CRASH_POINTS.join(', ')}): resolves the call at restart and never issues a second card`, async () => {
    const folder = await mkdtemp(join(tmpdir(), 'handshake-memory-crash-'));
    folders.push(folder);
    const session = 'alice-session-token';
    const key = generateSigningKey();
    const env = {
      HANDSHAKE_SESSIONS: `alice:${session}`,
      HANDSHAKE_KEYS: `alice:k:${key.publicKey}`,
      HANDSHAKE_AUDIT_FILE: join(folder, 'audit.jsonl'),
      HANDSHAKE_LIMITS: '{"currency":"USD","daily":"1000.00"}',
      HANDSHAKE_SWEEP_SECONDS: '0',
    };
    const killed = await Promise.all(
      CRASH_POINTS.map(async (point) => {
        const dying = startChild({ ...env, CRASH_AT: point });
        children.push(dying.child);
        const a = await dying.url;
        const body = await purchaseBody(a, session, key.privateKey, `Shop ${point}`, '25.00');
        // The call never gets an answer: the process kills itself at the step.
        const lost = await callService(a, session, '/api/mcp/create-virtual-card', body).catch(
          (error: Error) => error,
        );
        expect(lost, point).toBeInstanceOf(Error);
        expect(await dying.exited, point).toBe('SIGKILL');
        // The card was issued only if the process died after the issuer answered.
        const ran = CRASH_POINTS.indexOf(point) >= CRASH_POINTS.indexOf('after-provider');
        expect(dying.issued, point).toEqual(ran ? [body.transaction_id] : []);
        return { point, body };
      }),
    );
    const transactions = killed.map(({ body }) => body.transaction_id).sort();
    const before = await auditEvents(env.HANDSHAKE_AUDIT_FILE);
    expect((await unresolvedExecutions(before)).map((e) => e.transactionId).sort()).toEqual(
      transactions,
    );

    const restarted = startChild(env);
    children.push(restarted.child);
    const b = await restarted.url;
    // At start-up, before any request, each call is recorded as interrupted.
    const resolved = await auditEvents(env.HANDSHAKE_AUDIT_FILE);
    expect(await unresolvedExecutions(resolved)).toEqual([]);
    expect(
      resolved
        .filter((e) => e.outcome === 'interrupted')
        .map((e) => e.transactionId)
        .sort(),
    ).toEqual(transactions);
    // Each identical retry hears the outcome is unknown; its token is not run again.
    for (const { point, body } of killed) {
      const retry = await callService(b, session, '/api/mcp/create-virtual-card', body);
      expect(retry.status, point).toBe(502);
      expect(retry.body, point).toMatchObject({ error: { code: 'PROVIDER_ERROR' } });
      expect(JSON.stringify(retry.body), point).toMatch(/outcome is unknown/);
    }
    restarted.child.kill('SIGTERM');
    await restarted.exited;
    expect(restarted.issued).toEqual([]);
    expect(await unresolvedExecutions(await auditEvents(env.HANDSHAKE_AUDIT_FILE))).toEqual([]);
  }, 240_000);
});
