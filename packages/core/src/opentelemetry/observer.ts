import { formatMoney, isCurrency } from '@handshake/protocol';
import type { Attributes } from '@opentelemetry/api';
import type { EngineStep, HandshakeObserverV1, ReservationChange } from '../engine/observer.js';
import { liveStreamMetrics } from './live-streams.js';
import { instrument, METRICS } from './metrics.js';
import { isRecordingMeter, type TelemetryOptions, telemetryOf } from './options.js';
import { inSpan } from './span.js';

/**
 * An engine observer (the `observer` option of `createHandshake`) that traces each
 * policy check and audit write as a child span of the call — `handshake.policy
 * parameters`, `handshake.policy amount`, `handshake.policy signature`,
 * `handshake.audit <event type>` — and counts spend reservations by currency in
 * `handshake.spend.reserved`, `handshake.spend.committed` and `handshake.spend.released`
 * (in the currency's unit, e.g. 25.5 for 25.50 USD; by `handshake.currency`,
 * `handshake.spend.reason` and, when known, `handshake.tool`). No user, parameter or
 * single call's amount becomes an attribute: amounts are only summed into the counters.
 * It also counts the live streams open now (`handshake.live_streams.open`) and how long
 * requesters waited for a decision (`handshake.approval.wait.duration`), as the engine's
 * HTTP surface reports them.
 *
 * @example
 * ```ts
 * import { createHandshake, type ToolProviderV1 } from '@handshake/core';
 * import { engineObserver, instrumentEngine } from '@handshake/core/opentelemetry';
 * declare const tools: ToolProviderV1;
 *
 * const engine = instrumentEngine(
 *   createHandshake({ tools, limits: { currency: 'USD', daily: '500.00' }, observer: engineObserver() }),
 * );
 * ```
 */
export function engineObserver(options: TelemetryOptions = {}): HandshakeObserverV1 {
  const { meter, tracer, recording } = telemetryOf(options);
  const metered = isRecordingMeter(meter);
  const counters = {
    reserved: instrument(meter, METRICS.spendReserved),
    committed: instrument(meter, METRICS.spendCommitted),
    released: instrument(meter, METRICS.spendReleased),
  };
  return {
    specificationVersion: 'v1',
    // Open live streams and requesters' waits: in a file of their own.
    ...liveStreamMetrics(options),
    step<T>(step: EngineStep, work: () => Promise<T>): Promise<T> {
      if (!recording()) return work();
      const [name, attributes]: [string, Attributes] =
        step.kind === 'policy'
          ? [`handshake.policy ${step.check}`, { 'handshake.policy.check': step.check }]
          : [`handshake.audit ${step.event}`, { 'handshake.audit.event': step.event }];
      return inSpan(tracer, name, { attributes }, () => work());
    },
    reservation(change: ReservationChange) {
      if (!metered || !isCurrency(change.currency) || change.amountMinor < 0n) return;
      const value = Number(formatMoney(change.amountMinor, change.currency));
      counters[change.action].add(value, {
        'handshake.currency': change.currency,
        'handshake.spend.reason': change.reason,
        ...(change.tool !== undefined ? { 'handshake.tool': change.tool } : {}),
      });
    },
  };
}
