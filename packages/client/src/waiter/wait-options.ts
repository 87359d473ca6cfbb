// The public options and progress events of an approval wait, shared by
// `waitForApprovalDecision`, the client's `waitForApproval` and `call`, and the spend
// client's defaults.

import type { SessionSource } from '../credentials.js';
import type { Timers } from '../timers.js';
import type { FetchLike } from '../url.js';

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
