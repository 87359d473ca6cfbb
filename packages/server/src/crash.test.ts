// Crash: the reference service is killed with SIGKILL while it creates virtual cards,
// then started again on the same Redis and the same JSON-lines audit file, and the
// agents retry every request identically. Checked: no transaction got two cards, every
// call written ahead (`started`) is resolved in the audit trail, the limits count each
// purchase once.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey } from '@handshake/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { auditEvents, callService, purchaseBody, startChild as start } from './crash-support.js';

const REDIS = 'redis://127.0.0.1:6379/11';
const CALLS = 24;

/** Whether Redis answers PING on loopback (plain RESP, so no client library is needed). */
function redisUp(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: 6379 });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => done(chunk.toString().startsWith('+PONG')));
  });
}
const available = await redisUp();
if (!available && process.env.CI === 'true') throw new Error('Redis is required under CI');

describe.skipIf(!available)('a service killed with SIGKILL while it issues cards (Redis)', () => {
  const folders: string[] = [];
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it(`resolves every call and moves money once for each of ${CALLS} purchases`, async () => {
    const folder = await mkdtemp(join(tmpdir(), 'handshake-crash-'));
    folders.push(folder);
    const user = `crash${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const session = `${user}-session-token`;
    const key = generateSigningKey();
    const env = {
      HANDSHAKE_STORE: REDIS,
      HANDSHAKE_SESSIONS: `${user}:${session}`,
      HANDSHAKE_KEYS: `${user}:k:${key.publicKey}`,
      HANDSHAKE_AUDIT_FILE: join(folder, 'audit.jsonl'),
      HANDSHAKE_LIMITS: '{"currency":"USD","daily":"10000.00"}',
      HANDSHAKE_OUTCOME_KEYS: `k1:${Buffer.alloc(32, 9).toString('base64')}`,
    };
    const call = (base: string, path: string, body?: unknown) =>
      callService(base, session, path, body);

    const first = start(env);
    children.push(first.child);
    const a = await first.url;
    const bodies = [];
    for (let i = 0; i < CALLS; i += 1) {
      bodies.push(await purchaseBody(a, session, key.privateKey, `Shop ${i}`, `${10 + i}.00`));
    }
    const total = bodies.reduce((sum, b) => sum + Number(b.card_amount), 0).toFixed(2);
    // Fire them all; kill the process while cards are being issued.
    const inFlight = bodies.map((body) =>
      call(a, '/api/mcp/create-virtual-card', body).catch(() => undefined),
    );
    await expect.poll(() => first.issued.length, { timeout: 10_000 }).toBeGreaterThan(2);
    first.child.kill('SIGKILL');
    await Promise.all(inFlight);

    const second = start(env);
    children.push(second.child);
    const b = await second.url;
    // Past the execution timeout of the dead process's calls, every identical retry gets
    // an answer that says what happened: the card (replayed), or that it is unknown.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (const body of bodies) {
      const retry = await call(b, '/api/mcp/create-virtual-card', body);
      const code = (retry.body as { error?: { code: string } }).error?.code;
      expect([200, 502], JSON.stringify(retry.body)).toContain(retry.status);
      if (retry.status === 502) expect(code).toBe('PROVIDER_ERROR');
    }
    second.child.kill('SIGTERM');

    // No transaction got two cards, across both processes.
    const cards = [...first.issued, ...second.issued];
    expect(new Set(cards).size).toBe(cards.length);
    // Every call written ahead is resolved in the audit trail under its transaction.
    const events = await auditEvents(env.HANDSHAKE_AUDIT_FILE);
    const started = events.filter((e) => e.type === 'execute' && e.outcome === 'started');
    expect(started.length).toBeGreaterThanOrEqual(CALLS);
    for (const { transactionId } of started) {
      const resolved = events.some(
        (e) =>
          e.transactionId === transactionId &&
          ((e.type === 'execute' && e.outcome !== 'started') || e.type === 'refusal'),
      );
      expect(resolved, `transaction ${transactionId}`).toBe(true);
    }
    // The kill found calls done and calls in flight: both kinds were resolved.
    const outcomes = events.filter((e) => e.type === 'execute').map((e) => e.outcome);
    expect(outcomes).toContain('completed');
    expect(outcomes).toContain('abandoned');
    // Each issued card's transaction has its started event before it ran.
    for (const transactionId of cards) {
      expect(started.some((e) => e.transactionId === transactionId)).toBe(true);
    }
    // The limits count each purchase once: everything validated, consumed or not, still
    // held or committed — nothing twice, nothing lost.
    const third = start(env);
    children.push(third.child);
    const limits = await call(await third.url, '/api/mcp/limits');
    expect((limits.body as unknown as { daily: { used: string } }).daily.used).toBe(total);
    third.child.kill('SIGTERM');
  }, 60_000);
});
