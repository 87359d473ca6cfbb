import { type ApprovalView, ApprovalViewSchema, HandshakeError } from '@handshake/core';
import type { EventSourceMessage, ParseError } from 'eventsource-parser';
import { nonNegative, positive } from '../checks.js';
import type { SessionSource } from '../credentials.js';
import {
  abortedError,
  errorFromResponse,
  HandshakeResponseError,
  type RequestLabel,
  where,
} from '../errors.js';
import { readText } from '../live/read-text.js';
import { backoff, reconnectWithBackoff } from '../live/reconnect.js';
import type { LiveListener } from '../live/stream-reader.js';
import { type Connection, waitLive } from '../live/wait-live.js';
import { linkSignals, retryAfterMs, systemTimers, type Timers } from '../timers.js';
import { resolveRetry, Transport } from '../transport.js';
import { type FetchLike, normalizeBaseUrl } from '../url.js';

/**
 * Default deadline of a wait: 15 minutes (the service's approvals lapse after 5 by
 * default, and it says so on the stream).
 *
 * @example
 * ```ts
 * import { DEFAULT_APPROVAL_TIMEOUT_MS } from '@handshake/client';
 *
 * const minutes = DEFAULT_APPROVAL_TIMEOUT_MS / 60_000; // 15
 * ```
 */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 15 * 60_000;

/**
 * Why the waiter opens a new connection.
 *
 * @example
 * ```ts
 * import type { ReconnectReason } from '@handshake/client';
 *
 * const worrying = (reason: ReconnectReason) => reason === 'heartbeat' || reason === 'network';
 * ```
 */
export type ReconnectReason =
  /** The service closed the stream before a final status. */
  | 'ended'
  /** The connection failed or was cut. */
  | 'network'
  /** Nothing arrived within `heartbeatTimeoutMs`: the connection is presumed dead. */
  | 'heartbeat'
  /** The service reported a transient failure (`event: error`, 5xx, 429). */
  | 'server-error';

/**
 * Why the waiter reads the JSON status instead of the stream.
 *
 * @example
 * ```ts
 * import type { PollingReason } from '@handshake/client';
 *
 * const proxyInTheWay = (reason: PollingReason) => reason === 'not-event-stream' || reason === 'silent-streams';
 * ```
 */
export type PollingReason =
  /** The answer to the stream request was not `text/event-stream` (a proxy rewrote it). */
  | 'not-event-stream'
  /** The runtime or the response offers no readable body stream. */
  | 'no-readable-body'
  /** Several stream responses in a row delivered no bytes at all (a buffering proxy). */
  | 'silent-streams'
  /** The caller asked for polling. */
  | 'requested';

/**
 * Progress of a wait, for logs and interfaces. Never carries a token.
 *
 * @example
 * ```ts
 * import type { WaiterEvent } from '@handshake/client';
 *
 * const log = (event: WaiterEvent) => {
 *   if (event.status === 'reconnecting') console.log(`reconnecting in ${event.delayMs} ms`);
 * };
 * ```
 */
export type WaiterEvent =
  | { status: 'streaming'; approvalId: string; lastEventId: string | undefined }
  | {
      status: 'reconnecting';
      approvalId: string;
      attempt: number;
      delayMs: number;
      reason: ReconnectReason;
    }
  | { status: 'polling'; approvalId: string; reason: PollingReason };

/**
 * How long and how patiently to wait; shared by the client's `waitForApproval` and `call`.
 *
 * @example
 * ```ts
 * import type { WaitOptions } from '@handshake/client';
 *
 * const patient: WaitOptions = { timeoutMs: 30 * 60_000, heartbeatTimeoutMs: 60_000, maxReconnectDelayMs: 10_000 };
 * ```
 */
export interface WaitOptions {
  /** Ends the wait with an `ABORTED` error. */
  signal?: AbortSignal;
  /** The wait's own deadline, ending it with a `TIMEOUT` error (default 15 minutes). */
  timeoutMs?: number;
  /**
   * A stream that delivers no byte (event, heartbeat or comment) for this long is
   * presumed dead and replaced (default 45 s; the service sends a heartbeat every 15 s).
   */
  heartbeatTimeoutMs?: number;
  /** Pause between JSON status reads when polling (default 2 s); `Retry-After` wins. */
  pollIntervalMs?: number;
  /** Pause before reconnecting until the service sends `retry:` (default 1 s). */
  reconnectDelayMs?: number;
  /** Ceiling of the backoff after consecutive failed connections or reads (default 30 s). */
  maxReconnectDelayMs?: number;
  /** Silent stream responses in a row before falling back to polling (default 3). */
  silentStreamsBeforePolling?: number;
  /** `'poll'` skips streaming altogether (default `'auto'`: stream, poll when it cannot). */
  mode?: 'auto' | 'poll';
  /** Hears connection progress. Exceptions thrown here are ignored. */
  onEvent?: (event: WaiterEvent) => void;
  /** Timer functions (default the runtime's); tests inject faster ones. */
  timers?: Timers;
  /** Time source for `Retry-After` dates (default `Date.now`). */
  clock?: { now(): number };
}

/**
 * Options of {@link waitForApprovalDecision}.
 *
 * @example
 * ```ts
 * import type { ApprovalWaiterOptions } from '@handshake/client';
 *
 * const options: ApprovalWaiterOptions = {
 *   baseUrl: 'https://handshake.example.com',
 *   approvalId: 'apr_0123456789abcdef_x',
 *   session: 'dev-token-alice',
 *   onEvent: (event) => console.log(event.status),
 * };
 * ```
 */
export interface ApprovalWaiterOptions extends WaitOptions {
  /** The service's base URL, e.g. `https://handshake.example.com/v1`. */
  baseUrl: string | URL;
  approvalId: string;
  /** The session that requested the approval; only it may read it. */
  session?: SessionSource;
  /** Default: the global `fetch`. */
  fetch?: FetchLike;
  /** Deadline for each JSON status read (default 10 s). */
  requestTimeoutMs?: number | false;
}

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
      const error = errorFromResponse(
        label,
        response.status,
        response.headers,
        jsonOrText(text),
        secrets,
      );
      if (!TRANSIENT_STATUSES.has(response.status)) throw error;
      const wait = retryAfterMs(response.headers.get('retry-after'), clock.now());
      return { kind: 'failed', reason: 'server-error', retryAfterMs: wait, error };
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
      const wait = retryAfterMs(response.headers.get('retry-after'), clock.now());
      if (!response.ok) {
        const error = errorFromResponse(
          label,
          response.status,
          response.headers,
          jsonOrText(text),
          secrets,
        );
        if (!TRANSIENT_STATUSES.has(response.status)) throw error;
        return { kind: 'failed' as const, retryAfterMs: wait, error };
      }
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

/** The events of an approval stream: `status` events until a final one. */
function statusListener(
  parse: (text: string, source: string) => ApprovalView,
  label: RequestLabel,
  status: number,
): LiveListener<ApprovalView> {
  let decided: ApprovalView | undefined;
  let fatal: unknown;
  let serverError = false;
  return {
    onEvent(event: EventSourceMessage) {
      if (decided || fatal) return;
      if (event.event === 'status') {
        try {
          const view = parse(event.data, 'status event');
          if (view.status !== 'pending') decided = view;
        } catch (error) {
          fatal = error;
        }
      } else if (event.event === 'error') {
        serverError = true;
      }
    },
    onParseError(error: ParseError) {
      if (error.type === 'max-buffer-size-exceeded') {
        fatal = new HandshakeResponseError(
          `${label.operation}: the stream sent an oversized event: ${where(label)}`,
          { status, issues: [{ path: '', message: error.message }] },
        );
      }
    },
    get decided() {
      return decided;
    },
    get fatal() {
      return fatal;
    },
    get serverError() {
      return serverError;
    },
  };
}

/** An approval view from the service, checked against the protocol and the id asked. */
function parseView(
  value: unknown,
  source: string,
  label: RequestLabel,
  approvalId: string,
): ApprovalView {
  const parsed = ApprovalViewSchema.safeParse(value);
  if (!parsed.success) {
    throw new HandshakeResponseError(
      `${label.operation}: the ${source} does not match the protocol (at: ${parsed.error.issues
        .map((issue) => issue.path.join('.') || '(body)')
        .join(', ')}): ${where(label)}`,
      {
        status: 200,
        issues: parsed.error.issues.map((issue) => ({
          path: issue.path.join('.'),
          message: issue.message,
        })),
      },
    );
  }
  if (parsed.data.approvalId !== approvalId) {
    throw new HandshakeResponseError(
      `${label.operation}: the ${source} is about another approval: ${where(label)}`,
      {
        status: 200,
        issues: [{ path: 'approvalId', message: 'differs from the one requested' }],
      },
    );
  }
  return parsed.data;
}

function parseJsonText(text: string, source: string, label: RequestLabel): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HandshakeResponseError(
      `${label.operation}: the ${source} is not JSON: ${where(label)}`,
      {
        status: 200,
        issues: [{ path: '', message: 'expected JSON' }],
        cause: error,
      },
    );
  }
}

/** An error body: its JSON when it is JSON, else the text. */
function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
