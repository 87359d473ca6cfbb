import type { AuditEvent, AuditSinkV1 } from '../audit/audit-event.js';
import { instrument, METRICS } from './metrics.js';
import { errorType, isRecordingMeter, meterOf, type TelemetryOptions } from './options.js';

/**
 * Options of {@link metricsAuditSink}.
 *
 * @example
 * ```ts
 * import { type MetricsAuditSinkOptions, metricsAuditSink } from '@handshake/core/opentelemetry';
 *
 * const options: MetricsAuditSinkOptions = { maxPendingApprovals: 50_000 };
 * const sink = metricsAuditSink(options);
 * ```
 */
export interface MetricsAuditSinkOptions extends TelemetryOptions {
  /**
   * Approvals whose request time is remembered to measure the time to decision
   * (default 10 000); the oldest are forgotten first.
   */
  maxPendingApprovals?: number;
}

/** Outcomes of an `execute` event that end a call (`started` does not). */
const EXECUTE_OUTCOMES = new Set(['completed', 'failed', 'timeout', 'replayed']);
const CHANNELS = new Set(['console', 'chat', 'api', 'mcp']);
const CODE = /^[A-Z][A-Z_]{0,39}$/;
/**
 * An approval's final status as the engine names it (`approved`, `denied`, `expired`, or
 * one added later): a word, never input, so it stays bounded; anything else is `_OTHER`.
 */
const STATUS = /^[a-z][a-z_]{0,23}$/;

/**
 * An audit sink that turns the engine's audit events into OpenTelemetry metrics:
 * calls by tool, tier and outcome, approvals by decision and channel with the time to
 * decision, refusals by code, and card authorizations by outcome. It reads only the
 * bounded fields of an event (tool, tier, outcome, channel), never a user, an amount,
 * a hash or a detail, and it never fails, so it cannot hold up the audit trail.
 *
 * Metrics: `handshake.authorizations`, `handshake.executions`,
 * `handshake.approval.decisions`, `handshake.approval.decision.duration` (s),
 * `handshake.refusals`, `handshake.card.authorizations` (see docs/observability.md).
 *
 * @example
 * ```ts
 * import { createHandshake, type ToolProviderV1 } from '@handshake/core';
 * import { metricsAuditSink } from '@handshake/core/opentelemetry';
 * declare const tools: ToolProviderV1;
 *
 * const engine = createHandshake({ tools, audit: [metricsAuditSink()] });
 * ```
 */
export function metricsAuditSink(options: MetricsAuditSinkOptions = {}): AuditSinkV1 {
  const meter = meterOf(options);
  const authorizations = instrument(meter, METRICS.authorizations);
  const executions = instrument(meter, METRICS.executions);
  const decisions = instrument(meter, METRICS.decisions);
  const decisionDuration = instrument(meter, METRICS.decisionDuration);
  const refusals = instrument(meter, METRICS.refusals);
  const cardAuthorizations = instrument(meter, METRICS.cardAuthorizations);
  const metered = isRecordingMeter(meter);
  const maxPending = options.maxPendingApprovals ?? 10_000;
  const requestedAt = new Map<string, number>();

  const record = (event: AuditEvent) => {
    const call = {
      'handshake.tool': event.tool ?? '_OTHER',
      'handshake.tier': event.tier ?? '_OTHER',
    };
    switch (event.type) {
      case 'authorize':
        authorizations.add(1, { ...call, 'handshake.outcome': 'authorized' });
        return;
      case 'approval.requested':
        authorizations.add(1, { ...call, 'handshake.outcome': 'pending' });
        if (event.approvalId === undefined) return;
        if (requestedAt.size >= maxPending) {
          requestedAt.delete(requestedAt.keys().next().value as string);
        }
        requestedAt.set(event.approvalId, Date.parse(event.at));
        return;
      // A withdrawal ends an approval as a decision does, under its own outcome.
      case 'approval.decided':
      case 'approval.withdrawn': {
        const decision = STATUS.test(event.outcome) ? event.outcome : '_OTHER';
        const channel = event.channel && CHANNELS.has(event.channel) ? event.channel : 'none';
        const attributes = { ...call, 'handshake.decision': decision };
        decisions.add(1, { ...attributes, 'handshake.channel': channel });
        const since = event.approvalId ? requestedAt.get(event.approvalId) : undefined;
        if (event.approvalId) requestedAt.delete(event.approvalId);
        if (since !== undefined) {
          decisionDuration.record(Math.max(0, Date.parse(event.at) - since) / 1000, attributes);
        }
        return;
      }
      case 'execute':
        if (!EXECUTE_OUTCOMES.has(event.outcome)) return;
        executions.add(1, { ...call, 'handshake.outcome': event.outcome });
        return;
      case 'refusal':
        // A summary of a window of refusals carries how many more it stands for.
        refusals.add(event.count ?? 1, {
          'error.type': CODE.test(event.outcome) ? event.outcome : '_OTHER',
        });
        return;
      case 'card.authorization':
        cardAuthorizations.add(1, {
          'handshake.outcome': event.outcome === 'approved' ? 'approved' : 'declined',
        });
        return;
      default:
        return;
    }
  };

  return {
    specificationVersion: 'v1',
    write(event) {
      // Only the API installed: every counter is a no-op, so nothing is read.
      if (!metered) return;
      try {
        record(event);
      } catch {
        // Measuring must never stop the audit trail.
      }
    },
  };
}

/**
 * An `onAuditError` handler that counts failed audit writes in
 * `handshake.audit.write_failures` by the event's type and the `error.type`. Each
 * failed attempt counts once; the event itself stays in the backlog and is retried.
 *
 * @example
 * ```ts
 * import { createHandshake, type ToolProviderV1 } from '@handshake/core';
 * import { auditFailureMetrics } from '@handshake/core/opentelemetry';
 * declare const tools: ToolProviderV1;
 *
 * const engine = createHandshake({ tools, onAuditError: auditFailureMetrics() });
 * ```
 */
export function auditFailureMetrics(
  options: TelemetryOptions = {},
): (error: unknown, event: AuditEvent) => void {
  const failures = instrument(meterOf(options), METRICS.auditWriteFailures);
  return (error, event) => {
    failures.add(1, { 'handshake.audit.event': event.type, 'error.type': errorType(error) });
  };
}
