// Requests to the service as they go on the wire, without the client library: the demo
// shows them, the soak test checks every answer. Not part of the package's API.
import { hashParams, signExecute } from '@handshake/protocol';

/** An answer: its status and its JSON body (`{ unparsable }`, the text's start, when not JSON). */
export interface WireAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Sends `body` (as JSON; a string as it is) with `credential` as the bearer, and reads
 * the answer.
 */
export async function sendRequest(
  url: string,
  method: string,
  body?: unknown,
  credential?: string,
): Promise<WireAnswer> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { unparsable: text.slice(0, 200) };
  }
  return { status: response.status, body: parsed };
}

/** The `transactionId` and `signature` fields of an execute, signed with the key. */
export function signedExecute(
  { keyId, privateKey }: { keyId: string; privateKey: string },
  tool: string,
  parameters: unknown,
  transactionId: string,
) {
  return {
    transactionId,
    signature: {
      keyId,
      value: signExecute(privateKey, { tool, paramsHash: hashParams(parameters), transactionId }),
    },
  };
}
