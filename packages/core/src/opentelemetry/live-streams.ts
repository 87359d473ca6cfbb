import type { DecisionDelivery, HandshakeObserverV1, LiveStreamKind } from '../engine/observer.js';
import { instrument, METRICS } from './metrics.js';
import { meterOf, type TelemetryOptions } from './options.js';

const KINDS = new Set<string>(['requester', 'approver', 'validation']);
/** A final status as the engine names it; one added later keeps its name, bounded by the engine. */
const OUTCOME = /^[a-z][a-z_]{0,23}$/;
const CHANNELS = new Set<string>(['sse', 'poll']);

/**
 * The live-stream members of {@link engineObserver}: the live streams open now in
 * `handshake.live_streams.open` (an up-down counter, by `handshake.stream.kind`:
 * `requester`, `approver`, `validation`), and how long requesters waited for a decision
 * in `handshake.approval.wait.duration` (seconds from the request for approval to the
 * moment the requester received the final status, by `handshake.outcome` — `approved`,
 * `denied`, `expired`, `withdrawn`, or a final status the engine adds later under its own name — and
 * `handshake.wait.channel` — `sse` or `poll`). Every attribute is a word the engine
 * chose, never input; nothing names a user or an approval.
 */
export function liveStreamMetrics(
  options: TelemetryOptions = {},
): Required<Pick<HandshakeObserverV1, 'liveStream' | 'decisionDelivered'>> {
  const meter = meterOf(options);
  const open = instrument(meter, METRICS.openLiveStreams);
  const wait = instrument(meter, METRICS.waitDuration);
  return {
    liveStream(kind: LiveStreamKind) {
      const attributes = { 'handshake.stream.kind': KINDS.has(kind) ? kind : '_OTHER' };
      open.add(1, attributes);
      return () => open.add(-1, attributes);
    },
    decisionDelivered(delivery: DecisionDelivery) {
      if (!CHANNELS.has(delivery.channel)) return;
      wait.record(Math.max(0, delivery.waitedMs) / 1000, {
        'handshake.outcome': OUTCOME.test(delivery.outcome) ? delivery.outcome : '_OTHER',
        'handshake.wait.channel': delivery.channel,
      });
    },
  };
}
