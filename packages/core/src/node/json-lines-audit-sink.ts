import { closeSync, fstatSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditSinkV1 } from '../audit/audit-event.js';

/**
 * Options of {@link jsonLinesAuditSink}.
 *
 * @example
 * ```ts
 * import { type JsonLinesAuditSinkOptions, jsonLinesAuditSink } from '@handshake/core/node';
 *
 * const options: JsonLinesAuditSinkOptions = { path: '/var/log/handshake/audit.jsonl', rotationCheckMs: 5_000 };
 * const sink = jsonLinesAuditSink(options);
 * ```
 */
export interface JsonLinesAuditSinkOptions {
  /** File to append to; created (with its folder) when missing. */
  path: string;
  /**
   * How often (ms) the path is compared with the open file, so that a file moved away
   * by log rotation is followed by a new one at the path (default 1000; 0 checks at
   * every write).
   */
  rotationCheckMs?: number;
  /** The file is closed after this long (ms) without a write (default 1000). */
  idleCloseMs?: number;
}

/**
 * Appends each audit event as one JSON line. Writes are ordered by the engine's log.
 *
 * Each event is one synchronous append to a file kept open while events keep coming
 * (as pino's default destination does): about a microsecond into the page cache, where
 * an open, a write and a close through the thread pool cost some fifty. The file is
 * closed after `idleCloseMs` without events, reopened when the path no longer names it
 * (log rotation by renaming or deleting, noticed within `rotationCheckMs`), and closed
 * after a failed write so the retry reopens the path. On storage that can stall (a
 * network file system), ship events with another sink instead.
 *
 * @example
 * ```ts
 * import { jsonLinesAuditSink } from '@handshake/core/node';
 *
 * const sink = jsonLinesAuditSink({ path: './audit/handshake.jsonl' });
 * ```
 */
export function jsonLinesAuditSink(options: JsonLinesAuditSinkOptions): AuditSinkV1 {
  const rotationCheckMs = options.rotationCheckMs ?? 1_000;
  const idleCloseMs = options.idleCloseMs ?? 1_000;
  let fd: number | undefined;
  let checkedAt = 0;
  let idle: ReturnType<typeof setTimeout> | undefined;

  const release = () => {
    if (idle) clearTimeout(idle);
    idle = undefined;
    const open = fd;
    fd = undefined;
    if (open === undefined) return;
    try {
      closeSync(open);
    } catch {
      // Already unusable: nothing more to release.
    }
  };
  const descriptor = (): number => {
    if (fd !== undefined && performance.now() - checkedAt >= rotationCheckMs) {
      checkedAt = performance.now();
      let onDisk: ReturnType<typeof statSync> | undefined;
      try {
        onDisk = statSync(options.path);
      } catch {
        onDisk = undefined;
      }
      const opened = fstatSync(fd);
      if (!onDisk || onDisk.ino !== opened.ino || onDisk.dev !== opened.dev) release();
    }
    if (fd === undefined) {
      mkdirSync(dirname(options.path), { recursive: true });
      fd = openSync(options.path, 'a');
      checkedAt = performance.now();
    }
    return fd;
  };

  return {
    specificationVersion: 'v1',
    async write(event) {
      const line = Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
      try {
        const target = descriptor();
        for (let offset = 0; offset < line.length; ) {
          offset += writeSync(target, line, offset);
        }
      } catch (error) {
        release();
        throw error;
      }
      if (idle) idle.refresh();
      else {
        idle = setTimeout(release, idleCloseMs);
        idle.unref?.();
      }
    },
    close: release,
  };
}
