import { type ApprovalEvent, ApprovalListeners, type ApprovalRecord } from '@handshake/core';
import { readApproval } from './approvals.js';
import { type Connection, num, str } from './connection.js';

interface Watched {
  partition: string;
  approvalId: string;
  version: number;
  /** Stop watching after this (ms): the decision deadline, plus a little. */
  until: number;
}

/** Entries watched at most; the oldest is forgotten beyond (its waiters still poll). */
const MAX_WATCHED = 1_000;

/**
 * DynamoDB has no pub/sub, so approval changes made by other instances reach this one
 * by polling: every `intervalMs`, while anyone listens, the store reads the pending
 * approvals this instance has seen (created here, or read while pending) and delivers
 * each change of version. Changes made through this instance are delivered at once.
 */
export class ApprovalWatch {
  /** Delivers each approval version once, though polls and writes here both see it. */
  readonly #listeners: ApprovalListeners;
  readonly #watched = new Map<string, Watched>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(
    private readonly db: Connection,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.#listeners = new ApprovalListeners({ remember: 10 * MAX_WATCHED, onError });
  }

  subscribe(listener: (event: ApprovalEvent) => void): () => void {
    if (this.#closed) return () => {};
    const unsubscribe = this.#listeners.add(listener);
    this.#schedule();
    return unsubscribe;
  }

  /** Notes an approval as read or written here: delivers its change, watches it while pending. */
  seen(partition: string, record: ApprovalRecord): void {
    this.deliver({ approvalId: record.approvalId, status: record.status, version: record.version });
    const key = `${partition}\u0000${record.approvalId}`;
    if (record.status !== 'pending') {
      this.#watched.delete(key);
      return;
    }
    this.#watched.delete(key);
    this.#watched.set(key, {
      partition,
      approvalId: record.approvalId,
      version: record.version,
      until: record.expiresAt + 5 * this.intervalMs,
    });
    if (this.#watched.size > MAX_WATCHED) {
      const oldest = this.#watched.keys().next();
      if (!oldest.done) this.#watched.delete(oldest.value);
    }
    this.#schedule();
  }

  deliver(event: ApprovalEvent): void {
    this.#listeners.deliver(event);
  }

  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    this.#watched.clear();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#closed || this.#timer || this.#listeners.size === 0 || this.#watched.size === 0) {
      return;
    }
    this.#timer = setTimeout(() => {
      void this.#poll().finally(() => {
        this.#timer = undefined;
        this.#schedule();
      });
    }, this.intervalMs);
    // Polling alone never keeps the process alive.
    this.#timer.unref?.();
  }

  async #poll(): Promise<void> {
    const now = Date.now();
    const entries = [...this.#watched];
    await Promise.all(
      entries.map(async ([key, watched]) => {
        if (watched.until <= now) {
          this.#watched.delete(key);
          return;
        }
        try {
          const item = await readApproval(this.db, watched.partition, watched.approvalId);
          const version = num(item, 'v');
          const status = str(item, 'st') as ApprovalRecord['status'] | undefined;
          if (!item || version === undefined || status === undefined) {
            this.#watched.delete(key);
            return;
          }
          if (version > watched.version) {
            watched.version = version;
            this.deliver({ approvalId: watched.approvalId, status, version });
          }
          if (status !== 'pending') this.#watched.delete(key);
        } catch (error) {
          this.onError(error);
        }
      }),
    );
  }
}
