import { type ApprovalView, ApprovalViewSchema, HandshakeError } from '@handshake/core';
import { resolveSession, type SessionSource } from '../credentials.js';
import {
  abortedError,
  errorFromResponse,
  HandshakeResponseError,
  type RequestLabel,
  where,
} from '../errors.js';
import { linkSignals, retryAfterMs, sleep, systemTimers, type Timers } from '../timers.js';
import { approvalUrl, type FetchLike, normalizeBaseUrl } from '../url.js';
import { createEventStreamDecoder, readEventStream } from './event-stream.js';

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

type Outcome =
  | { kind: 'decided'; view: ApprovalView }
  | { kind: 'fallback'; reason: PollingReason; view?: ApprovalView }
  | {
      kind: 'retry';
      reason: ReconnectReason;
      /** The connection delivered at least one byte. */
      gotBytes: boolean;
      /** A stream response arrived but delivered nothing before it died or ended. */
      silent: boolean;
      retryAfterMs?: number | undefined;
      error?: unknown;
    };

const HEARTBEAT_LOST = Symbol('heartbeat lost');
const READ_TIMED_OUT = Symbol('read timed out');
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
export async function waitForApprovalDecision(
  options: ApprovalWaiterOptions,
): Promise<ApprovalView> {
  const timers = options.timers ?? systemTimers;
  const clock = options.clock ?? { now: () => Date.now() };
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const { approvalId } = options;
  const url = approvalUrl(normalizeBaseUrl(options.baseUrl), approvalId);
  const label: RequestLabel = {
    operation: `Waiting for approval ${approvalId}`,
    method: 'GET',
    url,
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

  const run = new AbortController();
  let lastError: unknown;
  const deadline = timers.setTimeout(() => {
    run.abort(
      new HandshakeError(
        'TIMEOUT',
        `${label.operation} timed out after ${timeoutMs} ms: ${where(label)}`,
        {
          ...(lastError === undefined ? {} : { cause: lastError }),
        },
      ),
    );
  }, timeoutMs);
  const onCallerAbort = () => run.abort(abortedError(label, options.signal?.reason));
  if (options.signal?.aborted) onCallerAbort();
  else options.signal?.addEventListener('abort', onCallerAbort, { once: true });

  let lastEventId: string | undefined;
  let serverRetryMs: number | undefined;
  let secrets: Array<string | undefined> = [];

  const headers = async (accept: string): Promise<Headers> => {
    const session = await resolveSession(options.session);
    secrets = [session];
    const out = new Headers({ accept });
    if (session) out.set('authorization', `Bearer ${session}`);
    return out;
  };

  const parseView = (value: unknown, source: string): ApprovalView => {
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
  };

  const parseJsonText = (text: string, source: string): unknown => {
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
  };

  /** Reads a (small) non-stream body with a deadline. */
  const readText = async (response: Response, signal: AbortSignal): Promise<string> => {
    if (requestTimeoutMs === false) return response.text();
    let timer: unknown;
    try {
      return await Promise.race([
        response.text(),
        new Promise<never>((_, reject) => {
          timer = timers.setTimeout(() => reject(READ_TIMED_OUT), requestTimeoutMs);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      ]);
    } finally {
      timers.clearTimeout(timer);
    }
  };

  const errorBody = async (response: Response, signal: AbortSignal): Promise<unknown> => {
    const text = await readText(response, signal).catch(() => '');
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };

  const streamOnce = async (): Promise<Outcome> => {
    const local = new AbortController();
    const signal = linkSignals([run.signal, local.signal]);
    let watchdog: unknown;
    const arm = () => {
      timers.clearTimeout(watchdog);
      watchdog = timers.setTimeout(() => local.abort(HEARTBEAT_LOST), heartbeatTimeoutMs);
    };
    const lost = () => local.signal.aborted && local.signal.reason === HEARTBEAT_LOST;
    arm();
    try {
      const requestHeaders = await headers('text/event-stream');
      requestHeaders.set('cache-control', 'no-cache');
      if (lastEventId !== undefined) requestHeaders.set('last-event-id', lastEventId);
      let response: Response;
      try {
        response = await fetchFn(url, { headers: requestHeaders, signal: signal.signal });
      } catch (error) {
        if (run.signal.aborted) throw error;
        lastError = error;
        return {
          kind: 'retry',
          reason: lost() ? 'heartbeat' : 'network',
          gotBytes: false,
          silent: false,
          error,
        };
      }
      if (!response.ok) {
        const body = await errorBody(response, signal.signal);
        if (run.signal.aborted) throw run.signal.reason;
        if (response.status === 406) return { kind: 'fallback', reason: 'not-event-stream' };
        const error = errorFromResponse(label, response.status, response.headers, body, secrets);
        if (TRANSIENT_STATUSES.has(response.status)) {
          lastError = error;
          return {
            kind: 'retry',
            reason: 'server-error',
            gotBytes: false,
            silent: false,
            retryAfterMs: retryAfterMs(response.headers.get('retry-after'), clock.now()),
            error,
          };
        }
        throw error;
      }
      const contentType = response.headers.get('content-type') ?? '';
      if (!/^\s*text\/event-stream\b/i.test(contentType)) {
        // A proxy answered the stream request with the JSON status (or something else):
        // use what it said, then keep polling.
        const text = await readText(response, signal.signal).catch(() => undefined);
        if (text === undefined && run.signal.aborted) throw run.signal.reason;
        let view: ApprovalView | undefined;
        if (text !== undefined && /json/i.test(contentType)) {
          try {
            view = parseView(JSON.parse(text), 'status');
          } catch {
            view = undefined;
          }
        }
        return { kind: 'fallback', reason: 'not-event-stream', ...(view ? { view } : {}) };
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

      let decided: ApprovalView | undefined;
      let fatal: unknown;
      let gotBytes = false;
      let serverError = false;
      const decoder = createEventStreamDecoder({
        onEvent(event) {
          if (decided || fatal) return;
          if (event.event === 'status') {
            try {
              const view = parseView(parseJsonText(event.data, 'status event'), 'status event');
              if (view.status !== 'pending') decided = view;
            } catch (error) {
              fatal = error;
            }
          } else if (event.event === 'error') {
            serverError = true;
          }
        },
        onRetry(ms) {
          serverRetryMs = ms;
        },
        onId(id) {
          lastEventId = id;
        },
        onError(error) {
          if (error.type === 'max-buffer-size-exceeded') {
            fatal = new HandshakeResponseError(
              `${label.operation}: the stream sent an oversized event: ${where(label)}`,
              { status: response.status, issues: [{ path: '', message: error.message }] },
            );
          }
        },
      });
      try {
        await readEventStream(body, decoder, {
          onChunk: () => {
            gotBytes = true;
            arm();
          },
          shouldStop: () => decided !== undefined || fatal !== undefined,
        });
      } catch (error) {
        if (run.signal.aborted) throw error;
        if (fatal) throw fatal;
        if (decided) return { kind: 'decided', view: decided };
        lastError = error;
        return {
          kind: 'retry',
          reason: lost() ? 'heartbeat' : 'network',
          gotBytes,
          silent: !gotBytes,
          error,
        };
      }
      if (fatal) throw fatal;
      if (decided) return { kind: 'decided', view: decided };
      return {
        kind: 'retry',
        reason: serverError ? 'server-error' : 'ended',
        gotBytes,
        silent: !gotBytes,
      };
    } finally {
      timers.clearTimeout(watchdog);
      signal.dispose();
      // Ends this connection's fetch and body, whatever state they are in.
      local.abort();
    }
  };

  const pollOnce = async (): Promise<
    | { kind: 'decided'; view: ApprovalView }
    | { kind: 'pending' | 'failed'; retryAfterMs?: number | undefined }
  > => {
    const local = new AbortController();
    const signal = linkSignals([run.signal, local.signal]);
    let timer: unknown;
    if (requestTimeoutMs !== false) {
      timer = timers.setTimeout(() => local.abort(READ_TIMED_OUT), requestTimeoutMs);
    }
    try {
      let response: Response;
      let text: string;
      try {
        response = await fetchFn(url, {
          headers: await headers('application/json'),
          signal: signal.signal,
        });
        text = await response.text();
      } catch (error) {
        if (run.signal.aborted) throw error;
        lastError = error;
        return { kind: 'failed' };
      }
      const wait = retryAfterMs(response.headers.get('retry-after'), clock.now());
      if (!response.ok) {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // keep the text
        }
        const error = errorFromResponse(label, response.status, response.headers, body, secrets);
        if (TRANSIENT_STATUSES.has(response.status)) {
          lastError = error;
          return { kind: 'failed', retryAfterMs: wait };
        }
        throw error;
      }
      const view = parseView(parseJsonText(text, 'status'), 'status');
      if (view.status !== 'pending') return { kind: 'decided', view };
      return { kind: 'pending', retryAfterMs: wait };
    } finally {
      timers.clearTimeout(timer);
      signal.dispose();
    }
  };

  const backoff = (base: number, failures: number) =>
    Math.min(maxReconnectDelayMs, base * 2 ** Math.max(0, failures - 1));

  try {
    let mode: 'stream' | 'poll' = options.mode === 'poll' ? 'poll' : 'stream';
    if (mode === 'poll') emit({ status: 'polling', approvalId, reason: 'requested' });
    let failures = 0;
    let silentStreams = 0;
    let attempt = 0;
    let pollNow = true;
    for (;;) {
      if (run.signal.aborted) throw run.signal.reason;
      if (mode === 'stream') {
        const outcome = await streamOnce();
        if (outcome.kind === 'decided') return outcome.view;
        if (outcome.kind === 'fallback') {
          mode = 'poll';
          emit({ status: 'polling', approvalId, reason: outcome.reason });
          if (outcome.view && outcome.view.status !== 'pending') return outcome.view;
          pollNow = outcome.view === undefined;
          failures = 0;
          continue;
        }
        failures = outcome.gotBytes ? 0 : failures + 1;
        silentStreams = outcome.silent ? silentStreams + 1 : outcome.gotBytes ? 0 : silentStreams;
        if (silentStreams >= silentLimit) {
          mode = 'poll';
          emit({ status: 'polling', approvalId, reason: 'silent-streams' });
          failures = 0;
          continue;
        }
        const base = serverRetryMs ?? reconnectDelayMs;
        const delayMs =
          outcome.retryAfterMs ?? (failures === 0 ? base : backoff(Math.max(base, 1), failures));
        attempt += 1;
        emit({ status: 'reconnecting', approvalId, attempt, delayMs, reason: outcome.reason });
        await sleep(delayMs, run.signal, timers);
        continue;
      }
      if (!pollNow) await sleep(pollIntervalMs, run.signal, timers);
      const outcome = await pollOnce();
      if (outcome.kind === 'decided') return outcome.view;
      failures = outcome.kind === 'failed' ? failures + 1 : 0;
      const delayMs =
        outcome.retryAfterMs ??
        (failures === 0 ? pollIntervalMs : backoff(pollIntervalMs, failures));
      await sleep(delayMs, run.signal, timers);
      pollNow = true;
    }
  } catch (error) {
    if (run.signal.aborted) throw run.signal.reason;
    throw error;
  } finally {
    timers.clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onCallerAbort);
    if (!run.signal.aborted) run.abort();
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`${name} must be a positive number`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must not be negative`);
  return value;
}
