import { CANONICALIZE_MAX_DEPTH, HandshakeError } from '@handshake/protocol';
import type { z } from 'zod';
import { parseJsonText } from './json-text.js';

/**
 * Reads a JSON body: `application/json` only, at most `maxBytes`, valid UTF-8, valid
 * JSON, then the (strict) schema. Every refusal is a 4xx `HandshakeError` naming the
 * field, never echoing the input. A text with escape sequences is read by
 * {@link parseJsonText}, never by the runtime's `JSON.parse`.
 */
export async function readJsonBody<T extends z.ZodType>(
  request: Request,
  schema: T,
  maxBytes: number,
): Promise<z.infer<T>> {
  checkJsonHeaders(
    request.headers.get('content-type') ?? undefined,
    request.headers.get('content-length') ?? undefined,
    maxBytes,
  );
  return parseJsonBytes(await readLimited(request, maxBytes), schema);
}

/**
 * {@link readJsonBody} for a body a server adapter has already read whole, given with
 * the request's `content-type` and `content-length`: the same checks in the same order,
 * the same refusals.
 */
export function readJsonBytes<T extends z.ZodType>(
  contentType: string | undefined,
  contentLength: string | undefined,
  body: Uint8Array | undefined,
  schema: T,
  maxBytes: number,
): z.infer<T> {
  checkJsonHeaders(contentType, contentLength, maxBytes);
  const bytes = body ?? new Uint8Array();
  if (bytes.byteLength > maxBytes) {
    throw new HandshakeError('PAYLOAD_TOO_LARGE', `The body exceeds ${maxBytes} bytes`);
  }
  return parseJsonBytes(bytes, schema);
}

function checkJsonHeaders(
  contentType: string | undefined,
  contentLength: string | undefined,
  maxBytes: number,
): void {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HandshakeError('UNSUPPORTED_MEDIA_TYPE', 'The body must be application/json');
  }
  const declared = Number(contentLength ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new HandshakeError('PAYLOAD_TOO_LARGE', `The body exceeds ${maxBytes} bytes`);
  }
}

// Decoding with `fatal` keeps no state between calls that are not `stream`ed.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function parseJsonBytes<T extends z.ZodType>(bytes: Uint8Array, schema: T): z.infer<T> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HandshakeError('VALIDATION_ERROR', 'The body is not valid UTF-8', { path: 'body' });
  }
  let value: unknown;
  try {
    // Escapes take the parser of our own: some runtimes' JSON.parse misreads escaped keys.
    value = text.includes('\\') ? parseJsonText(text) : JSON.parse(text);
  } catch {
    throw new HandshakeError('VALIDATION_ERROR', 'The body is not valid JSON', { path: 'body' });
  }
  // Recursive schemas (z.json()) would overflow the stack on deep input: refuse it first.
  if (nestingDepth(value) > CANONICALIZE_MAX_DEPTH) {
    throw new HandshakeError(
      'VALIDATION_ERROR',
      `The body is nested deeper than ${CANONICALIZE_MAX_DEPTH} levels`,
      { path: 'body' },
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
    const message =
      issue?.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map(String).join(', ')}`
        : (issue?.message ?? 'invalid');
    throw new HandshakeError('VALIDATION_ERROR', `Invalid request at ${path}: ${message}`, {
      path,
    });
  }
  return parsed.data;
}

async function readLimited(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new HandshakeError('PAYLOAD_TOO_LARGE', `The body exceeds ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return new Uint8Array(await new Blob(chunks).arrayBuffer());
}

/** The deepest nesting of arrays and objects in a parsed JSON value, found without recursion. */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > CANONICALIZE_MAX_DEPTH) return deepest;
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, here]);
  }
  return deepest;
}
