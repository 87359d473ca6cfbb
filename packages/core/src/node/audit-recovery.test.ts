import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../audit/audit-event.js';
import { interruptedInAuditFile } from './audit-recovery.js';

let seq = 0;
const event = (fields: Partial<AuditEvent>): AuditEvent =>
  ({
    type: 'execute',
    outcome: 'completed',
    seq: seq++,
    at: `2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`,
    chain: 'c',
    userId: 'alice',
    tool: 'create_refund',
    paramsHash: 'a'.repeat(64),
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
    ...fields,
  }) as AuditEvent;

describe('interruptedInAuditFile', () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const made of folders.splice(0)) rmSync(made, { recursive: true, force: true });
  });
  const file = (events: AuditEvent[], tail = '') => {
    const folder = mkdtempSync(join(tmpdir(), 'handshake-recovery-'));
    folders.push(folder);
    const path = join(folder, 'audit.jsonl');
    writeFileSync(path, events.map((e) => `${JSON.stringify(e)}\n`).join('') + tail);
    return path;
  };

  it('lists the started calls nothing resolved, and skips a line cut short by the crash', async () => {
    const path = file(
      [
        event({ outcome: 'started', transactionId: 'tx_done' }),
        event({ outcome: 'completed', transactionId: 'tx_done' }),
        event({ outcome: 'started', transactionId: 'tx_refused' }),
        event({ type: 'refusal', outcome: 'TOKEN_EXPIRED', transactionId: 'tx_refused' }),
        event({ outcome: 'started', transactionId: 'tx_lost' }),
        // Another transaction of the same call resolves only its own started event.
        event({ outcome: 'started', transactionId: 'tx_other' }),
        event({ outcome: 'failed', transactionId: 'tx_other' }),
        // A call without a transaction is resolved by the next event of the same call.
        event({ outcome: 'started', paramsHash: 'b'.repeat(64) }),
        event({ outcome: 'started', paramsHash: 'c'.repeat(64) }),
        event({ outcome: 'replayed', paramsHash: 'c'.repeat(64) }),
        event({ outcome: 'started', transactionId: 'tx_cut' }),
      ],
      '{"type":"execute","outcome":"compl',
    );
    const open = await interruptedInAuditFile(path);
    expect(open.map((e) => e.transactionId ?? e.paramsHash)).toEqual([
      'tx_lost',
      'b'.repeat(64),
      'tx_cut',
    ]);
  });

  it('finds nothing in a missing file', async () => {
    expect(await interruptedInAuditFile(join(tmpdir(), 'no-such-folder-x', 'a.jsonl'))).toEqual([]);
  });
});
