import type { HandshakeEngine } from '../engine/engine.js';
import type { DecisionDelivery, LiveStreamKind } from '../engine/observer.js';
import type { ApprovalRecord } from '../store/records.js';

// What the HTTP surface tells the engine's observer: live streams opening and closing,
// and final statuses reaching requesters. An observer that throws is ignored: observing
// never changes an answer.

const nothing = () => {};

/** Tells the observer a live stream opened; answers the function to call when it closes. */
export function observeLiveStream(engine: HandshakeEngine, kind: LiveStreamKind): () => void {
  const observer = engine.observer;
  if (!observer?.liveStream) return nothing;
  let closed: () => void;
  try {
    closed = observer.liveStream(kind);
  } catch {
    return nothing;
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    try {
      closed();
    } catch {
      // Observing must never change an answer.
    }
  };
}

/** Tells the observer a requester received the final status of `record`, if it is final. */
export function observeDelivery(
  engine: HandshakeEngine,
  record: Pick<ApprovalRecord, 'status' | 'createdAt'>,
  channel: DecisionDelivery['channel'],
): void {
  const observer = engine.observer;
  if (!observer?.decisionDelivered || record.status === 'pending') return;
  try {
    observer.decisionDelivered({
      outcome: record.status,
      channel,
      waitedMs: Math.max(0, engine.clock.now() - record.createdAt),
    });
  } catch {
    // Observing must never change an answer.
  }
}

/**
 * Tells the observer a requester's read of `approvalId` answered its final status. The
 * wait is counted from the request, which only the record knows: it is read for this
 * apart from the answer, and only when someone observes deliveries.
 */
export function observePolledDelivery(
  engine: HandshakeEngine,
  approvalId: string,
  credential: string | undefined,
): void {
  if (!engine.observer?.decisionDelivered) return;
  void (async () => {
    const record = await engine.approvalForSession(approvalId, await engine.identify(credential));
    if (record) observeDelivery(engine, record, 'poll');
  })().catch(() => {
    // Observing must never change an answer.
  });
}
