import { type ValidationResponse, ValidationResponseSchema } from '@handshake/protocol/cards';
import { HandshakeResponseError, type RequestLabel, where } from '../errors.js';
import { type LiveListener, liveListener } from '../live/stream-reader.js';

/**
 * Decodes the events of a validation stream (docs/spend-api.md): `pending` first, then
 * one of `approved`, `denied` or `timeout` (the decision); `error` when the service could
 * not check the approval. Each event's data is checked against `ValidationResponseSchema`
 * and must be about the same authorization; `onPending` hears the first `pending`.
 */
export function validationEvents(
  label: RequestLabel,
  status: number,
  onPending: (pending: ValidationResponse) => void,
): LiveListener<ValidationResponse> {
  let pending: ValidationResponse | undefined;
  const malformed = (message: string, path = '', cause?: unknown) =>
    new HandshakeResponseError(`${label.operation}: ${message}: ${where(label)}`, {
      status,
      issues: [{ path, message }],
      ...(cause === undefined ? {} : { cause }),
    });
  return liveListener(
    (event) => {
      const name = event.event ?? 'message';
      if (!['pending', 'approved', 'denied', 'timeout', 'auto_approved'].includes(name)) {
        return undefined;
      }
      let json: unknown;
      try {
        json = JSON.parse(event.data);
      } catch (error) {
        throw malformed(`the ${name} event is not JSON`, '', error);
      }
      const parsed = ValidationResponseSchema.safeParse(json);
      if (!parsed.success) {
        const paths = parsed.error.issues.map((issue) => issue.path.join('.') || '(data)');
        throw new HandshakeResponseError(
          `${label.operation}: the ${name} event does not match the protocol (at: ${paths.join(', ')}): ${where(label)}`,
          {
            status,
            issues: parsed.error.issues.map((issue) => ({
              path: issue.path.join('.'),
              message: issue.message,
            })),
          },
        );
      }
      const data = parsed.data;
      if (pending && data.authorization_id !== pending.authorization_id) {
        throw malformed('the stream switched to another authorization', 'authorization_id');
      }
      if (data.status !== 'pending') return data;
      if (!pending) {
        pending = data;
        onPending(data);
      }
      return undefined;
    },
    () => malformed('the stream sent an oversized event'),
  );
}
