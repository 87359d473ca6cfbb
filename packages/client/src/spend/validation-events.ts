import { type ValidationResponse, ValidationResponseSchema } from '@handshake/protocol/cards';
import { HandshakeResponseError, type RequestLabel, where } from '../errors.js';
import type { LiveListener } from '../live/stream-reader.js';

/**
 * What the events of a `validate-transaction` stream said so far: the `pending` event
 * (the authorization to wait for), the final one (`decided`: `approved`, `denied` or
 * `timeout`), whether the service reported a failure (`event: error`), or why the
 * stream cannot be trusted (`fatal`).
 */
export interface ValidationEvents extends LiveListener<ValidationResponse> {
  readonly pending: ValidationResponse | undefined;
}

/**
 * Decodes the events of a validation stream (docs/spend-api.md): `pending` first, then
 * one of `approved`, `denied` or `timeout`; `error` when the service could not check the
 * approval. Each event's data is checked against `ValidationResponseSchema` and must be
 * about the same authorization; `onPending` hears the first `pending`.
 */
export function validationEvents(
  label: RequestLabel,
  status: number,
  onPending: (pending: ValidationResponse) => void,
): ValidationEvents {
  let pending: ValidationResponse | undefined;
  let final: ValidationResponse | undefined;
  let serverError = false;
  let fatal: unknown;
  const malformed = (message: string, path = '', cause?: unknown) =>
    new HandshakeResponseError(`${label.operation}: ${message}: ${where(label)}`, {
      status,
      issues: [{ path, message }],
      ...(cause === undefined ? {} : { cause }),
    });
  return {
    onEvent(event) {
      if (final || fatal) return;
      const name = event.event ?? 'message';
      if (name === 'error') {
        serverError = true;
        return;
      }
      if (!['pending', 'approved', 'denied', 'timeout', 'auto_approved'].includes(name)) return;
      let json: unknown;
      try {
        json = JSON.parse(event.data);
      } catch (error) {
        fatal = malformed(`the ${name} event is not JSON`, '', error);
        return;
      }
      const parsed = ValidationResponseSchema.safeParse(json);
      if (!parsed.success) {
        const paths = parsed.error.issues.map((issue) => issue.path.join('.') || '(data)');
        fatal = new HandshakeResponseError(
          `${label.operation}: the ${name} event does not match the protocol (at: ${paths.join(', ')}): ${where(label)}`,
          {
            status,
            issues: parsed.error.issues.map((issue) => ({
              path: issue.path.join('.'),
              message: issue.message,
            })),
          },
        );
        return;
      }
      const data = parsed.data;
      if (pending && data.authorization_id !== pending.authorization_id) {
        fatal = malformed('the stream switched to another authorization', 'authorization_id');
        return;
      }
      if (data.status === 'pending') {
        if (!pending) {
          pending = data;
          onPending(data);
        }
        return;
      }
      final = data;
    },
    onParseError(error) {
      if (error.type === 'max-buffer-size-exceeded') {
        fatal = malformed('the stream sent an oversized event');
      }
    },
    get pending() {
      return pending;
    },
    get decided() {
      return final;
    },
    get serverError() {
      return serverError;
    },
    get fatal() {
      return fatal;
    },
  };
}
