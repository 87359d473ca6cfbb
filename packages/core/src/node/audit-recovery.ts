import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { AuditEvent } from '../audit/audit-event.js';
import { unresolvedExecutions } from '../audit/unresolved.js';

/** The events of a JSON-lines file, in order; lines that do not parse are skipped. */
async function* eventsOf(path: string): AsyncGenerator<AuditEvent> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      // A line cut short by the crash that stopped the writer.
      continue;
    }
    if (event && typeof event === 'object' && typeof (event as AuditEvent).type === 'string') {
      yield event as AuditEvent;
    }
  }
}

/**
 * Reads a JSON-lines audit file (as `jsonLinesAuditSink` writes it) and returns its
 * `execute`/`started` events that nothing after them resolves: the calls the process
 * writing it stopped in the middle of (see `unresolvedExecutions`). A missing file has
 * none. Run at start-up, before the engine writes to the file, and give the result to
 * `engine.resolveInterrupted()` and `answerInterrupted()`.
 *
 * The file must be this service instance's own: another instance's calls in flight
 * would be taken for interrupted ones. After log rotation only the current file is read.
 *
 * @example
 * ```ts
 * import { answerInterrupted, createHandshake, MemoryStore, type ToolProviderV1 } from '@handshake/core';
 * import { interruptedInAuditFile, jsonLinesAuditSink } from '@handshake/core/node';
 * declare const tools: ToolProviderV1;
 *
 * const path = './audit/handshake.jsonl';
 * const interrupted = await interruptedInAuditFile(path);
 * const engine = createHandshake({
 *   tools,
 *   store: answerInterrupted(new MemoryStore(), interrupted),
 *   audit: jsonLinesAuditSink({ path }),
 * });
 * await engine.resolveInterrupted(interrupted);
 * ```
 */
export async function interruptedInAuditFile(path: string): Promise<AuditEvent[]> {
  try {
    return await unresolvedExecutions(eventsOf(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
