// The wait of a purchase validation: the JSON answer within the limits, or the event
// stream that waits for the user (docs/spend-api.md), falling back to polling
// `authorization-status` when the stream breaks, goes silent or is rewritten on the way.

import { HandshakeError, type ValidationResponse, ValidationResponseSchema } from '@handshake/core';
import {
  abortedError,
  HandshakeResponseError,
  type RequestLabel,
  redact,
  where,
} from '../errors.js';
import { linkSignals, sleep, systemTimers, type Timers } from '../timers.js';
import { parseAnswer, type Transport } from '../transport.js';
import type { WaitOptions } from '../waiter/approval-waiter.js';
import { readEventStream } from '../waiter/event-stream.js';
import { checkValidation, positive } from './inputs.js';
import type {
  AuthorizationStatus,
  ValidatedTransaction,
  ValidateTransactionInput,
  ValidateTransactionOptions,
  ValidationFallbackReason,
  ValidationStatus,
} from './spend-client.js';
import { validationEvents } from './validation-events.js';

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

/** Reads a small, non-stream body within `timeoutMs`. */
async function readText(
  response: Response,
  timeoutMs: number | false,
  timers: Timers,
  signal: AbortSignal,
): Promise<string> {
  if (timeoutMs === false) return response.text();
  let timer: unknown;
  try {
    return await Promise.race([
      response.text(),
      new Promise<never>((_, reject) => {
        timer = timers.setTimeout(
          () => reject(new Error(`reading the answer took longer than ${timeoutMs} ms`)),
          timeoutMs,
        );
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]);
  } finally {
    timers.clearTimeout(timer);
  }
}

const HEARTBEAT_LOST = Symbol('heartbeat lost');

type StreamOutcome =
  | { kind: 'final'; data: ValidationResponse }
  | {
      kind: 'broken';
      reason: ValidationFallbackReason;
      pending: ValidationResponse | undefined;
      error?: unknown;
    };

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

  // `run` ends everything: the caller's abort (ABORTED) or the client's own deadline
  // (TIMEOUT). `due` marks the end of the request's `timeout`, after which polling
  // makes one last read.
  const run = new AbortController();
  const due = new AbortController();
  let pendingSeen: ValidationResponse | undefined;
  const stillPending = (id: string, cause?: unknown) =>
    new HandshakeError(
      'TIMEOUT',
      `${label.operation}: no decision within ${checked.timeoutSeconds} s; authorization ${id} is still pending: ${where(label)}`,
      cause === undefined ? {} : { cause },
    );
  const dueTimer = timers.setTimeout(() => due.abort(), decisionMs);
  const hardTimer = timers.setTimeout(() => {
    run.abort(
      pendingSeen
        ? stillPending(pendingSeen.authorization_id)
        : new HandshakeError(
            'TIMEOUT',
            `${label.operation}: no answer within ${checked.timeoutSeconds} s: ${where(label)}`,
          ),
    );
  }, decisionMs + STREAM_GRACE_MS);
  const onCallerAbort = () => run.abort(abortedError(label, options.signal?.reason));
  if (options.signal?.aborted) onCallerAbort();
  else options.signal?.addEventListener('abort', onCallerAbort, { once: true });

  const approvedResult = (
    status: 'auto_approved' | 'approved',
    data: {
      authorizationId: string;
      transactionId: string;
      validationToken: string;
      expiresAt: string | undefined;
      message: string;
    },
  ): ValidatedTransaction => {
    emit({
      status,
      authorizationId: data.authorizationId,
      transactionId: data.transactionId,
    });
    return {
      status,
      validationToken: data.validationToken,
      authorizationId: data.authorizationId,
      transactionId: data.transactionId,
      expiresAt: data.expiresAt,
      merchantName: checked.merchantName,
      ...(checked.merchantCategories !== undefined
        ? { merchantCategories: checked.merchantCategories }
        : {}),
      transactionAmount: checked.amount.value,
      transactionCurrency: checked.amount.currency,
      message: data.message,
    };
  };

  const malformed = (message: string, fieldPath: string) =>
    new HandshakeResponseError(`${label.operation}: ${message}: ${where(label)}`, {
      status: 200,
      issues: [{ path: fieldPath, message }],
    });

  /** The service must have validated what was asked. */
  const checkAmount = (data: ValidationResponse) => {
    if (
      data.amount &&
      (data.amount.value !== checked.amount.value ||
        data.amount.currency !== checked.amount.currency)
    ) {
      throw malformed('the service validated another amount than was asked', 'amount');
    }
  };

  const denied = (authorizationId: string, transactionId: string, reason?: string) => {
    emit({ status: 'denied', authorizationId, transactionId });
    const why = reason ? ` (reason: ${JSON.stringify(redact(reason))})` : '';
    return new HandshakeError(
      'APPROVAL_DENIED',
      `${label.operation}: the purchase at ${checked.merchantName} was denied${why}: ${where(label)}`,
    );
  };

  const expired = (authorizationId: string, transactionId: string) => {
    emit({ status: 'expired', authorizationId, transactionId });
    return new HandshakeError(
      'APPROVAL_EXPIRED',
      `${label.operation}: authorization ${authorizationId} expired without a decision: ${where(label)}`,
    );
  };

  /** A decided `authorization-status` read, as the result or the error. */
  const fromStatus = async (
    state: AuthorizationStatus,
    pending: ValidationResponse,
  ): Promise<ValidatedTransaction> => {
    if (state.transactionId !== pending.transaction_id) {
      throw malformed('the authorization is for another transaction', 'transaction_id');
    }
    if (state.status === 'denied') {
      throw denied(state.authorizationId, state.transactionId, state.reason);
    }
    if (state.status === 'expired') throw expired(state.authorizationId, state.transactionId);
    if (!state.validationToken) {
      throw new HandshakeError(
        'TOKEN_ALREADY_USED',
        `${label.operation}: authorization ${state.authorizationId} was approved, but no validation token was issued to this session (a card was already made with it, or it lapsed): ${where(label)}`,
      );
    }
    return approvedResult('approved', {
      authorizationId: state.authorizationId,
      transactionId: state.transactionId,
      validationToken: state.validationToken,
      expiresAt: state.expiresAt,
      message: state.message,
    });
  };

  const readStatus = (id: string) => context.readStatus(id, run.signal);

  /** Polls `authorization-status` until a decision or the request's deadline. */
  const poll = async (pending: ValidationResponse): Promise<ValidatedTransaction> => {
    const id = pending.authorization_id;
    let failures = 0;
    let lastError: unknown;
    for (;;) {
      const last = due.signal.aborted;
      try {
        const state = await readStatus(id);
        failures = 0;
        if (state.status !== 'pending') return await fromStatus(state, pending);
      } catch (error) {
        if (run.signal.aborted) throw run.signal.reason;
        if (!HandshakeError.isInstance(error) || !TRANSIENT_CODES.has(error.code)) throw error;
        if (HandshakeResponseError.isInstance(error)) throw error;
        failures += 1;
        lastError = error;
      }
      if (last) {
        emit({ status: 'timeout', authorizationId: id, transactionId: pending.transaction_id });
        throw stillPending(id, lastError);
      }
      const wait = linkSignals([run.signal, due.signal]);
      try {
        await sleep(
          Math.min(pollIntervalMs * 2 ** Math.min(failures, 5), 30_000),
          wait.signal,
          timers,
        );
      } catch {
        if (run.signal.aborted) throw run.signal.reason;
        // The request's deadline passed during the pause: one last read.
      } finally {
        wait.dispose();
      }
    }
  };

  /** The stream's final event, as the result or the error. */
  const settle = async (
    data: ValidationResponse,
    pending: ValidationResponse | undefined,
  ): Promise<ValidatedTransaction> => {
    checkAmount(data);
    if (pending) checkAmount(pending);
    if (data.status === 'auto_approved' || data.status === 'approved') {
      if (data.validation_token) {
        return approvedResult(data.status, {
          authorizationId: data.authorization_id,
          transactionId: data.transaction_id,
          validationToken: data.validation_token,
          expiresAt: data.expires_at,
          message: data.message,
        });
      }
      if (data.status === 'auto_approved' || !pending) {
        throw malformed('the approval carries no validation token', 'validation_token');
      }
      // Approved, but the token went to an earlier read: ask for a fresh one.
      return fromStatus(await readStatus(data.authorization_id), pending);
    }
    if (!pending) throw malformed(`the stream said ${data.status} before pending`, 'status');
    if (data.status === 'denied') {
      throw denied(data.authorization_id, data.transaction_id, data.reason);
    }
    // `timeout`: the service stopped waiting. Whether the approval lapsed or is still
    // pending (or was decided just now), one read tells.
    let state: AuthorizationStatus;
    try {
      state = await readStatus(data.authorization_id);
    } catch (error) {
      if (run.signal.aborted) throw run.signal.reason;
      emit({
        status: 'timeout',
        authorizationId: data.authorization_id,
        transactionId: data.transaction_id,
      });
      throw stillPending(data.authorization_id, error);
    }
    if (state.status === 'pending') {
      emit({
        status: 'timeout',
        authorizationId: data.authorization_id,
        transactionId: data.transaction_id,
      });
      throw stillPending(data.authorization_id);
    }
    return fromStatus(state, pending);
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

  /** Reads the event stream to its final event, or says why it broke. */
  const readStream = async (
    response: Response,
    signal: AbortController,
  ): Promise<StreamOutcome> => {
    const events = validationEvents(label, response.status, onPending);
    const body = response.body;
    if (!body || typeof (body as Partial<ReadableStream>).getReader !== 'function') {
      return { kind: 'broken', reason: 'not-event-stream', pending: undefined };
    }
    let watchdog: unknown;
    const arm = () => {
      timers.clearTimeout(watchdog);
      watchdog = timers.setTimeout(() => signal.abort(HEARTBEAT_LOST), heartbeatTimeoutMs);
    };
    arm();
    try {
      await readEventStream(body, events.decoder, {
        onChunk: arm,
        shouldStop: () => events.done(),
      });
    } catch (error) {
      if (run.signal.aborted) throw run.signal.reason;
      if (events.fatal) throw events.fatal;
      if (events.final) return { kind: 'final', data: events.final };
      const lost = signal.signal.aborted && signal.signal.reason === HEARTBEAT_LOST;
      return {
        kind: 'broken',
        reason: lost ? 'heartbeat' : 'network',
        pending: events.pending,
        error,
      };
    } finally {
      timers.clearTimeout(watchdog);
    }
    if (events.fatal) throw events.fatal;
    if (events.final) return { kind: 'final', data: events.final };
    return {
      kind: 'broken',
      reason: events.serverError ? 'server-error' : 'ended',
      pending: events.pending,
    };
  };

  /** An answer that is not `text/event-stream`: JSON, or a stream a proxy relabelled. */
  const readOther = async (response: Response): Promise<StreamOutcome> => {
    let text: string;
    try {
      text = await readText(response, requestTimeoutMs, timers, run.signal);
    } catch (error) {
      if (run.signal.aborted) throw run.signal.reason;
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
      if (data.status === 'pending') {
        // A proxy kept only the first event: wait by polling.
        onPending(data);
        return { kind: 'broken', reason: 'not-event-stream', pending: data };
      }
      return { kind: 'final', data };
    }
    // Event-stream text under another content type (a proxy buffered and relabelled it).
    const events = validationEvents(label, response.status, onPending);
    events.decoder.feedText(text);
    events.decoder.end();
    if (events.fatal) throw events.fatal;
    if (events.final) return { kind: 'final', data: events.final };
    if (events.pending) {
      return { kind: 'broken', reason: 'not-event-stream', pending: events.pending };
    }
    throw new HandshakeResponseError(
      `${label.operation} answered HTTP ${response.status} with neither JSON nor an event stream: ${where(label)}`,
      {
        status: response.status,
        issues: [{ path: '', message: 'expected JSON or text/event-stream' }],
      },
    );
  };

  const local = new AbortController();
  const link = linkSignals([run.signal, local.signal]);
  try {
    emit({ status: 'validating', merchantName: checked.merchantName, amount: checked.amount });
    let response: Response;
    try {
      ({ response } = await transport.open({
        operation: label.operation,
        method: 'POST',
        path,
        json: checked.body,
        accept: 'application/json, text/event-stream',
        // As authorize: a lost request is sent again; a slow one is not.
        policy: 'authorize',
        signal: link.signal,
      }));
    } catch (error) {
      if (run.signal.aborted) throw run.signal.reason;
      throw error;
    }
    const type = response.headers.get('content-type') ?? '';
    const outcome = /^\s*text\/event-stream\b/i.test(type)
      ? await readStream(response, local)
      : await readOther(response);
    // The connection is of no more use.
    local.abort();
    if (outcome.kind === 'final') return await settle(outcome.data, pendingSeen);
    const pending = outcome.pending;
    if (!pending) {
      throw new HandshakeError(
        'NETWORK_ERROR',
        `${label.operation}: the answer ended before it named the authorization to wait for: ${where(label)}`,
        outcome.error === undefined ? {} : { cause: outcome.error },
      );
    }
    checkAmount(pending);
    emit({
      status: 'polling',
      authorizationId: pending.authorization_id,
      reason: outcome.reason,
    });
    return await poll(pending);
  } catch (error) {
    if (run.signal.aborted) throw run.signal.reason;
    throw error;
  } finally {
    timers.clearTimeout(dueTimer);
    timers.clearTimeout(hardTimer);
    options.signal?.removeEventListener('abort', onCallerAbort);
    link.dispose();
    local.abort();
    if (!run.signal.aborted) run.abort();
  }
}
