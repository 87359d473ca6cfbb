import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import type { AuthorizeOp, TransactionRecord } from '@handshake/core';
import { storeConformance } from '@handshake/core/testing';
import { HandshakeError } from '@handshake/protocol';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'handshake-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = () => {
  files += 1;
  return join(dir, `store-${files}.db`);
};

// #region conformance
// The same suite MemoryStore and RedisStore pass, in memory and on a file (WAL).
storeConformance('SqliteStore in memory', () => new SqliteStore(), { describe, it, afterEach });
storeConformance(
  'SqliteStore on a file',
  () => new SqliteStore({ path: freshFile() }),
  { describe, it, afterEach },
  { concurrency: 50 },
);
// #endregion conformance

const T0 = Date.parse('2026-03-02T10:00:00Z');
const digest = (seed: string) => createHash('sha256').update(seed).digest('hex');

function authorizeOp(
  partition: string,
  seed: string,
  extra: Partial<AuthorizeOp> = {},
): AuthorizeOp {
  const record: TransactionRecord = {
    transactionId: `tx_${seed}`,
    userId: 'alice',
    sessionId: 's:1',
    tool: 'ledger_transfer',
    tier: 'RESTRICTED',
    paramsHash: 'a'.repeat(64),
    createdAt: T0,
    expiresAt: T0 + 30_000,
  };
  return {
    partition,
    userId: 'alice',
    now: T0,
    requiresApproval: false,
    token: { digest: digest(seed), record },
    approval: {
      approvalId: `apr_${partition}_${seed}`,
      transactionId: record.transactionId,
      userId: 'alice',
      sessionId: 's:1',
      tool: record.tool,
      tier: record.tier,
      paramsHash: record.paramsHash,
      parameters: {},
      status: 'pending',
      reasons: [{ kind: 'tier' }],
      createdAt: T0,
      expiresAt: T0 + 300_000,
      version: 1,
    },
    retainMs: 600_000,
    ...extra,
  };
}

const expectation = { userId: 'alice', tool: 'ledger_transfer', paramsHash: 'a'.repeat(64) };

describe('SqliteStore beyond the suite', () => {
  it('lets several processes sharing one file consume each token exactly once', async () => {
    const path = freshFile();
    const store = new SqliteStore({ path });
    const partition = 'aaaabbbbccccdddd';
    const seeds = Array.from({ length: 60 }, (_, i) => `race-${i}`);
    for (const seed of seeds) store.authorize(authorizeOp(partition, seed));
    store.close();

    const spec = JSON.stringify({
      partition,
      digests: seeds.map(digest),
      expect: expectation,
      now: T0 + 1,
    });
    const child = fileURLToPath(new URL('./race-child.ts', import.meta.url));
    const competitors = Array.from({ length: 4 }, () =>
      spawn(
        process.execPath,
        ['--import', 'tsx', '--conditions=@handshake/source', child, path, spec],
        {
          cwd: fileURLToPath(new URL('..', import.meta.url)),
          stdio: ['pipe', 'pipe', 'inherit'],
        },
      ),
    );
    const outputs = competitors.map((competitor) =>
      createInterface({ input: competitor.stdout! })[Symbol.asyncIterator](),
    );
    // A barrier, not a delay: everyone has the database open before anyone starts.
    for (const output of outputs) expect((await output.next()).value).toBe('ready');
    for (const competitor of competitors) competitor.stdin?.write('go\n');
    const results = await Promise.all(
      outputs.map(
        async (output) =>
          JSON.parse(String((await output.next()).value)) as {
            won: number[];
            answers: Record<string, number>;
          },
      ),
    );

    const won = results.flatMap((result) => result.won).sort((a, b) => a - b);
    expect(won).toEqual(seeds.map((_, i) => i)); // every token once, none twice
    for (const result of results) {
      expect((result.answers.ok ?? 0) + (result.answers.used ?? 0)).toBe(seeds.length);
    }
  }, 60_000);

  it('keeps tombstones, results for replay and committed reservation across a restart', () => {
    const path = freshFile();
    const partition = '1111222233334444';
    const window = {
      window: 'daily' as const,
      key: 'daily:2026-03-02',
      limitMinor: 10_000n,
      endsAt: T0 + 14 * 3_600_000,
    };
    const reservation = {
      reservationId: 'r-1',
      amountMinor: 2_500n,
      windows: [window],
      holdUntil: T0 + 60_000,
    };
    const before = new SqliteStore({ path });
    expect(before.authorize(authorizeOp(partition, 'restart', { reservation }))).toEqual({
      status: 'authorized',
      reserved: true,
    });
    const base = {
      partition,
      digest: digest('restart'),
      expect: expectation,
      sessionId: 's:1',
      retainMs: 600_000,
    };
    expect(before.consume({ ...base, now: T0 + 1 }).status).toBe('ok');
    before.complete({
      partition,
      digest: digest('restart'),
      now: T0 + 2,
      outcome: { status: 'completed', result: { transfer: 'T-1' } },
      retainMs: 600_000,
      reservation: { reservationId: 'r-1', action: 'commit' },
    });
    before.close();

    const after = new SqliteStore({ path });
    const replay = after.consume({ ...base, now: T0 + 3 });
    expect(replay).toMatchObject({
      status: 'used',
      tombstone: {
        state: 'completed',
        outcome: { status: 'completed', result: { transfer: 'T-1' } },
      },
    });
    expect(after.reservationUsage({ partition, now: T0 + 4, windows: [window] }).used).toEqual({
      'daily:2026-03-02': 2_500n,
    });
    after.close();
  });

  it('answers STORE_UNAVAILABLE while another connection holds the write lock, then recovers', () => {
    const path = freshFile();
    const store = new SqliteStore({ path, busyTimeoutMs: 50 });
    const other = new DatabaseSync(path);
    other.exec('BEGIN IMMEDIATE');
    let error: unknown;
    try {
      store.authorize(authorizeOp('5555666677778888', 'locked'));
    } catch (caught) {
      error = caught;
    }
    expect(HandshakeError.isInstance(error) && error.code).toBe('STORE_UNAVAILABLE');
    expect(String(error)).not.toContain(digest('locked'));
    other.exec('ROLLBACK');
    other.close();
    expect(store.authorize(authorizeOp('5555666677778888', 'locked')).status).toBe('authorized');
    store.close();
  });

  it('answers STORE_UNAVAILABLE once closed', () => {
    const store = new SqliteStore();
    store.close();
    expect(() => store.getApproval('p', 'apr_x')).toThrow(
      expect.objectContaining({ code: 'STORE_UNAVAILABLE' }),
    );
  });
});
