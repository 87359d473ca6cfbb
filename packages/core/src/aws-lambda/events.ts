import { HandshakeError } from '@handshake/protocol';

/**
 * An API Gateway REST API proxy event (payload format 1.0), as far as the adapter reads it.
 *
 * @example
 * ```ts
 * import type { ApiGatewayProxyEventV1 } from '@handshake/core/aws-lambda';
 *
 * const event: ApiGatewayProxyEventV1 = {
 *   httpMethod: 'GET',
 *   path: '/health',
 *   headers: { Host: 'abc123.execute-api.eu-west-1.amazonaws.com' },
 *   multiValueHeaders: { Host: ['abc123.execute-api.eu-west-1.amazonaws.com'] },
 *   queryStringParameters: null,
 *   multiValueQueryStringParameters: null,
 *   body: null,
 *   isBase64Encoded: false,
 * };
 * ```
 */
export interface ApiGatewayProxyEventV1 {
  version?: '1.0';
  httpMethod: string;
  path: string;
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext?: { domainName?: string; stage?: string };
}

/**
 * An API Gateway HTTP API event (payload format 2.0) or a Lambda Function URL event,
 * which has the same shape.
 *
 * @example
 * ```ts
 * import type { ApiGatewayProxyEventV2 } from '@handshake/core/aws-lambda';
 *
 * const event: ApiGatewayProxyEventV2 = {
 *   version: '2.0',
 *   rawPath: '/health',
 *   rawQueryString: '',
 *   headers: { host: 'abc123.lambda-url.eu-west-1.on.aws' },
 *   requestContext: { http: { method: 'GET', path: '/health' } },
 *   isBase64Encoded: false,
 * };
 * ```
 */
export interface ApiGatewayProxyEventV2 {
  version: '2.0';
  rawPath: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined> | null;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { domainName?: string; http: { method: string; path?: string } };
}

/**
 * Either payload format: what `awsLambdaHandler` accepts.
 *
 * @example
 * ```ts
 * import type { LambdaHttpEvent } from '@handshake/core/aws-lambda';
 *
 * const method = (event: LambdaHttpEvent) =>
 *   event.version === '2.0' ? event.requestContext.http.method : event.httpMethod;
 * ```
 */
export type LambdaHttpEvent = ApiGatewayProxyEventV1 | ApiGatewayProxyEventV2;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function malformed(what: string): HandshakeError {
  return new HandshakeError('VALIDATION_ERROR', `The Lambda event is malformed: ${what}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether an event is payload format 2.0 (HTTP API or Function URL). */
export function isV2(event: unknown): event is ApiGatewayProxyEventV2 {
  return isObject(event) && event.version === '2.0';
}

function decodeBody(body: unknown, base64: unknown): Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'string') throw malformed('body is not a string');
  if (base64 !== true) return new TextEncoder().encode(body);
  const compact = body.replace(/\s/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) throw malformed('body is not base64');
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

function stringMap(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw malformed(`${what} is not an object`);
  return value;
}

/**
 * The Web-standard `Request` of an API Gateway (1.0 or 2.0) or Function URL event.
 * Throws `VALIDATION_ERROR` when the event is not one.
 */
export function toRequest(event: unknown, signal?: AbortSignal): Request {
  if (!isObject(event)) throw malformed('not an object');
  const headers = new Headers();
  let method: unknown;
  let path: unknown;
  let query = '';
  if (isV2(event)) {
    const context: Record<string, unknown> = isObject(event.requestContext)
      ? event.requestContext
      : {};
    method = isObject(context.http) ? context.http.method : undefined;
    path = event.rawPath;
    if (typeof event.rawQueryString === 'string') query = event.rawQueryString;
    for (const [name, value] of Object.entries(stringMap(event.headers, 'headers'))) {
      if (typeof value === 'string') headers.set(name, value);
    }
    // Payload 2.0 moves cookies out of the headers.
    if (Array.isArray(event.cookies) && event.cookies.length > 0) {
      headers.set('cookie', event.cookies.filter((c) => typeof c === 'string').join('; '));
    }
  } else {
    method = event.httpMethod;
    path = event.path;
    const multi = stringMap(event.multiValueHeaders, 'multiValueHeaders');
    for (const [name, values] of Object.entries(multi)) {
      if (Array.isArray(values)) for (const value of values) headers.append(name, String(value));
    }
    for (const [name, value] of Object.entries(stringMap(event.headers, 'headers'))) {
      if (typeof value === 'string' && !headers.has(name)) headers.set(name, value);
    }
    const params = new URLSearchParams();
    const multiQuery = stringMap(event.multiValueQueryStringParameters, 'query');
    const singleQuery = stringMap(event.queryStringParameters, 'query');
    for (const [name, values] of Object.entries(multiQuery)) {
      if (Array.isArray(values)) for (const value of values) params.append(name, String(value));
    }
    for (const [name, value] of Object.entries(singleQuery)) {
      if (typeof value === 'string' && !params.has(name)) params.append(name, value);
    }
    query = params.toString();
  }
  if (typeof method !== 'string' || !/^[A-Z]+$/.test(method)) throw malformed('no HTTP method');
  if (typeof path !== 'string' || !path.startsWith('/')) throw malformed('no path');
  const body = decodeBody(event.body, event.isBase64Encoded);
  const host =
    headers.get('host') ??
    (isObject(event.requestContext) && typeof event.requestContext.domainName === 'string'
      ? event.requestContext.domainName
      : 'lambda.invalid');
  let url: URL;
  try {
    url = new URL(`https://${host}${path}${query ? `?${query}` : ''}`);
  } catch {
    throw malformed('the host or path is not valid');
  }
  const hasBody = method !== 'GET' && method !== 'HEAD' && body !== undefined;
  return new Request(url, {
    method,
    headers,
    ...(hasBody ? { body: body as Uint8Array<ArrayBuffer> } : {}),
    ...(signal ? { signal } : {}),
  });
}
