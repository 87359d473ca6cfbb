import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../audit/audit-event.js';
import { jsonLinesAuditSink } from './json-lines-audit-sink.js';

const event = (seq: number) =>
  ({
    type: 'execute',
    outcome: 'completed',
    seq,
    at: '2026-01-01T00:00:00.000Z',
    chain: 'c',
    prevHash: '0'.repeat(64),
    hash: String(seq).padStart(64, '0'),
  }) as AuditEvent;

const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as AuditEvent).seq);

describe('jsonLinesAuditSink', () => {
  const folders: string[] = [];
  const folder = () => {
    const made = mkdtempSync(join(tmpdir(), 'handshake-audit-'));
    folders.push(made);
    return made;
  };
  afterEach(() => {
    for (const made of folders.splice(0)) rmSync(made, { recursive: true, force: true });
  });

  it('appends one line per event, in order, readable as soon as each write settles', async () => {
    const path = join(folder(), 'nested', 'audit.jsonl');
    const sink = jsonLinesAuditSink({ path });
    for (let seq = 0; seq < 5; seq += 1) {
      await sink.write(event(seq));
      expect(lines(path)).toEqual(Array.from({ length: seq + 1 }, (_, i) => i));
    }
    await sink.close?.();
  });

  it('follows log rotation: after the file is moved away, events go to a new file at the path', async () => {
    const dir = folder();
    const path = join(dir, 'audit.jsonl');
    const sink = jsonLinesAuditSink({ path, rotationCheckMs: 0 });
    await sink.write(event(0));
    await sink.write(event(1));
    renameSync(path, join(dir, 'audit.jsonl.1'));
    await sink.write(event(2));
    await sink.write(event(3));
    expect(lines(join(dir, 'audit.jsonl.1'))).toEqual([0, 1]);
    expect(lines(path)).toEqual([2, 3]);
    await sink.close?.();
  });

  it('appends to what is already there after close, reopening the path on the next write', async () => {
    const path = join(folder(), 'audit.jsonl');
    const first = jsonLinesAuditSink({ path });
    await first.write(event(0));
    await first.close?.();
    await first.write(event(1));
    await first.close?.();
    const second = jsonLinesAuditSink({ path });
    await second.write(event(2));
    await second.close?.();
    expect(lines(path)).toEqual([0, 1, 2]);
  });

  it('fails a write it cannot make, and succeeds again once the path is writable', async () => {
    const dir = folder();
    const blocker = join(dir, 'not-a-folder');
    // A file where the sink needs a folder: mkdir fails.
    await jsonLinesAuditSink({ path: blocker }).write(event(0));
    const sink = jsonLinesAuditSink({ path: join(blocker, 'audit.jsonl') });
    await expect(sink.write(event(1))).rejects.toThrow();
    rmSync(blocker);
    await sink.write(event(2));
    expect(lines(join(blocker, 'audit.jsonl'))).toEqual([2]);
    await sink.close?.();
  });
});
