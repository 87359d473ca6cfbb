import ky, {
  type AfterResponseHook,
  type Hooks,
  isHTTPError,
  type KyInstance,
  type RetryOptions,
} from 'ky';
import { resolveSession, type SessionSource } from './credentials.js';
import {
  abortedError,
  envelopeCode,
  HandshakeResponseError,
  type RequestLabel,
  toHandshakeError,
  where,
} from './errors.js';
import { endpoint, type FetchLike } from './url.js';

/**
 * How failed requests are retried. Authorize, approval-status reads and the tool list
 * are retried after a network failure or a 5xx answer (reads also after a timeout).
 * Execute is only ever re-sent as the byte-identical request — same token, body and
 * signature — after a lost response, a timeout, a 5xx other than `PROVIDER_ERROR`, or
 * `EXECUTION_IN_PROGRESS`; the service then answers the stored result with
 * `replayed: true`, so the tool never runs twice and its result is never lost.
 *
 * @example
 * ```ts
 * import type { HandshakeRetryOptions } from '@handshake/client';
 *
 * const retry: HandshakeRetryOptions = { limit: 3, executeLimit: 10, backoffLimit: 2_000 };
 * ```
 */
export interface HandshakeRetryOptions {
  /** Retries of authorize, status reads and tool listing (default 2). */
  limit?: number;
  /** Re-sends of an identical execute (default 8). */
  executeLimit?: number;
  /** Pause before retry `attempt` (1-based) in ms (default `300 * 2 ** (attempt - 1)`). */
  delay?: (attempt: number) => number;
  /** Ceiling of `delay` (default 5 s). */
  backoffLimit?: number;
  /** Ceiling of a server's `Retry-After` (default 10 s). */
  maxRetryAfter?: number;
  /** Randomize each pause between 0 and its value (default false). */
  jitter?: boolean;
}

/** Retry options with every default applied. */
export interface ResolvedRetry {
  limit: number;
  executeLimit: number;
  delay: (attempt: number) => number;
  backoffLimit: number;
  maxRetryAfter: number;
  jitter: boolean;
}

/** Applies the defaults; a number is the `limit`. */
export function resolveRetry(input: number | HandshakeRetryOptions | undefined): ResolvedRetry {
  const options = typeof input === 'number' ? { limit: input } : (input ?? {});
  const count = (value: number | undefined, fallback: number, name: string) => {
    const out = value ?? fallback;
    if (!Number.isInteger(out) || out < 0)
      throw new TypeError(`retry.${name} must be a non-negative integer`);
    return out;
  };
  return {
    limit: count(options.limit, 2, 'limit'),
    executeLimit: count(options.executeLimit, 8, 'executeLimit'),
    delay: options.delay ?? ((attempt) => 300 * 2 ** (attempt - 1)),
    backoffLimit: options.backoffLimit ?? 5_000,
    maxRetryAfter: options.maxRetryAfter ?? 10_000,
    jitter: options.jitter ?? false,
  };
}

/**
 * Which retry rules a request follows. `none` is for requests that must not be repeated
 * and cannot be replayed (a checkout charges a card).
 */
export type RetryPolicy = 'authorize' | 'read' | 'execute' | 'none';

// Codes after which an identical execute may still succeed: the call is running, or the
// service failed around it. PROVIDER_ERROR is final (replaying it answers the same).
const EXECUTE_RETRYABLE = new Set(['EXECUTION_IN_PROGRESS', 'STORE_UNAVAILABLE', 'INTERNAL_ERROR']);

function kyRetry(policy: RetryPolicy, retry: ResolvedRetry): RetryOptions {
  const common = {
    delay: retry.delay,
    backoffLimit: retry.backoffLimit,
    maxRetryAfter: retry.maxRetryAfter,
    jitter: retry.jitter,
  };
  if (policy === 'none') return { limit: 0 };
  if (policy === 'execute') {
    return {
      ...common,
      limit: retry.executeLimit,
      methods: ['post'],
      statusCodes: [409, 500, 502, 503, 504],
      afterStatusCodes: [409, 503],
      // A timed-out execute may have run; the identical request learns its outcome.
      retryOnTimeout: true,
      shouldRetry: ({ error }) => {
        if (!isHTTPError(error)) return undefined;
        const code = envelopeCode(error.data);
        // Without an envelope a gateway answered: ky's status rules decide.
        if (code === undefined) return undefined;
        return EXECUTE_RETRYABLE.has(code) ? undefined : false;
      },
    };
  }
  return {
    ...common,
    limit: retry.limit,
    methods: policy === 'authorize' ? ['post'] : ['get'],
    statusCodes: [500, 502, 503, 504],
    afterStatusCodes: [503],
    // A slow authorize is not repeated: it is likelier overload than loss.
    retryOnTimeout: policy === 'read',
    shouldRetry: ({ error }) => {
      if (!isHTTPError(error)) return undefined;
      return error.response.status >= 500 ? undefined : false;
    },
  };
}

class BodyTimeoutError extends Error {
  override name = 'TimeoutError';
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

async function readAll(
  body: ReadableStream<Uint8Array<ArrayBuffer>>,
  timeoutMs: number | false,
): Promise<Blob> {
  const reader = body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut =
    timeoutMs === false
      ? undefined
      : new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(new BodyTimeoutError(`reading the response took longer than ${timeoutMs} ms`));
            void reader.cancel().catch(() => {});
          }, timeoutMs);
        });
  try {
    for (;;) {
      const { done, value } = await (timedOut
        ? Promise.race([reader.read(), timedOut])
        : reader.read());
      if (done) break;
      chunks.push(value);
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  return new Blob(chunks);
}

/**
 * Reads the whole body inside ky's request cycle, so a connection cut mid-body is
 * retried like one cut before the headers (`ky.retry`), under the same rules and limit.
 */
function bufferBody(timeoutMs: number | false): AfterResponseHook {
  return async ({ response, options }) => {
    if (!response.body || NULL_BODY_STATUSES.has(response.status)) return;
    try {
      const whole = await readAll(response.body, timeoutMs);
      return new Response(whole, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      return ky.retry({
        code: 'RESPONSE_BODY_LOST',
        cause: error instanceof Error ? error : new Error(String(error)),
      });
    }
  };
}

/**
 * The Fetch standard rejects with a `TypeError` on any network error, but runtimes word
 * it differently and ky recognizes only known wordings; say it the one way ky knows so
 * every runtime's network errors are retried alike.
 */
function normalizeFetch(fetchFn: FetchLike): FetchLike {
  return async (input, init) => {
    try {
      return await fetchFn(input, init);
    } catch (error) {
      const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
      if (
        !signal?.aborted &&
        typeof error === 'object' &&
        error !== null &&
        (error as Error).name === 'TypeError' &&
        (error as Error).message !== 'fetch failed'
      ) {
        throw new TypeError('fetch failed', { cause: error });
      }
      throw error;
    }
  };
}

/** Options of {@link Transport}. */
export interface TransportOptions {
  baseUrl: URL;
  fetch: FetchLike;
  timeout: number | false;
  retry: ResolvedRetry;
  hooks: Hooks | undefined;
  session: SessionSource | undefined;
  /** Writes the caller's trace context headers; only `traceparent` and `tracestate` are sent. */
  traceContext?: ((headers: Record<string, string>) => void) | undefined;
}

/** The trace context headers a request carries: W3C `traceparent` and `tracestate`. */
const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

/**
 * The trace context headers of the caller's active trace, as `traceContext` writes them;
 * none when it is not given, writes none, or throws (tracing never fails a request).
 */
function traceHeaders(
  traceContext: TransportOptions['traceContext'],
): Record<string, string> | undefined {
  if (!traceContext) return undefined;
  const written: Record<string, string> = {};
  try {
    traceContext(written);
  } catch {
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const name of TRACE_HEADERS) {
    const value = written[name];
    if (typeof value === 'string' && value !== '') out[name] = value;
  }
  return out;
}

/** One request to the service. */
export interface TransportRequest<T> {
  operation: string;
  method: 'GET' | 'POST';
  path: string;
  json?: unknown;
  policy: RetryPolicy;
  signal?: AbortSignal | undefined;
  /** Secrets in this request (an ephemeral token) to keep out of error messages. */
  secrets?: readonly (string | undefined)[];
  parse(body: unknown, context: { label: RequestLabel; status: number }): T;
}

/** A request whose successful answer is read by the caller (a stream). */
export type OpenRequest = Omit<TransportRequest<never>, 'parse'> & {
  /** The `Accept` header. */
  accept: string;
};

/** One request of a live wait, from {@link Transport.exchange}. */
export interface ExchangeRequest {
  operation: string;
  path: string;
  /** The `Accept` header. */
  accept: string;
  /** More request headers (`Last-Event-ID`, `Cache-Control`). */
  headers?: Record<string, string>;
  signal: AbortSignal;
}

/** A successful answer with its body unread, from {@link Transport.open}. */
export interface OpenResponse {
  response: Response;
  label: RequestLabel;
  /** The secrets of the request, for messages about its body. */
  secrets: readonly (string | undefined)[];
}

/** ky configured for the Handshake protocol: retries, body buffering, typed errors. */
export class Transport {
  readonly #ky: KyInstance;
  /** The same without body buffering, for answers that may be streams. */
  readonly #kyStream: KyInstance;
  readonly #options: TransportOptions;

  constructor(options: TransportOptions) {
    this.#options = options;
    const user = options.hooks ?? {};
    const common = {
      fetch: normalizeFetch(options.fetch),
      timeout: options.timeout,
      throwHttpErrors: true,
    } as const;
    this.#ky = ky.create({
      ...common,
      hooks: {
        ...user,
        afterResponse: [bufferBody(options.timeout), ...(user.afterResponse ?? [])],
      },
    });
    this.#kyStream = ky.create({ ...common, hooks: user });
  }

  /** The URL of `path` under the base URL. */
  url(path: string): URL {
    return endpoint(this.#options.baseUrl, path);
  }

  /**
   * What {@link open} and {@link send} start with: the URL and label, a refusal when the
   * signal already aborted, and the headers with the session (which the secrets list).
   */
  async #prepare(request: Omit<OpenRequest, 'accept'>, accept: string) {
    const url = this.url(request.path);
    const label: RequestLabel = { operation: request.operation, method: request.method, url };
    if (request.signal?.aborted) throw abortedError(label, request.signal.reason);
    const session = await resolveSession(this.#options.session);
    const secrets = [session, ...(request.secrets ?? [])];
    const headers: Record<string, string> = {
      ...traceHeaders(this.#options.traceContext),
      accept,
    };
    if (session) headers.authorization = `Bearer ${session}`;
    return { url, label, secrets, headers };
  }

  /**
   * Sends a request and answers its successful response unread, for an answer that may
   * be an event stream: `timeout` bounds the wait for the headers only, and a failure
   * before them is retried under `policy`. Error answers reject as {@link send} does.
   * The caller reads or cancels the body; `signal` ends it.
   */
  async open(request: OpenRequest): Promise<OpenResponse> {
    const { url, label, secrets, headers } = await this.#prepare(request, request.accept);
    try {
      const response = await this.#kyStream(url, {
        method: request.method,
        headers,
        ...(request.json === undefined ? {} : { json: request.json }),
        ...(request.signal ? { signal: request.signal } : {}),
        retry: kyRetry(request.policy, this.#options.retry),
      });
      return { response, label, secrets };
    } catch (error) {
      throw toHandshakeError(error, label, {
        signal: request.signal,
        timeoutMs: this.#options.timeout,
        secrets,
      });
    }
  }

  /**
   * Sends a GET once and answers its response as it comes, error statuses included,
   * body unread: the one request of the live waits (their stream connections and
   * status reads), with the session and base URL of every other request.
   *
   * It calls the client's `fetch` directly rather than through ky: a live wait paces
   * its own reconnections and polls, bounds them with its injected timers, reads an
   * event stream for as long as it lasts and judges every status itself (a 406 means
   * "poll", a 503's `Retry-After` sets the pause). With ky's retries, timeout, body
   * buffering, thrown HTTP errors and hooks all off (the user's hooks are documented not
   * to run around the approval stream), ky would add only a copy of the request and a
   * wrapper around network errors, and its extra turns before the request is sent count
   * against a heartbeat timeout that can be tens of milliseconds. A network failure
   * rejects with the runtime's own error, the cause a wait's timeout keeps.
   */
  exchange(request: ExchangeRequest): Promise<OpenResponse> {
    const url = this.url(request.path);
    const label: RequestLabel = { operation: request.operation, method: 'GET', url };
    return resolveSession(this.#options.session).then(async (session) => {
      const headers = new Headers({
        ...traceHeaders(this.#options.traceContext),
        ...request.headers,
        accept: request.accept,
      });
      if (session) headers.set('authorization', `Bearer ${session}`);
      const response = await this.#options.fetch(url, { headers, signal: request.signal });
      return { response, label, secrets: [session] };
    });
  }

  async send<T>(request: TransportRequest<T>): Promise<T> {
    const { url, label, secrets, headers } = await this.#prepare(request, 'application/json');
    let response: Response;
    let text: string;
    try {
      response = await this.#ky(url, {
        method: request.method,
        headers,
        ...(request.json === undefined ? {} : { json: request.json }),
        ...(request.signal ? { signal: request.signal } : {}),
        retry: kyRetry(request.policy, this.#options.retry),
      });
      text = await response.text();
    } catch (error) {
      throw toHandshakeError(error, label, {
        signal: request.signal,
        timeoutMs: this.#options.timeout,
        secrets,
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new HandshakeResponseError(
        `${request.operation} answered HTTP ${response.status} with a body that is not JSON: ${where(label)}`,
        { status: response.status, issues: [{ path: '', message: 'expected JSON' }], cause: error },
      );
    }
    return request.parse(body, { label, status: response.status });
  }
}

/** A zod-like schema: what `parseAnswer` needs. */
interface SafeParser<T> {
  safeParse(value: unknown):
    | { success: true; data: T }
    | {
        success: false;
        error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> };
      };
}

/** Parses an answer with a wire schema; a mismatch is a {@link HandshakeResponseError}. */
export function parseAnswer<T>(
  schema: SafeParser<T>,
  body: unknown,
  context: { label: RequestLabel; status: number },
): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const at = issues.map((issue) => issue.path || '(body)').join(', ');
  throw new HandshakeResponseError(
    `${context.label.operation} answered HTTP ${context.status} with a body that does not match the protocol (at: ${at}): ${where(context.label)}`,
    { status: context.status, issues },
  );
}

/**
 * An answer about something other than what was asked; `detail` (default: `message`)
 * says what is wrong with the field at `path`.
 */
export function mismatch(
  label: RequestLabel,
  status: number,
  path: string,
  message: string,
  detail = message,
): HandshakeResponseError {
  return new HandshakeResponseError(`${label.operation}: ${message}: ${where(label)}`, {
    status,
    issues: [{ path, message: detail }],
  });
}

/**
 * Reads an answer about one thing asked for (a transaction, an approval): {@link parseAnswer}
 * with `schema`, then a {@link mismatch} at `check.path` when `check.differs` says the
 * answer is about another.
 */
export function answerAbout<T>(
  schema: SafeParser<T>,
  check: { differs(answer: T): boolean; path: string; message: string; detail?: string },
): TransportRequest<T>['parse'] {
  return (body, context) => {
    const answer = parseAnswer(schema, body, context);
    if (check.differs(answer)) {
      throw mismatch(context.label, context.status, check.path, check.message, check.detail);
    }
    return answer;
  };
}
