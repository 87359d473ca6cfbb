import { HandshakeError } from '@handshake/protocol';
import { errorResponse } from '../http/responses.js';
import type { ApiGatewayProxyEventV2 } from './events.js';
import { toRequest } from './events.js';
import type { AwsLambdaHandlerOptions, WebHandler } from './handler.js';

/** The writable stream Lambda hands a streaming function (a Node `Writable`). */
interface ResponseStream {
  write(chunk: Uint8Array): boolean;
  end(): void;
  once(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
  destroyed?: boolean;
}

/**
 * The part of the Lambda Node.js runtime's `awslambda` global that response streaming
 * uses. The runtime provides it; pass your own only to run the handler elsewhere.
 *
 * @example
 * ```ts
 * import type { LambdaStreamingRuntime } from '@handshake/core/aws-lambda';
 *
 * declare const awslambda: LambdaStreamingRuntime; // a global inside Lambda
 * const runtime: LambdaStreamingRuntime = awslambda;
 * ```
 */
export interface LambdaStreamingRuntime {
  streamifyResponse(
    handler: (event: unknown, stream: ResponseStream, context: unknown) => Promise<void>,
  ): unknown;
  HttpResponseStream: {
    from(
      stream: ResponseStream,
      prelude: { statusCode: number; headers: Record<string, string>; cookies?: string[] },
    ): ResponseStream;
  };
}

/**
 * The runtime's streaming API, when this process runs in Lambda's Node.js runtime. (The
 * AWS SDK defines an empty `awslambda` global anywhere, so its methods are checked.)
 *
 * @example
 * ```ts
 * import { lambdaStreamingRuntime } from '@handshake/core/aws-lambda';
 *
 * const streaming = lambdaStreamingRuntime() !== undefined; // false outside Lambda
 * ```
 */
export function lambdaStreamingRuntime(): LambdaStreamingRuntime | undefined {
  const candidate = (globalThis as { awslambda?: Partial<LambdaStreamingRuntime> }).awslambda;
  return typeof candidate?.streamifyResponse === 'function' && candidate.HttpResponseStream
    ? (candidate as LambdaStreamingRuntime)
    : undefined;
}

async function pipe(body: ReadableStream<Uint8Array>, out: ResponseStream): Promise<void> {
  const reader = body.getReader();
  let closed = false;
  out.once('close', () => {
    // The client went away: stop reading, which releases the handler's stream.
    closed = true;
    void reader.cancel().catch(() => {});
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || closed) break;
      if (!out.write(value)) await new Promise<void>((resolve) => out.once('drain', resolve));
    }
  } finally {
    if (!closed) out.end();
  }
}

/**
 * Adapts a Web-standard handler to a Lambda Function URL in `RESPONSE_STREAM` invoke
 * mode: the response is streamed as the handler writes it, so approval waiters get
 * Server-Sent Events as they happen (up to the function's timeout; the client resumes
 * with `Last-Event-ID` after it). Events are Function URL (payload 2.0) events.
 *
 * @example
 * ```ts
 * import { createHandshake, createHandshakeHandler } from '@handshake/core';
 * import { awsLambdaStreamingHandler, lambdaStreamingRuntime } from '@handshake/core/aws-lambda';
 *
 * const engine = createHandshake({ tools: [] });
 * // Inside Lambda the runtime's `awslambda` global is used.
 * export const handler = lambdaStreamingRuntime()
 *   ? awsLambdaStreamingHandler(createHandshakeHandler(engine))
 *   : undefined;
 * ```
 */
export function awsLambdaStreamingHandler(
  handler: WebHandler,
  options: AwsLambdaHandlerOptions & { runtime?: LambdaStreamingRuntime } = {},
): unknown {
  const runtime = options.runtime ?? lambdaStreamingRuntime();
  if (!runtime) {
    throw new TypeError('response streaming needs the AWS Lambda Node.js runtime (awslambda)');
  }
  return runtime.streamifyResponse(async (event: unknown, stream: ResponseStream) => {
    let response: Response;
    try {
      response = await handler(toRequest(event as ApiGatewayProxyEventV2));
    } catch (error) {
      if (!HandshakeError.isInstance(error)) options.onError?.(error);
      response = errorResponse(error);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of response.headers) if (name !== 'set-cookie') headers[name] = value;
    const cookies = response.headers.getSetCookie();
    const out = runtime.HttpResponseStream.from(stream, {
      statusCode: response.status,
      headers,
      ...(cookies.length > 0 ? { cookies } : {}),
    });
    if (response.body) await pipe(response.body, out);
    else out.end();
  });
}
