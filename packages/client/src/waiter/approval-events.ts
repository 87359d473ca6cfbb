// What an approval wait reads: the `status` events of its stream and the JSON status,
// each checked against the protocol and the approval asked for.

import { type ApprovalView, ApprovalViewSchema } from '@handshake/protocol';
import { HandshakeResponseError, type RequestLabel, where } from '../errors.js';
import { type LiveListener, liveListener } from '../live/stream-reader.js';

/** The events of an approval stream: `status` events until a final one. */
export function statusListener(
  parse: (text: string, source: string) => ApprovalView,
  label: RequestLabel,
  status: number,
): LiveListener<ApprovalView> {
  return liveListener(
    (event) => {
      if (event.event !== 'status') return undefined;
      const view = parse(event.data, 'status event');
      return view.status !== 'pending' ? view : undefined;
    },
    (error) =>
      new HandshakeResponseError(
        `${label.operation}: the stream sent an oversized event: ${where(label)}`,
        { status, issues: [{ path: '', message: error.message }] },
      ),
  );
}

/** An approval view from the service, checked against the protocol and the id asked. */
export function parseView(
  value: unknown,
  source: string,
  label: RequestLabel,
  approvalId: string,
): ApprovalView {
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
}

export function parseJsonText(text: string, source: string, label: RequestLabel): unknown {
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
}

/** An error body: its JSON when it is JSON, else the text. */
export function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
