import { HandshakeError } from '@handshake/protocol';
import { errorResponse } from '../http/responses.js';
import { isV2, type LambdaHttpEvent, toRequest } from './events.js';

/**
 * A Web-standard handler, as `createHandshakeHandler` returns.
 *
 * @example
 * ```ts
 * import type { WebHandler } from '@handshake/core/aws-lambda';
 *
 * const hello: WebHandler = async () => new Response('hello');
 * ```
 */
export type WebHandler = (request: Request) => Promise<Response>;

/**
 * What a buffered Lambda proxy integration returns. Payload 1.0 results carry
 * `multiValueHeaders`; payload 2.0 results carry `cookies` apart from `headers`.
 *
 * @example
 * ```ts
 * import type { LambdaHttpResult } from '@handshake/core/aws-lambda';
 *
 * const result: LambdaHttpResult = {
 *   statusCode: 200,
 *   headers: { 'content-type': 'application/json' },
 *   body: '{"status":"ok"}',
 *   isBase64Encoded: false,
 * };
 * ```
 */
export interface LambdaHttpResult {
  statusCode: number;
  headers: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  cookies?: string[];
  body: string;
  isBase64Encoded: boolean;
}

/**
 * Options of {@link awsLambdaHandler}.
 *
 * @example
 * ```ts
 * import type { AwsLambdaHandlerOptions } from '@handshake/core/aws-lambda';
 *
 * const options: AwsLambdaHandlerOptions = { onError: (error) => console.error(error) };
 * ```
 */
export interface AwsLambdaHandlerOptions {
  /** Hears errors the handler threw (answered as `500 INTERNAL_ERROR` without detail). */
  onError?: (error: unknown) => void;
}

const TEXTUAL =
  /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded)|[^;]*\+(json|xml)|image\/svg\+xml)/i;

/** Whether a body of this type travels as text; anything else goes base64-encoded. */
export function isTextual(contentType: string | null): boolean {
  return contentType === null || TEXTUAL.test(contentType);
}

/**
 * Event streams cannot be buffered to their end (they end at a decision, minutes
 * later): a buffered invocation asks for JSON instead, and an answer that streams anyway
 * is cut after its first event, which tells the client to poll.
 */
function preferJson(request: Request): Request {
  const accept = request.headers.get('accept') ?? '';
  if (!accept.includes('text/event-stream')) return request;
  const headers = new Headers(request.headers);
  headers.set('accept', 'application/json');
  return new Request(request, { headers });
}

async function firstEvent(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let text = '';
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    text += decoder.decode(value, { stream: true });
    if (/\n\n/.test(text.replace(/\r\n/g, '\n'))) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks);
}

/**
 * Adapts a Web-standard handler to AWS Lambda behind API Gateway (REST APIs with
 * payload 1.0, HTTP APIs with 2.0) or a Function URL in the default (buffered) mode.
 * Bodies may be base64-encoded both ways, headers may repeat, cookies are carried as
 * each format wants. A malformed event is answered `400 VALIDATION_ERROR` in the error
 * envelope. Event streams are not buffered: a request for one is answered as JSON when
 * the route can (approval status), otherwise with its first event only, after which the
 * client polls. For Server-Sent Events use {@link awsLambdaStreamingHandler} on a
 * Function URL with response streaming.
 *
 * @example
 * ```ts
 * import { createHandshake, createHandshakeHandler } from '@handshake/core';
 * import { awsLambdaHandler } from '@handshake/core/aws-lambda';
 *
 * const engine = createHandshake({ tools: [] });
 * export const handler = awsLambdaHandler(createHandshakeHandler(engine));
 * ```
 */
export function awsLambdaHandler(
  handler: WebHandler,
  options: AwsLambdaHandlerOptions = {},
): (event: LambdaHttpEvent, context?: unknown) => Promise<LambdaHttpResult> {
  return async (event) => {
    let response: Response;
    try {
      response = await handler(preferJson(toRequest(event)));
    } catch (error) {
      if (!HandshakeError.isInstance(error)) options.onError?.(error);
      response = errorResponse(error);
    }
    const type = response.headers.get('content-type');
    const bytes = !response.body
      ? new Uint8Array()
      : type?.startsWith('text/event-stream')
        ? await firstEvent(response.body)
        : new Uint8Array(await response.arrayBuffer());
    const textual = isTextual(type);
    const body = textual ? new TextDecoder().decode(bytes) : Buffer.from(bytes).toString('base64');
    const headers: Record<string, string> = {};
    for (const [name, value] of response.headers) if (name !== 'set-cookie') headers[name] = value;
    const cookies = response.headers.getSetCookie();
    const result: LambdaHttpResult = {
      statusCode: response.status,
      headers,
      body,
      isBase64Encoded: !textual,
    };
    if (isV2(event)) {
      if (cookies.length > 0) result.cookies = cookies;
    } else {
      const multi: Record<string, string[]> = {};
      for (const [name, value] of Object.entries(headers)) multi[name] = [value];
      if (cookies.length > 0) multi['set-cookie'] = cookies;
      result.multiValueHeaders = multi;
    }
    return result;
  };
}
