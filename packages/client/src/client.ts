import {
  type ApprovalView,
  ApprovalViewSchema,
  type AuthorizeResponse,
  AuthorizeResponseSchema,
  type ExecuteResponse,
  ExecuteResponseSchema,
  HandshakeError,
  hashParams,
  ParametersSchema,
  type Tier,
  type ToolListing,
  ToolListingSchema,
  ToolNameSchema,
} from '@handshake/protocol';
import type { Hooks } from 'ky';
import { resolveSigner, type SessionSource, type Signer } from './credentials.js';
import {
  abortedError,
  HandshakeResponseError,
  type RequestLabel,
  redact,
  where,
} from './errors.js';
import { SpendApi, type SpendClient, spendBasePath } from './spend/spend-client.js';
import {
  answerAbout,
  type HandshakeRetryOptions,
  mismatch,
  parseAnswer,
  resolveRetry,
  Transport,
} from './transport.js';
import { approvalUrl, type FetchLike, normalizeBaseUrl } from './url.js';
import { waitForDecision } from './waiter/approval-waiter.js';
import type { WaiterEvent, WaitOptions } from './waiter/wait-options.js';

/**
 * Options of {@link createHandshakeClient}.
 *
 * @example
 * ```ts
 * import type { HandshakeClientOptions } from '@handshake/client';
 *
 * const options: HandshakeClientOptions = {
 *   baseUrl: 'https://handshake.example.com/v1',
 *   session: 'dev-token-alice',
 *   timeout: 5_000,
 *   retry: { limit: 3 },
 *   waiter: { heartbeatTimeoutMs: 30_000, pollIntervalMs: 1_000 },
 *   hooks: { beforeRequest: [({ request }) => console.log(request.method, request.url)] },
 * };
 * ```
 */
export interface HandshakeClientOptions {
  /** The service's base URL, e.g. `https://handshake.example.com` or `…/v1`. */
  baseUrl: string | URL;
  /** The session credential, or a function asked before each request. */
  session?: SessionSource;
  /** Signs executes of INTERNAL and higher tiers. */
  signer?: Signer;
  /** Default: the global `fetch`. */
  fetch?: FetchLike;
  /** Per-attempt deadline of each request in ms, or `false` for none (default 10 s). */
  timeout?: number | false;
  /** Retry rules; a number sets `limit`. */
  retry?: number | HandshakeRetryOptions;
  /** ky hooks, run around every request except the approval stream. */
  hooks?: Hooks;
  /** Defaults of every approval wait (heartbeat, polling, timers…), validations' included. */
  waiter?: Omit<WaitOptions, 'signal' | 'onEvent'>;
  /** Where the spend API lives under `baseUrl` (default `/api/mcp`). */
  spendBasePath?: string;
  /**
   * Carries the caller's trace to the service: called before each request with an empty
   * object to write W3C trace context headers into; `traceparent` and `tracestate` are
   * sent, anything else is ignored. With OpenTelemetry (the client itself depends on no
   * tracing library): `(headers) => propagation.inject(context.active(), headers)`.
   */
  traceContext?: (headers: Record<string, string>) => void;
}

/**
 * Options of one request.
 *
 * @example
 * ```ts
 * import type { HandshakeClient, RequestOptions } from '@handshake/client';
 * declare const client: HandshakeClient;
 *
 * const options: RequestOptions = { signal: AbortSignal.timeout(2_000) };
 * await client.tools(options);
 * ```
 */
export interface RequestOptions {
  /** Ends the request with an `ABORTED` error. */
  signal?: AbortSignal;
}

/**
 * Options of {@link HandshakeClient.authorize}.
 *
 * @example
 * ```ts
 * import type { AuthorizeOptions, HandshakeClient } from '@handshake/client';
 * declare const client: HandshakeClient;
 *
 * const options: AuthorizeOptions = { metadata: { conversation: 'c-42' } };
 * await client.authorize('get_order', { id: 'O-1' }, options);
 * ```
 */
export interface AuthorizeOptions extends RequestOptions {
  /** Free-form context recorded with the authorization (64-character keys). */
  metadata?: Record<string, unknown>;
}

/**
 * What {@link HandshakeClient.execute} sends: the authorized call and its token.
 *
 * @example
 * ```ts
 * import type { AuthorizedResponse } from '@handshake/protocol';
 * import type { ExecuteInput } from '@handshake/client';
 * declare const answer: AuthorizedResponse;
 *
 * const input: ExecuteInput = {
 *   tool: 'get_order',
 *   parameters: { id: 'O-1' },
 *   ephemeralToken: answer.ephemeralToken,
 *   transactionId: answer.transactionId,
 *   tier: answer.tier,
 * };
 * ```
 */
export interface ExecuteInput {
  tool: string;
  /** Exactly the parameters that were authorized. */
  parameters: Record<string, unknown>;
  ephemeralToken: string;
  transactionId: string;
  /**
   * The tier from the authorize answer. PUBLIC calls are not signed; with the tier
   * unknown, the call is signed whenever the client has a signer.
   */
  tier?: Tier;
}

/**
 * Progress of {@link HandshakeClient.call}, for logs and interfaces. Never carries a
 * token.
 *
 * @example
 * ```ts
 * import type { CallStatus } from '@handshake/client';
 *
 * const show = (status: CallStatus) => {
 *   if (status.status === 'pending') console.log(`waiting for a person to approve ${status.tool}`);
 * };
 * ```
 */
export type CallStatus =
  | { status: 'authorizing'; tool: string }
  | { status: 'authorized'; tool: string; transactionId: string; tier: Tier }
  | {
      status: 'pending';
      tool: string;
      transactionId: string;
      approvalId: string;
      expiresAt: string;
      tier: Tier;
    }
  | WaiterEvent
  | {
      /** `withdrawn`: the call's `signal` aborted while it waited, and its approval was withdrawn. */
      status: 'approved' | 'denied' | 'expired' | 'withdrawn';
      tool: string;
      transactionId: string;
      approvalId: string;
    }
  | { status: 'executing'; tool: string; transactionId: string }
  | { status: 'completed'; tool: string; transactionId: string; replayed: boolean };

/**
 * Options of {@link HandshakeClient.call}.
 *
 * @example
 * ```ts
 * import type { CallOptions, HandshakeClient } from '@handshake/client';
 * declare const client: HandshakeClient;
 *
 * const options: CallOptions = {
 *   signal: AbortSignal.timeout(600_000),
 *   approvalTimeoutMs: 300_000,
 *   onStatus: (status) => console.log(status.status),
 * };
 * await client.call('pay_order', { order_id: 'O-1' }, options);
 * ```
 */
export interface CallOptions extends AuthorizeOptions {
  /** How long to wait for a person's decision (default 15 minutes); then `TIMEOUT`. */
  approvalTimeoutMs?: number;
  /** Hears each step. Exceptions thrown here are ignored. */
  onStatus?: (status: CallStatus) => void;
  /** Overrides of the client's waiter defaults for this call. */
  waiter?: Omit<WaitOptions, 'signal' | 'onEvent' | 'timeoutMs'>;
}

/**
 * Options of {@link HandshakeClient.waitForApproval}.
 *
 * @example
 * ```ts
 * import type { HandshakeClient, WaitForApprovalOptions } from '@handshake/client';
 * declare const client: HandshakeClient;
 *
 * const options: WaitForApprovalOptions = { timeoutMs: 120_000, mode: 'poll', pollIntervalMs: 5_000 };
 * await client.waitForApproval('apr_0123456789abcdef_x', options);
 * ```
 */
export type WaitForApprovalOptions = WaitOptions;

/**
 * A Handshake client. Every failure is a `HandshakeError` whose `code` is the wire
 * code the service answered, `NETWORK_ERROR`, `TIMEOUT` or `ABORTED`; a malformed
 * answer is a {@link HandshakeResponseError}. Messages name the operation and the
 * request, never a token.
 *
 * @example
 * ```ts
 * import { createHandshakeClient, HandshakeError, type HandshakeClient } from '@handshake/client';
 *
 * const client: HandshakeClient = createHandshakeClient({ baseUrl: 'https://handshake.example.com' });
 * try {
 *   await client.call('get_exchange_rate', { from: 'EUR', to: 'USD' });
 * } catch (error) {
 *   if (HandshakeError.isInstance(error) && error.code === 'NETWORK_ERROR') {
 *     // the service could not be reached
 *   }
 * }
 * ```
 */
export interface HandshakeClient {
  /** The service's base URL, normalized with a trailing slash. */
  readonly baseUrl: string;

  /**
   * Authorizes, waits for a person's decision when the service asks for one, signs,
   * executes, and answers the tool's result. The type parameter is not checked: it
   * states what the caller expects the tool to answer.
   *
   * A denial ends with `APPROVAL_DENIED`, a lapsed approval with `APPROVAL_EXPIRED`.
   * When `signal` aborts before a person decided, the call ends with `ABORTED` and
   * withdraws its approval (best effort), so nobody approves a call that will not run.
   * A lost execute response is recovered by re-sending the identical request, which the
   * service answers from its record: the tool runs once.
   *
   * @example
   * ```ts
   * import { createHandshakeClient } from '@handshake/client';
   *
   * const client = createHandshakeClient({
   *   baseUrl: 'https://handshake.example.com',
   *   session: 'dev-token-alice',
   *   signer: { keyId: 'laptop', privateKey: 'base64url-seed-of-32-bytes' },
   * });
   * const capture = await client.call('pay_order', { order_id: 'O-1' }, {
   *   onStatus: (status) => console.log(status.status),
   * });
   * ```
   */
  call<Result = unknown>(
    tool: string,
    parameters: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<Result>;

  /**
   * Phase one alone: `authorized` with an ephemeral token, or `pending` with the id of
   * the approval to wait for.
   *
   * @example
   * ```ts
   * import type { HandshakeClient } from '@handshake/client';
   * declare const client: HandshakeClient;
   *
   * const answer = await client.authorize('get_order', { id: 'O-1' });
   * if (answer.status === 'pending') await client.waitForApproval(answer.approvalId);
   * ```
   */
  authorize(
    tool: string,
    parameters: Record<string, unknown>,
    options?: AuthorizeOptions,
  ): Promise<AuthorizeResponse>;

  /**
   * Phase two alone: sends the token with the call (signed for INTERNAL and higher
   * tiers) and answers the service's record, `replayed: true` when it was already run.
   * Calling it again with the same input re-sends the identical request.
   *
   * @example
   * ```ts
   * import type { HandshakeClient } from '@handshake/client';
   * declare const client: HandshakeClient;
   *
   * const parameters = { id: 'O-1' };
   * const answer = await client.authorize('get_order', parameters);
   * if (answer.status === 'authorized') {
   *   const done = await client.execute({
   *     tool: 'get_order',
   *     parameters,
   *     ephemeralToken: answer.ephemeralToken,
   *     transactionId: answer.transactionId,
   *     tier: answer.tier,
   *   });
   *   console.log(done.result);
   * }
   * ```
   */
  execute(input: ExecuteInput, options?: RequestOptions): Promise<ExecuteResponse>;

  /**
   * Waits for the decision (streaming, resuming, polling as needed) and answers the
   * approved view, whose `ephemeralToken` executes the call. A denial throws
   * `APPROVAL_DENIED`, a lapse `APPROVAL_EXPIRED`, the deadline `TIMEOUT`, and an
   * approval its requester withdrew `ABORTED`.
   *
   * @example
   * ```ts
   * import type { HandshakeClient } from '@handshake/client';
   * declare const client: HandshakeClient;
   *
   * const approved = await client.waitForApproval('apr_0123456789abcdef_x', { timeoutMs: 60_000 });
   * console.log(approved.status); // 'approved'
   * ```
   */
  waitForApproval(approvalId: string, options?: WaitForApprovalOptions): Promise<ApprovalView>;

  /**
   * Reads an approval once. Once approved, each read issues a fresh ephemeral token to
   * the session that asked and the previous one stops working: execute with the token
   * of the latest read.
   *
   * @example
   * ```ts
   * import type { HandshakeClient } from '@handshake/client';
   * declare const client: HandshakeClient;
   *
   * const view = await client.approvalStatus('apr_0123456789abcdef_x');
   * console.log(view.status);
   * ```
   */
  approvalStatus(approvalId: string, options?: RequestOptions): Promise<ApprovalView>;

  /**
   * Withdraws this user's pending approval, when the call waiting for it will not run
   * after all: the approval becomes `withdrawn`, final, nobody can approve it any more,
   * and the amount it held against the spending limits is given back. Withdrawing an
   * approval already withdrawn answers it again; a decided one throws `APPROVAL_PENDING`
   * naming its status, an expired one `APPROVAL_EXPIRED`, another user's `NOT_FOUND`.
   * {@link HandshakeClient.call} does this itself when its `signal` aborts during the wait.
   *
   * @example
   * ```ts
   * import type { HandshakeClient } from '@handshake/client';
   * declare const client: HandshakeClient;
   *
   * const answer = await client.authorize('create_refund', { capture_id: 'CAP-1' });
   * if (answer.status === 'pending') {
   *   // The user changed their mind before anyone decided.
   *   const view = await client.withdraw(answer.approvalId);
   *   console.log(view.status); // 'withdrawn'
   * }
   * ```
   */
  withdraw(approvalId: string, options?: RequestOptions): Promise<ApprovalView>;

  /**
   * The tools the service offers, with their effective tiers.
   *
   * @example
   * ```ts
   * import type { HandshakeClient } from '@handshake/client';
   * declare const client: HandshakeClient;
   *
   * for (const tool of await client.tools()) console.log(tool.name, tool.tier);
   * ```
   */
  tools(options?: RequestOptions): Promise<ToolListing[]>;

  /**
   * The spend API: spending limits, purchase validation (waiting for the user over
   * Server-Sent Events when a purchase is over a limit) and single-use virtual cards.
   *
   * @example
   * ```ts
   * import type { HandshakeClient } from '@handshake/client';
   * declare const client: HandshakeClient;
   *
   * const validation = await client.spend.validateTransaction({ merchant: 'Example Books', amount: '30.00', currency: 'USD' });
   * const card = await client.spend.createVirtualCard(validation);
   * await client.spend.mockCheckout({ card });
   * ```
   */
  readonly spend: SpendClient;
}

/**
 * Creates a {@link HandshakeClient} on `ky`.
 *
 * @example
 * ```ts
 * import { createHandshakeClient } from '@handshake/client';
 * declare function accessToken(): Promise<string>;
 *
 * const client = createHandshakeClient({
 *   baseUrl: 'https://handshake.example.com',
 *   session: () => accessToken(),
 *   signer: { keyId: 'laptop', privateKey: 'base64url-seed-of-32-bytes' },
 *   timeout: 10_000,
 *   retry: { limit: 2, executeLimit: 8 },
 * });
 * const rate = await client.call('get_exchange_rate', { from: 'EUR', to: 'USD' });
 * ```
 */
export function createHandshakeClient(options: HandshakeClientOptions): HandshakeClient {
  return new Client(options);
}

function emitter(onStatus: ((status: CallStatus) => void) | undefined) {
  return (status: CallStatus) => {
    try {
      onStatus?.(status);
    } catch {
      // An observer must not break the call.
    }
  };
}

/** Checks caller input before anything is sent; answers the parameters' canonical hash. */
function checkCall(tool: string, parameters: unknown): string {
  if (!ToolNameSchema.safeParse(tool).success) {
    throw new HandshakeError(
      'VALIDATION_ERROR',
      'tool must be a tool name (letters, digits, _ . : -)',
      {
        path: 'tool',
      },
    );
  }
  if (!ParametersSchema.safeParse(parameters).success) {
    throw new HandshakeError('VALIDATION_ERROR', 'parameters must be a plain JSON object', {
      path: 'parameters',
    });
  }
  try {
    return hashParams(parameters);
  } catch (error) {
    if (HandshakeError.isInstance(error) && error.code === 'VALIDATION_ERROR') {
      const path = (error.path ?? '$').replace(/^\$/, 'parameters');
      throw new HandshakeError('VALIDATION_ERROR', `parameters are not JSON at ${path}`, {
        path,
        cause: error,
      });
    }
    throw error;
  }
}

class Client implements HandshakeClient {
  readonly baseUrl: string;
  readonly spend: SpendClient;
  readonly #base: URL;
  readonly #transport: Transport;
  readonly #signer: ReturnType<typeof resolveSigner>;
  readonly #options: HandshakeClientOptions;
  readonly #fetch: FetchLike;

  constructor(options: HandshakeClientOptions) {
    this.#options = options;
    this.#base = normalizeBaseUrl(options.baseUrl);
    this.baseUrl = this.#base.href;
    this.#signer = resolveSigner(options.signer);
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const timeout = options.timeout ?? 10_000;
    if (timeout !== false && (!Number.isFinite(timeout) || timeout <= 0)) {
      throw new TypeError('timeout must be a positive number or false');
    }
    this.#transport = new Transport({
      baseUrl: this.#base,
      fetch: this.#fetch,
      timeout,
      retry: resolveRetry(options.retry),
      hooks: options.hooks,
      session: options.session,
      traceContext: options.traceContext,
    });
    this.spend = new SpendApi({
      transport: this.#transport,
      basePath: spendBasePath(options.spendBasePath),
      signer: this.#signer,
      waiter: options.waiter,
      requestTimeoutMs: timeout,
    });
  }

  async call<Result = unknown>(
    tool: string,
    parameters: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<Result> {
    const emit = emitter(options.onStatus);
    const { signal } = options;
    const paramsHash = checkCall(tool, parameters);
    emit({ status: 'authorizing', tool });
    const authorizeLabel: RequestLabel = {
      operation: 'Authorize',
      method: 'POST',
      url: this.#transport.url('authorize'),
    };
    const answer = await this.#authorizeForCall(tool, parameters, options, authorizeLabel);
    // The client executes exactly what it authorized: a service (or a proxy) that bound
    // the token to other parameters is refused before anything runs.
    if (answer.paramsHash !== paramsHash) {
      throw mismatch(
        authorizeLabel,
        200,
        'paramsHash',
        'the answer binds different parameters than were sent',
      );
    }
    const { transactionId } = answer;
    let ephemeralToken: string;
    if (answer.status === 'pending') {
      const { approvalId } = answer;
      emit({
        status: 'pending',
        tool,
        transactionId,
        approvalId,
        expiresAt: answer.expiresAt,
        tier: answer.tier,
      });
      let view: ApprovalView;
      try {
        view = await this.waitForApproval(approvalId, {
          ...this.#options.waiter,
          ...options.waiter,
          ...(signal ? { signal } : {}),
          ...(options.approvalTimeoutMs !== undefined
            ? { timeoutMs: options.approvalTimeoutMs }
            : {}),
          onEvent: emit,
        });
      } catch (error) {
        if (signal?.aborted && (await this.#withdrawQuietly(approvalId))) {
          emit({ status: 'withdrawn', tool, transactionId, approvalId });
        }
        if (HandshakeError.isInstance(error) && error.code === 'APPROVAL_DENIED') {
          emit({ status: 'denied', tool, transactionId, approvalId });
        } else if (HandshakeError.isInstance(error) && error.code === 'APPROVAL_EXPIRED') {
          emit({ status: 'expired', tool, transactionId, approvalId });
        }
        throw error;
      }
      const label: RequestLabel = {
        operation: `Waiting for approval ${approvalId}`,
        method: 'GET',
        url: approvalUrl(this.#base, approvalId),
      };
      if (
        view.transactionId !== transactionId ||
        view.tool !== tool ||
        view.paramsHash !== paramsHash
      ) {
        throw mismatch(
          label,
          200,
          'transactionId',
          'the approval is not for the call that was authorized',
        );
      }
      emit({ status: 'approved', tool, transactionId, approvalId });
      ephemeralToken = view.ephemeralToken ?? (await this.#tokenOf(view, label, signal));
    } else {
      emit({ status: 'authorized', tool, transactionId, tier: answer.tier });
      ephemeralToken = answer.ephemeralToken;
    }
    emit({ status: 'executing', tool, transactionId });
    const done = await this.execute(
      { tool, parameters, ephemeralToken, transactionId, tier: answer.tier },
      signal ? { signal } : {},
    );
    emit({ status: 'completed', tool, transactionId, replayed: done.replayed === true });
    return done.result as Result;
  }

  /**
   * Authorize for `call()`. An abort ends the wait for the answer, not the request: the
   * service may already be asking a person, so an answer that still arrives is read and
   * the approval it names withdrawn (best effort), as after an abort during the wait.
   */
  #authorizeForCall(
    tool: string,
    parameters: Record<string, unknown>,
    options: CallOptions,
    label: RequestLabel,
  ): Promise<AuthorizeResponse> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortedError(label, signal.reason));
    const authorizing = this.authorize(
      tool,
      parameters,
      options.metadata ? { metadata: options.metadata } : {},
    );
    if (!signal) return authorizing;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        reject(abortedError(label, signal.reason));
        authorizing.then(
          (answer) => {
            if (answer.status === 'pending') void this.#withdrawQuietly(answer.approvalId);
          },
          () => {},
        );
      };
      signal.addEventListener('abort', onAbort, { once: true });
      authorizing.then(
        (answer) => {
          signal.removeEventListener('abort', onAbort);
          resolve(answer);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  /**
   * The wait of `call()` was aborted: withdraw its approval, so nobody approves a call
   * that will not run. Best effort, without the aborted signal; true once withdrawn. It
   * never throws: the caller gets the abort, not a failure of this clean-up.
   */
  async #withdrawQuietly(approvalId: string): Promise<boolean> {
    try {
      return (await this.withdraw(approvalId)).status === 'withdrawn';
    } catch {
      return false;
    }
  }

  /**
   * An approved view without a token: read once more (reading issues one to the
   * session that asked). Still none means it was spent or it lapsed.
   */
  async #tokenOf(
    view: ApprovalView,
    label: RequestLabel,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const again = await this.approvalStatus(view.approvalId, signal ? { signal } : {});
    if (again.ephemeralToken) return again.ephemeralToken;
    if (again.executed) {
      throw new HandshakeError(
        'TOKEN_ALREADY_USED',
        `${label.operation}: approved, and its call was already executed: ${where(label)}`,
      );
    }
    const now = (this.#options.waiter?.clock ?? Date).now();
    const lapsed = again.tokenExpiresAt !== undefined && Date.parse(again.tokenExpiresAt) <= now;
    if (lapsed) {
      throw new HandshakeError(
        'TOKEN_EXPIRED',
        `${label.operation}: approved, but the token lapsed before it was used: ${where(label)}`,
      );
    }
    throw new HandshakeError(
      'TOKEN_ALREADY_USED',
      `${label.operation}: approved, but no token was issued to this session (already executed, or asked from another session): ${where(label)}`,
    );
  }

  authorize(
    tool: string,
    parameters: Record<string, unknown>,
    options: AuthorizeOptions = {},
  ): Promise<AuthorizeResponse> {
    try {
      checkCall(tool, parameters);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#transport.send({
      operation: 'Authorize',
      method: 'POST',
      path: 'authorize',
      json: { tool, parameters, ...(options.metadata ? { metadata: options.metadata } : {}) },
      policy: 'authorize',
      signal: options.signal,
      parse: (body, context) => parseAnswer(AuthorizeResponseSchema, body, context),
    });
  }

  async execute(input: ExecuteInput, options: RequestOptions = {}): Promise<ExecuteResponse> {
    const { tool, parameters, ephemeralToken, transactionId, tier } = input;
    checkCall(tool, parameters);
    if (typeof ephemeralToken !== 'string' || ephemeralToken === '') {
      throw new HandshakeError('VALIDATION_ERROR', 'ephemeralToken is required', {
        path: 'ephemeralToken',
      });
    }
    if (typeof transactionId !== 'string' || transactionId === '') {
      throw new HandshakeError('VALIDATION_ERROR', 'transactionId is required', {
        path: 'transactionId',
      });
    }
    const signature =
      this.#signer && tier !== 'PUBLIC'
        ? this.#signer.sign({ tool, parameters, transactionId })
        : undefined;
    return this.#transport.send({
      operation: 'Execute',
      method: 'POST',
      path: 'execute',
      // Serialized once: ky re-sends these exact bytes on every retry.
      json: {
        ephemeralToken,
        tool,
        parameters,
        transactionId,
        ...(signature ? { signature } : {}),
      },
      policy: 'execute',
      signal: options.signal,
      secrets: [ephemeralToken],
      parse: answerAbout(ExecuteResponseSchema, {
        differs: (done) => done.transactionId !== transactionId,
        path: 'transactionId',
        message: 'the answer is for another transaction',
      }),
    });
  }

  async waitForApproval(
    approvalId: string,
    options: WaitForApprovalOptions = {},
  ): Promise<ApprovalView> {
    if (typeof approvalId !== 'string' || approvalId === '') {
      throw new HandshakeError('VALIDATION_ERROR', 'approvalId is required', {
        path: 'approvalId',
      });
    }
    const view = await waitForDecision(this.#transport, {
      ...this.#options.waiter,
      ...options,
      approvalId,
      requestTimeoutMs: this.#options.timeout ?? 10_000,
    });
    const label: RequestLabel = {
      operation: `Approval ${approvalId} for ${view.tool}`,
      method: 'GET',
      url: approvalUrl(this.#base, approvalId),
    };
    if (view.status === 'denied') {
      const reason = view.reason ? ` (reason: ${JSON.stringify(redact(view.reason))})` : '';
      throw new HandshakeError(
        'APPROVAL_DENIED',
        `${label.operation} was denied${reason}: ${where(label)}`,
      );
    }
    if (view.status === 'expired') {
      throw new HandshakeError(
        'APPROVAL_EXPIRED',
        `${label.operation} expired without a decision (deadline ${view.expiresAt}): ${where(label)}`,
      );
    }
    if (view.status === 'withdrawn') {
      throw new HandshakeError(
        'ABORTED',
        `${label.operation} was withdrawn by its requester before a decision: ${where(label)}`,
      );
    }
    return view;
  }

  withdraw(approvalId: string, options: RequestOptions = {}): Promise<ApprovalView> {
    return this.#approvalRequest(approvalId, options, {
      operation: `Withdraw approval ${approvalId}`,
      method: 'POST',
      path: `approvals/${encodeURIComponent(approvalId)}/withdraw`,
      // Withdrawing twice answers the same: a retry after a lost answer is safe.
      policy: 'authorize',
    });
  }

  approvalStatus(approvalId: string, options: RequestOptions = {}): Promise<ApprovalView> {
    return this.#approvalRequest(approvalId, options, {
      operation: 'Approval status',
      method: 'GET',
      path: `approvals/${encodeURIComponent(approvalId)}`,
      policy: 'read',
    });
  }

  /** Sends a request about one approval and checks the answer is about that one. */
  #approvalRequest(
    approvalId: string,
    options: RequestOptions,
    request: {
      operation: string;
      method: 'GET' | 'POST';
      path: string;
      policy: 'read' | 'authorize';
    },
  ): Promise<ApprovalView> {
    if (typeof approvalId !== 'string' || approvalId === '') {
      return Promise.reject(
        new HandshakeError('VALIDATION_ERROR', 'approvalId is required', { path: 'approvalId' }),
      );
    }
    return this.#transport.send({
      ...request,
      signal: options.signal,
      parse: answerAbout(ApprovalViewSchema, {
        differs: (view) => view.approvalId !== approvalId,
        path: 'approvalId',
        message: 'the answer is about another approval',
      }),
    });
  }

  tools(options: RequestOptions = {}): Promise<ToolListing[]> {
    return this.#transport.send({
      operation: 'Tool listing',
      method: 'GET',
      path: 'tools',
      policy: 'read',
      signal: options.signal,
      parse: (body, context) => {
        const tools = (body as { tools?: unknown } | null)?.tools;
        const parsed = ToolListingSchema.array().safeParse(tools);
        if (parsed.success) return parsed.data;
        return parseAnswer(
          {
            safeParse: () => ({
              success: false as const,
              error: {
                issues: parsed.error.issues.map((issue) => ({
                  path: ['tools', ...issue.path],
                  message: issue.message,
                })),
              },
            }),
          },
          body,
          context,
        );
      },
    });
  }
}
