import { type ApprovalView, HandshakeError } from '@handshake/protocol';
import { nonNegative, positive } from '../checks.js';
import { abortedError, errorFromResponse, type RequestLabel, where } from '../errors.js';
import { readText } from '../live/read-text.js';
import { backoff, reconnectWithBackoff } from '../live/reconnect.js';
import { type Connection, waitLive } from '../live/wait-live.js';
import { linkSignals, retryAfterMs, systemTimers } from '../timers.js';
import { resolveRetry, Transport } from '../transport.js';
import { normalizeBaseUrl } from '../url.js';
import { jsonOrText, parseJsonText, parseView, statusListener } from './approval-events.js';
import {
  type ApprovalWaiterOptions,
  DEFAULT_APPROVAL_TIMEOUT_MS,
  type PollingReason,
  type WaiterEvent,
  type WaitOptions,
} from './wait-options.js';

const TRANSIENT_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * Waits for the decision on an approval and answers its final view: `approved` (with
 * the ephemeral token, for the session that asked), `denied` or `expired`.
 *
 * It reads `GET /approvals/{id}` as Server-Sent Events (WHATWG HTML §9.2): after a
 * dropped connection it reconnects with `Last-Event-ID`, waiting what the service's
 * `retry:` asked (backing off while connections keep failing); a connection silent for
 * longer than `heartbeatTimeoutMs` is treated as dead. When streaming is impossible —
 * the answer is not `text/event-stream` (a proxy stripped it), the runtime has no
 * readable body stream, or streams keep arriving empty — it polls the JSON status
 * instead, honouring `Retry-After`. It ends on a final status, on `signal` (`ABORTED`)
 * or at `timeoutMs` (`TIMEOUT`); errors the service reports (`UNAUTHORIZED`,
 * `NOT_FOUND`, …) end it with that code.
 *
 * @example
 * ```ts
 * import { waitForApprovalDecision } from '@handshake/client';
 *
 * const view = await waitForApprovalDecision({
 *   baseUrl: 'https://handshake.example.com',
 *   approvalId: 'apr_0123456789abcdef_x',
 *   session: 'dev-token-alice',
 *   timeoutMs: 120_000,
 * });
 * if (view.status === 'approved') console.log('approved; token issued');
 * ```
 */
export function waitForApprovalDecision(options: ApprovalWaiterOptions): Promise<ApprovalView> {
  let transport: Transport;
  try {
    transport = new Transport({
      baseUrl: normalizeBaseUrl(options.baseUrl),
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      timeout: options.requestTimeoutMs ?? 10_000,
      retry: resolveRetry(0),
      hooks: undefined,
      session: options.session,
    });
  } catch (error) {
    return Promise.reject(error);
  }
  return waitForDecision(transport, options);
}

/** What {@link waitForDecision} needs beyond the wait options. */
export interface DecisionWait extends WaitOptions {
  approvalId: string;
  /** Deadline for each JSON status read (default 10 s). */
  requestTimeoutMs?: number | false;
}

/**
 * The wait of {@link waitForApprovalDecision} on a given transport: the client's own,
 * for `call` and `waitForApproval`.
 */
export async function waitForDecision(
  transport: Transport,
  options: DecisionWait,
): Promise<ApprovalView> {
  const timers = options.timers ?? systemTimers;
  const clock = options.clock ?? { now: () => Date.now() };
  const { approvalId } = options;
  const path = `approvals/${encodeURIComponent(approvalId)}`;
  const label: RequestLabel = {
    operation: `Waiting for approval ${approvalId}`,
    method: 'GET',
    url: transport.url(path),
  };
  const timeoutMs = positive(options.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS, 'timeoutMs');
  const heartbeatTimeoutMs = positive(options.heartbeatTimeoutMs ?? 45_000, 'heartbeatTimeoutMs');
  const pollIntervalMs = positive(options.pollIntervalMs ?? 2_000, 'pollIntervalMs');
  const reconnectDelayMs = nonNegative(options.reconnectDelayMs ?? 1_000, 'reconnectDelayMs');
  const maxReconnectDelayMs = positive(
    options.maxReconnectDelayMs ?? 30_000,
    'maxReconnectDelayMs',
  );
  const silentLimit = positive(
    options.silentStreamsBeforePolling ?? 3,
    'silentStreamsBeforePolling',
  );
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const emit = (event: WaiterEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // An observer must not break the wait.
    }
  };
  const parse = (text: string, source: string) =>
    parseView(parseJsonText(text, source, label), source, label, approvalId);
  const exchange = (accept: string, signal: AbortSignal, headers?: Record<string, string>) =>
    transport.exchange({
      operation: label.operation,
      path,
      accept,
      signal,
      ...(headers ? { headers } : {}),
    });

  /**
   * An error status: thrown when it ends the wait (`UNAUTHORIZED`, `NOT_FOUND`, …),
   * else the failure to wait out, with the pause the service asked for.
   */
  const transientFailure = (
    response: Response,
    text: string,
    secrets: readonly (string | undefined)[],
  ) => {
    const { status, headers } = response;
    const error = errorFromResponse(label, status, headers, jsonOrText(text), secrets);
    if (!TRANSIENT_STATUSES.has(status)) throw error;
    return { retryAfterMs: retryAfterMs(headers.get('retry-after'), clock.now()), error };
  };

  /** One stream request, judged: a stream to read, a reason to poll, or a failure. */
  const connect = async (request: {
    lastEventId: string | undefined;
    signal: AbortSignal;
  }): Promise<Connection<ApprovalView, PollingReason>> => {
    const { lastEventId, signal } = request;
    let response: Response;
    let secrets: readonly (string | undefined)[];
    try {
      ({ response, secrets } = await exchange('text/event-stream', signal, {
        'cache-control': 'no-cache',
        ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}),
      }));
    } catch (error) {
      return { kind: 'failed', reason: 'network', error };
    }
    const read = () => readText(response, { timeoutMs: requestTimeoutMs, timers, signal });
    if (!response.ok) {
      const text = await read().catch(() => '');
      if (response.status === 406) return { kind: 'fallback', reason: 'not-event-stream' };
      return {
        kind: 'failed',
        reason: 'server-error',
        ...transientFailure(response, text, secrets),
      };
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (!/^\s*text\/event-stream\b/i.test(contentType)) {
      // A proxy answered the stream request with the JSON status (or something else):
      // use what it said, then keep polling.
      const text = await read().catch(() => undefined);
      let view: ApprovalView | undefined;
      if (text !== undefined && /json/i.test(contentType)) {
        try {
          view = parse(text, 'status');
        } catch {
          view = undefined;
        }
      }
      return {
        kind: 'fallback',
        reason: 'not-event-stream',
        value: view && view.status !== 'pending' ? view : undefined,
        pauseFirst: view !== undefined,
      };
    }
    const body = response.body;
    if (
      response.status === 204 ||
      !body ||
      typeof (body as Partial<ReadableStream>).getReader !== 'function'
    ) {
      await body?.cancel?.().catch(() => {});
      return { kind: 'fallback', reason: 'no-readable-body' };
    }
    emit({ status: 'streaming', approvalId, lastEventId });
    return { kind: 'stream', body, listener: statusListener(parse, label, response.status) };
  };

  /** One JSON status read while polling. */
  const readStatus = async (run: AbortSignal) => {
    const local = new AbortController();
    const signal = linkSignals([run, local.signal]);
    let timer: unknown;
    if (requestTimeoutMs !== false) {
      timer = timers.setTimeout(() => local.abort(READ_TIMED_OUT), requestTimeoutMs);
    }
    try {
      let response: Response;
      let secrets: readonly (string | undefined)[];
      let text: string;
      try {
        ({ response, secrets } = await exchange('application/json', signal.signal));
        text = await response.text();
      } catch (error) {
        if (run.aborted) throw error;
        return { kind: 'failed' as const, error };
      }
      if (!response.ok) {
        return { kind: 'failed' as const, ...transientFailure(response, text, secrets) };
      }
      const wait = retryAfterMs(response.headers.get('retry-after'), clock.now());
      const view = parse(text, 'status');
      if (view.status !== 'pending') return { kind: 'decided' as const, value: view };
      return { kind: 'pending' as const, retryAfterMs: wait };
    } finally {
      timers.clearTimeout(timer);
      signal.dispose();
    }
  };

  const mode = options.mode === 'poll' ? 'poll' : 'stream';
  if (mode === 'poll') emit({ status: 'polling', approvalId, reason: 'requested' });
  return waitLive<ApprovalView, PollingReason, ApprovalView>({
    timers,
    signal: options.signal,
    abortError: (reason) => abortedError(label, reason),
    timeoutMs,
    timeoutError: (lastError) =>
      new HandshakeError(
        'TIMEOUT',
        `${label.operation} timed out after ${timeoutMs} ms: ${where(label)}`,
        lastError === undefined ? {} : { cause: lastError },
      ),
    heartbeatTimeoutMs,
    watch: 'request',
    mode,
    connect,
    afterBreak: reconnectWithBackoff({
      delayMs: reconnectDelayMs,
      maxDelayMs: maxReconnectDelayMs,
      silentLimit,
      onReconnect: (attempt, delayMs, reason) =>
        emit({ status: 'reconnecting', approvalId, attempt, delayMs, reason }),
    }),
    onFallback: (reason) => emit({ status: 'polling', approvalId, reason }),
    poll: {
      read: readStatus,
      delayMs: (failures, retryAfter) =>
        retryAfter ??
        (failures === 0 ? pollIntervalMs : backoff(pollIntervalMs, failures, maxReconnectDelayMs)),
    },
    settle: async (view) => view,
  });
}

const READ_TIMED_OUT = Symbol('read timed out');
