import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditSinkV1 } from '../audit/audit-event.js';

/** Options of {@link jsonLinesAuditSink}. */
export interface JsonLinesAuditSinkOptions {
  /** File to append to; created (with its folder) when missing. */
  path: string;
}

/**
 * Appends each audit event as one JSON line. Writes are ordered by the engine's log.
 *
 * @example
 * ```ts
 * import { jsonLinesAuditSink } from '@handshake/core/node';
 *
 * const sink = jsonLinesAuditSink({ path: './audit/handshake.jsonl' });
 * ```
 */
export function jsonLinesAuditSink(options: JsonLinesAuditSinkOptions): AuditSinkV1 {
  let ready: Promise<unknown> | undefined;
  return {
    specificationVersion: 'v1',
    async write(event) {
      ready ??= mkdir(dirname(options.path), { recursive: true });
      await ready;
      await appendFile(options.path, `${JSON.stringify(event)}\n`, 'utf8');
    },
  };
}
