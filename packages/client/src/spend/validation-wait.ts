// The wait of a purchase validation: the JSON answer within the limits, or the event
// stream that waits for the user (docs/spend-api.md), falling back to polling
// `authorization-status` when the stream breaks, goes silent or is rewritten on the way.

import { HandshakeError } from '@handshake/protocol';
import { type ValidationResponse, ValidationResponseSchema } from '@handshake/protocol/cards';
import { positive } from '../checks.js';
import { abortedError, HandshakeResponseError, type RequestLabel, where } from '../errors.js';
import { readText } from '../live/read-text.js';
import { type LiveListener, listenerDecoder } from '../live/stream-reader.js';
import { type Connection, waitLive } from '../live/wait-live.js';
import { systemTimers } from '../timers.js';
import { parseAnswer, type Transport } from '../transport.js';
import type { WaitOptions } from '../waiter/wait-options.js';
import { checkValidation } from './inputs.js';
import type {
  AuthorizationStatus,
  ValidatedTransaction,
  ValidateTransactionInput,
  ValidateTransactionOptions,
  ValidationFallbackReason,
  ValidationStatus,
} from './spend-client.js';
import { validationEvents } from './validation-events.js';
import { validationOutcomes } from './validation-outcome.js';

/** What a validation needs of the spend client. */
export interface ValidationContext {
  transport: Transport;
  /** `validate-transaction` under the base URL. */
  path: string;
  waiter: Omit<WaitOptions, 'signal' | 'onEvent'> | undefined;
  requestTimeoutMs: number | false;
  /** One `authorization-status` read. */
  readStatus(authorizationId: string, signal: AbortSignal): Promise<AuthorizationStatus>;
}

// The service's own deadline ends the stream with `timeout`; the client gives it this
// long on top before giving up on its own.
const STREAM_GRACE_MS = 10_000;
// Failures of a status read after which polling goes on (the read itself retried first).
const TRANSIENT_CODES = new Set([
  'NETWORK_ERROR',
  'TIMEOUT',
  'STORE_UNAVAILABLE',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
]);

function emitter(onStatus: ((status: ValidationStatus) => void) | undefined) {
  return (status: ValidationStatus) => {
    try {
      onStatus?.(status);
    } catch {
      // An observer must not break the validation.
    }
  };
}

/**
 * A decision: the stream's final event, or a decided `authorization-status` read while
 * polling.
 */
type Decision =
  | { from: 'stream'; data: ValidationResponse }
  | { from: 'status'; state: AuthorizationStatus };

/**
 * Validates a purchase and waits for the decision when the service asks the user (the
 * body of `SpendClient.validateTransaction`).
 */
export async function validateTransaction(
  context: ValidationContext,
  input: ValidateTransactionInput,
  options: ValidateTransactionOptions,
): Promise<ValidatedTransaction> {
  const checked = checkValidation(input);
  const { transport, waiter, requestTimeoutMs } = context;
  const timers = options.timers ?? waiter?.timers ?? systemTimers;
  const heartbeatTimeoutMs = positive(
    options.heartbeatTimeoutMs ?? waiter?.heartbeatTimeoutMs ?? 45_000,
    'heartbeatTimeoutMs',
  );
  const pollIntervalMs = positive(
    options.pollIntervalMs ?? waiter?.pollIntervalMs ?? 2_000,
    'pollIntervalMs',
  );
  const emit = emitter(options.onStatus);
  const path = context.path;
  const label: RequestLabel = {
    operation: 'Validate transaction',
    method: 'POST',
    url: transport.url(path),
  };
  const decisionMs = checked.timeoutSeconds * 1000;

  // The wait ends at the caller's abort (ABORTED) or at the client's own deadline
  // (TIMEOUT, the request's `timeout` and a grace). `due` marks the end of the request's
  // `timeout`, after which polling makes one last read.
  const due = new AbortController();
  let pendingSeen: ValidationResponse | undefined;
  const outcome = validationOutcomes({ checked, label, emit, readStatus: context.readStatus });
  const { checkAmount, stillPending } = outcome;

  /** One `authorization-status` read while polling; failures that pass are `failed`. */
  const pollStatus = async (signal: AbortSignal) => {
    const pending = pendingSeen as ValidationResponse;
    try {
      const state = await context.readStatus(pending.authorization_id, signal);
      if (state.status !== 'pending')
        return { kind: 'decided' as const, value: { from: 'status' as const, state } };
      return { kind: 'pending' as const };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (!HandshakeError.isInstance(error) || !TRANSIENT_CODES.has(error.code)) throw error;
      if (HandshakeResponseError.isInstance(error)) throw error;
      return { kind: 'failed' as const, error };
    }
  };

  const onPending = (pending: ValidationResponse) => {
    pendingSeen = pending;
    emit({
      status: 'pending',
      authorizationId: pending.authorization_id,
      transactionId: pending.transaction_id,
      expiresAt: pending.expires_at,
      reasons: pending.reasons ?? [],
      message: pending.message,
    });
  };

  /** The one connection: the validation request, and what its answer is. */
  const connect = async (request: {
    signal: AbortSignal;
  }): Promise<Connection<Decision, ValidationFallbackReason>> => {
    const { response } = await transport.open({
      operation: label.operation,
      method: 'POST',
      path,
      json: checked.body,
      accept: 'application/json, text/event-stream',
      // As authorize: a lost request is sent again; a slow one is not.
      policy: 'authorize',
      signal: request.signal,
    });
    const type = response.headers.get('content-type') ?? '';
    if (!/^\s*text\/event-stream\b/i.test(type)) return readOther(response, request.signal);
    const body = response.body;
    if (!body || typeof (body as Partial<ReadableStream>).getReader !== 'function') {
      return { kind: 'fallback', reason: 'not-event-stream' };
    }
    const events = validationEvents(label, response.status, onPending);
    return { kind: 'stream', body, listener: asDecision(events) };
  };

  /** An answer that is not `text/event-stream`: JSON, or a stream a proxy relabelled. */
  const readOther = async (
    response: Response,
    signal: AbortSignal,
  ): Promise<Connection<Decision, ValidationFallbackReason>> => {
    let text: string;
    try {
      text = await readText(response, { timeoutMs: requestTimeoutMs, timers, signal });
    } catch (error) {
      throw new HandshakeError(
        'NETWORK_ERROR',
        `${label.operation} failed while reading the answer: ${where(label)}`,
        { cause: error },
      );
    }
    let json: unknown;
    let isJson = true;
    try {
      json = JSON.parse(text);
    } catch {
      isJson = false;
    }
    if (isJson) {
      const data = parseAnswer(ValidationResponseSchema, json, {
        label,
        status: response.status,
      });
      if (data.status !== 'pending') return { kind: 'decided', value: { from: 'stream', data } };
      // A proxy kept only the first event: wait by polling.
      onPending(data);
      return { kind: 'fallback', reason: 'not-event-stream' };
    }
    // Event-stream text under another content type (a proxy buffered and relabelled it).
    const events = validationEvents(label, response.status, onPending);
    const decoder = listenerDecoder(events);
    decoder.feedText(text);
    decoder.end();
    if (events.fatal) throw events.fatal;
    if (events.decided) return { kind: 'decided', value: { from: 'stream', data: events.decided } };
    // It named the authorization to wait for (the request is sent once: the stream's own).
    if (pendingSeen) return { kind: 'fallback', reason: 'not-event-stream' };
    throw new HandshakeResponseError(
      `${label.operation} answered HTTP ${response.status} with neither JSON nor an event stream: ${where(label)}`,
      {
        status: response.status,
        issues: [{ path: '', message: 'expected JSON or text/event-stream' }],
      },
    );
  };

  /** The stream broke or was rewritten: poll the authorization it named, if it did. */
  const startPolling = (reason: ValidationFallbackReason, cause: unknown) => {
    const pending = pendingSeen;
    if (!pending) {
      throw new HandshakeError(
        'NETWORK_ERROR',
        `${label.operation}: the answer ended before it named the authorization to wait for: ${where(label)}`,
        cause === undefined ? {} : { cause },
      );
    }
    checkAmount(pending);
    emit({ status: 'polling', authorizationId: pending.authorization_id, reason });
  };

  emit({ status: 'validating', merchantName: checked.merchantName, amount: checked.amount });
  const dueTimer = timers.setTimeout(() => due.abort(), decisionMs);
  try {
    return await waitLive<Decision, ValidationFallbackReason, ValidatedTransaction>({
      timers,
      signal: options.signal,
      abortError: (reason) => abortedError(label, reason),
      timeoutMs: decisionMs + STREAM_GRACE_MS,
      timeoutError: () =>
        pendingSeen
          ? stillPending(pendingSeen.authorization_id)
          : new HandshakeError(
              'TIMEOUT',
              `${label.operation}: no answer within ${checked.timeoutSeconds} s: ${where(label)}`,
            ),
      heartbeatTimeoutMs,
      // The request has its own deadline; the watchdog minds the stream.
      watch: 'body',
      mode: 'stream',
      connect,
      // The request cannot be sent again (it would validate a second purchase), and its
      // authorization is read with `authorization-status` (which issues the token).
      afterBreak: (broken) => ({ fallback: broken.reason }),
      onFallback: startPolling,
      poll: {
        read: pollStatus,
        delayMs: (failures) => Math.min(pollIntervalMs * 2 ** Math.min(failures, 5), 30_000),
        until: {
          signal: due.signal,
          giveUp: (lastError) => {
            const pending = pendingSeen as ValidationResponse;
            emit({
              status: 'timeout',
              authorizationId: pending.authorization_id,
              transactionId: pending.transaction_id,
            });
            return stillPending(pending.authorization_id, lastError);
          },
        },
      },
      settle: (decision, signal) =>
        decision.from === 'stream'
          ? outcome.fromEvent(decision.data, pendingSeen, signal)
          : outcome.fromStatus(decision.state, pendingSeen as ValidationResponse),
    });
  } finally {
    timers.clearTimeout(dueTimer);
  }
}

/** A validation stream's events, its final event read as a {@link Decision}. */
function asDecision(events: LiveListener<ValidationResponse>): LiveListener<Decision> {
  return {
    onEvent: (event) => events.onEvent(event),
    onParseError: (error) => events.onParseError(error),
    get decided() {
      const data = events.decided;
      return data === undefined ? undefined : { from: 'stream' as const, data };
    },
    get fatal() {
      return events.fatal;
    },
    get serverError() {
      return events.serverError;
    },
  };
}
