import { HandshakeError } from '@handshake/protocol';
import { safeMessage } from './safe-message.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The toolkit's `PayPalAPI.run()` never throws: it answers `JSON.stringify(result)` on
 * success and, on failure, either an `LlmError` (`{ ok: false, status, code, message }`)
 * or `{ error: { message, type: 'paypal_error' } }` — all as strings. This turns such a
 * string back into the result, or into a `PROVIDER_ERROR` with a safe message.
 *
 * @throws {HandshakeError} `PROVIDER_ERROR` when the string reports a failure.
 *
 * @example
 * ```ts
 * import { PayPalAPI } from '@paypal/agent-toolkit/mcp';
 * import { interpretToolkitResult } from '@handshake/paypal';
 *
 * const api = new PayPalAPI('A21AA…', { sandbox: true });
 * const order = interpretToolkitResult('get_order', await api.run('get_order', { id: '5O190127TN364715T' }));
 * ```
 */
export function interpretToolkitResult(tool: string, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw ?? null;
  if (raw === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new HandshakeError('PROVIDER_ERROR', `${tool} returned a result that is not JSON`);
  }
  const failure = toolkitFailure(tool, parsed);
  if (failure) throw failure;
  // A 204 answer (reminders, cancellations, patches) arrives as an empty string.
  return parsed === '' ? null : parsed;
}

/** The error a parsed toolkit answer reports, if it reports one (internal). */
export function toolkitFailure(tool: string, parsed: unknown): HandshakeError | undefined {
  if (isRecord(parsed)) {
    // LlmError.toJSON(): { ok: false, status?, code, message }.
    if (parsed.ok === false && typeof parsed.code === 'string') {
      const status = typeof parsed.status === 'number' ? ` with HTTP ${parsed.status}` : '';
      const message =
        typeof parsed.message === 'string' && parsed.message !== ''
          ? `: ${safeMessage(parsed.message)}`
          : '';
      return new HandshakeError(
        'PROVIDER_ERROR',
        `PayPal answered ${tool}${status} (${safeMessage(parsed.code)})${message}`,
      );
    }
    // Errors thrown before or around the request: { error: { message, type } }.
    const error = parsed.error;
    if (
      isRecord(error) &&
      typeof error.message === 'string' &&
      (error.type === 'paypal_error' || Object.keys(parsed).length === 1)
    ) {
      return new HandshakeError(
        'PROVIDER_ERROR',
        `${tool} failed in the PayPal toolkit: ${safeMessage(error.message)}`,
      );
    }
    // pay_order wraps a non-2xx capture as { status: 'error', response }.
    if (tool === 'pay_order' && parsed.status === 'error') {
      return new HandshakeError('PROVIDER_ERROR', 'PayPal did not capture the order');
    }
  }
  // update_plan reports "nothing to do" as a bare string instead of an error.
  if (tool === 'update_plan' && typeof parsed === 'string' && parsed !== '') {
    return new HandshakeError(
      'PROVIDER_ERROR',
      `update_plan changed nothing: ${safeMessage(parsed)}`,
    );
  }
  return undefined;
}
