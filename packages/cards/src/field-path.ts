import { HandshakeError } from '@handshake/protocol';

/**
 * Runs `run`, re-labelling a `VALIDATION_ERROR` it throws (e.g. from `parseMoney`,
 * whose messages name no field) with the request field it came from.
 */
export function withFieldPath<T>(path: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (HandshakeError.isInstance(error) && error.code === 'VALIDATION_ERROR') {
      throw new HandshakeError('VALIDATION_ERROR', `Invalid ${path}: ${error.message}`, {
        path,
        cause: error,
      });
    }
    throw error;
  }
}
