// What a validation comes to: the validated purchase, or the error that says why not
// (denied, expired, still pending, or an answer that does not hold together), from
// the stream's final event or from an `authorization-status` read.

import { HandshakeError } from '@handshake/protocol';
import { cardMerchant, type ValidationResponse } from '@handshake/protocol/cards';
import { HandshakeResponseError, type RequestLabel, redact, where } from '../errors.js';
import type { checkValidation } from './inputs.js';
import type {
  AuthorizationStatus,
  ValidatedTransaction,
  ValidationStatus,
} from './spend-client.js';

/** What the outcomes of one validation need to know. */
export interface OutcomeContext {
  checked: ReturnType<typeof checkValidation>;
  label: RequestLabel;
  emit(status: ValidationStatus): void;
  /** One `authorization-status` read. */
  readStatus(authorizationId: string, signal: AbortSignal): Promise<AuthorizationStatus>;
}

/** The outcomes of one validation, each reported to `emit` as it is reached. */
export function validationOutcomes(options: OutcomeContext) {
  const { checked, label, emit } = options;
  const stillPending = (id: string, cause?: unknown) =>
    new HandshakeError(
      'TIMEOUT',
      `${label.operation}: no decision within ${checked.timeoutSeconds} s; authorization ${id} is still pending: ${where(label)}`,
      cause === undefined ? {} : { cause },
    );

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
      ...cardMerchant(checked.merchantName, checked.merchantCategories),
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
    if (state.status === 'withdrawn') {
      throw new HandshakeError(
        'ABORTED',
        `${label.operation}: authorization ${state.authorizationId} was withdrawn by its requester before a decision: ${where(label)}`,
      );
    }
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

  /** The stream's final event, as the result or the error. */
  const fromEvent = async (
    data: ValidationResponse,
    pending: ValidationResponse | undefined,
    signal: AbortSignal,
  ): Promise<ValidatedTransaction> => {
    const readStatus = (id: string) => options.readStatus(id, signal);
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
      if (signal.aborted) throw signal.reason;
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

  return { checkAmount, stillPending, fromStatus, fromEvent };
}
