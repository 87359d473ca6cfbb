import {
  type ApprovalRecord,
  type HandshakeEngine,
  type LiveStream,
  type LiveTimers,
  liveEventStream,
  type SessionIdentity,
} from '@handshake/core';
import { HandshakeError } from '@handshake/protocol';
import type { ValidationResponse } from '@handshake/protocol/cards';

/** What the stream needs to know of the pending validation. */
export interface ValidationStreamOptions {
  engine: HandshakeEngine;
  /** The routes' shared heartbeat and poll tickers and deadline queue. */
  live: LiveTimers;
  credential: string;
  identity: SessionIdentity;
  /** The `pending` event's data. */
  pending: ValidationResponse & { authorization_id: string; transaction_id: string };
  /** How long the request waits for a decision. */
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * The SSE answer of a validation that waits for a person: `pending` first, then
 * exactly one of `approved` (with the validation token), `denied` or `timeout`, then
 * the end of the stream. Each event carries `id:` (the approval's version, usable as
 * `Last-Event-ID` on `GET /approvals/{id}`), and heartbeat comments keep it open. A
 * timeout ends the wait, not the approval: it stays pending until its own deadline,
 * and `authorization-status` can still be polled. The live part (watch, heartbeats,
 * polls, deadlines, errors) is the shared live stream's; this maps approvals to the
 * card API's events.
 */
export function validationEventStream(options: ValidationStreamOptions): Response {
  const { engine, pending } = options;
  const approvalId = pending.authorization_id;
  const base = {
    authorization_id: approvalId,
    transaction_id: pending.transaction_id,
    ...(pending.amount ? { amount: pending.amount } : {}),
  };
  // Where events go: the stream `start` receives.
  let out: LiveStream;
  let version = 1;
  const send = (event: string, data: ValidationResponse) => out.send(event, data, version);
  /** Sends the final event of a decided or expired approval; false while pending. */
  const settle = async (record: ApprovalRecord): Promise<boolean> => {
    version = record.version;
    if (record.status === 'pending') return false;
    delivered(record);
    if (record.status === 'approved') {
      // Issued through the same path as `authorization-status` and `GET /approvals/{id}`.
      const view = await engine.approvalStatus(approvalId, options.credential);
      send('approved', {
        status: 'approved',
        ...base,
        ...(view.ephemeralToken ? { validation_token: view.ephemeralToken } : {}),
        ...(view.tokenExpiresAt ? { expires_at: view.tokenExpiresAt } : {}),
        message: view.ephemeralToken
          ? 'Approved: create the virtual card with this validation token before it expires'
          : 'Approved, but the validation token was already used or has lapsed',
      });
    } else if (record.status === 'denied' || record.status === 'withdrawn') {
      // The stream's events have no `withdrawn`: a withdrawn purchase ends as refused.
      send('denied', {
        status: 'denied',
        ...base,
        ...(record.reason !== undefined ? { reason: record.reason } : {}),
        message:
          record.status === 'withdrawn'
            ? 'The requester withdrew the purchase before a decision'
            : 'The purchase was denied',
      });
    } else {
      send('timeout', {
        status: 'timeout',
        ...base,
        message: 'No decision was made before the authorization expired',
      });
    }
    return true;
  };
  /** Tells the engine's observer that the final status reaches the requester. */
  const delivered = (record: ApprovalRecord) => {
    if (record.status === 'pending') return;
    try {
      engine.observer?.decisionDelivered?.({
        outcome: record.status,
        channel: 'sse',
        waitedMs: Math.max(0, engine.clock.now() - record.createdAt),
      });
    } catch {
      // Observing must never change an answer.
    }
  };
  const read = async () => {
    const record = await engine.approvalForSession(approvalId, options.identity);
    if (!record) throw new HandshakeError('NOT_FOUND', 'No such approval');
    return record;
  };

  return liveEventStream({
    engine,
    live: options.live,
    ids: [approvalId],
    kind: 'validation',
    signal: options.signal,
    async start(stream) {
      out = stream;
      send('pending', pending);
      const approvalDeadline = Date.parse(pending.expires_at ?? '');
      const untilExpiry = Number.isFinite(approvalDeadline)
        ? approvalDeadline - engine.clock.now() + 5
        : Number.POSITIVE_INFINITY;
      if (untilExpiry < options.timeoutMs) stream.checkAfter(Math.max(0, untilExpiry), 'expiry');
      stream.checkAfter(options.timeoutMs, 'timeout');
      // A decision made between authorize and the watch is not missed.
      return settle(await read());
    },
    // One check at a time, in order: a decision, a poll and the timeout never race.
    async change(_stream, change) {
      if (change.type === 'check' && change.reason === 'timeout') {
        // A decision that arrived just now wins over the timeout.
        const record = await engine.approvalForSession(approvalId, options.identity);
        if (record && (await settle(record))) return true;
        send('timeout', {
          status: 'timeout',
          ...base,
          message:
            'No decision yet; the authorization is still pending: poll authorization-status or validate again',
        });
        return true;
      }
      return settle(await read());
    },
  });
}
