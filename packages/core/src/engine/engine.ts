import type { ApprovalRequest, ApprovalVerdict } from '../approvals/approver.js';
import type { AuditEvent } from '../audit/audit-event.js';
import { hashParams } from '../canonical/hash.js';
import { HandshakeError } from '../errors/handshake-error.js';
import { convertMinor } from '../limits/convert.js';
import { rateForCallerAmount } from '../limits/exchange-rates.js';
import type { SpendingLimits } from '../limits/spending-limits.js';
import { spendWindows } from '../limits/windows.js';
import { formatMoney, parseMoney } from '../money/money.js';
import { redactSensitive } from '../policy/redact.js';
import { checkRules, validateStrict } from '../policy/validate.js';
import type {
  ApprovalSummary,
  ApprovalView,
  AuthorizeRequest,
  AuthorizeResponse,
  DecisionChannel,
  ExecuteRequest,
  ExecuteResponse,
  ToolListing,
} from '../schemas/wire.js';
import type { SessionIdentity } from '../sessions/session-verifier.js';
import { verifyExecuteSignature } from '../signing/signature.js';
import { amountBinding, moneyBinding } from '../store/amount-binding.js';
import type {
  ApprovalReason,
  ApprovalRecord,
  Tombstone,
  TransactionRecord,
} from '../store/records.js';
import type {
  ConsumeMismatchField,
  SpendRequest,
  SpendWindow,
  StoreV1,
} from '../store/store-v1.js';
import { generateToken, generateTokens, tokenDigest } from '../tokens/token.js';
import type { ToolDefinition } from '../tools/tool-provider.js';
import { type Clock, type Money, type Tier, tierRank } from '../types/common.js';
import type {
  CardAuthorizationDecision,
  CardCapture,
  CardCaptureOutcome,
} from './card-activity.js';
import { completeOrReport, createEngineContext, type EngineContext, storeCall } from './context.js';
import {
  ANONYMOUS,
  type ApproverIdentity,
  identify,
  identifyApprover,
  resolveCall,
} from './identity.js';
import {
  approvalIdOf,
  clientBucket,
  partitionOf,
  partitionOfApproval,
  reservationIdOf,
} from './keys.js';
import type { CallerContext, HandshakeOptions } from './options.js';
import { auditUnavailable, codeOf, refuse, refuseWhileAuditFails, sourceOf } from './refusals.js';
import type { RegisteredTool } from './registry.js';
import { iso, toSummary, toView } from './views.js';
import { changesState } from './write-ahead.js';

/**
 * Remaining balances, as `GET /api/mcp/limits` reports them.
 *
 * @example
 * ```ts
 * import type { HandshakeEngine, LimitsView } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const view: LimitsView | undefined = await engine.limits('session-token-of-alice');
 * for (const window of view?.windows ?? []) {
 *   console.log(`${window.window}: ${window.remaining} ${view?.currency} left until ${window.resetsAt}`);
 * }
 * ```
 */
export interface LimitsView {
  currency: string;
  timeZone: string;
  windows: Array<{
    window: 'daily' | 'weekly' | 'monthly';
    limit: string;
    used: string;
    remaining: string;
    resetsAt: string;
  }>;
  transaction?: string;
  enabled: Record<'daily' | 'weekly' | 'monthly' | 'transaction', boolean>;
}

/** The amount of a call, resolved against the limits' currency. */
interface ResolvedAmount {
  original: Money;
  /** Minor units in the limits' currency (or the original currency without limits). */
  minor: bigint;
  currency: string;
  rate?: string;
}

/**
 * The handshake engine: `authorize` binds one exact call to a single-use token,
 * `execute` consumes it once and runs the tool. Tiers are cumulative; spending limits
 * are reserved at authorize and settled at execute; every step is audited.
 *
 * Most users reach it through `createHandshakeHandler` (HTTP); in-process callers use
 * these methods directly, passing the caller's bearer credential.
 *
 * @example
 * ```ts
 * import { createHandshake, staticSessionVerifier } from '@handshake/core';
 *
 * const engine = createHandshake({
 *   tools: {
 *     specificationVersion: 'v1',
 *     listTools: () => [{ name: 'get_rate', description: 'Read an exchange rate', tier: 'PUBLIC' }],
 *     execute: () => ({ rate: '1.08' }),
 *   },
 *   sessions: staticSessionVerifier({ 'session-alice': 'alice' }),
 * });
 * const authorized = await engine.authorize({ tool: 'get_rate', parameters: { pair: 'EURUSD' } });
 * if (authorized.status === 'authorized') {
 *   const done = await engine.execute({
 *     tool: 'get_rate',
 *     parameters: { pair: 'EURUSD' },
 *     ephemeralToken: authorized.ephemeralToken,
 *   });
 *   console.log(done.result); // { rate: '1.08' }
 * }
 * ```
 */
export class HandshakeEngine {
  readonly #ctx: EngineContext;

  constructor(options: HandshakeOptions) {
    this.#ctx = createEngineContext(options);
  }

  /** The store, with outcomes that hold secrets sealed before it sees them. */
  get store(): StoreV1 {
    return this.#ctx.store;
  }

  get clock(): Clock {
    return this.#ctx.clock;
  }

  /** Loads the tools of every provider and checks the policy against them. */
  ready(): Promise<Map<string, RegisteredTool>> {
    return this.#ctx.registry.tools();
  }

  /** The tools this engine serves, with their effective tiers. */
  listTools(): Promise<ToolListing[]> {
    return this.#ctx.registry.listings();
  }

  /** Resolves a bearer credential; throws `UNAUTHORIZED` when it is missing or invalid. */
  identify(credential: string | undefined): Promise<SessionIdentity> {
    return identify(this.#ctx, credential);
  }

  /** Resolves an approver credential (configured approver token or a session with the approve scope). */
  identifyApprover(credential: string | undefined): Promise<ApproverIdentity> {
    return identifyApprover(this.#ctx, credential);
  }

  /**
   * Phase one: binds `tool` and the canonical hash of `parameters` to a single-use
   * token, after the tier's checks. Answers `pending` when someone must approve first.
   *
   * @example
   * ```ts
   * import { createHandshake, MemoryStore } from '@handshake/core';
   * declare const engine: ReturnType<typeof createHandshake>;
   *
   * const answer = await engine.authorize({ tool: 'get_order', parameters: { id: 'O-1' } }, 'dev-token');
   * if (answer.status === 'authorized') console.log(answer.transactionId);
   * ```
   */
  async authorize(
    request: AuthorizeRequest,
    credential?: string,
    caller: CallerContext = {},
  ): Promise<AuthorizeResponse> {
    const { registered, identity } = await resolveCall(this.#ctx, request.tool, credential, caller);
    const { definition, tier } = registered;
    const now = this.clock.now();
    const base = { userId: identity.userId, tool: request.tool, tier };
    refuseWhileAuditFails(this.#ctx, base, 'authorize');
    let paramsHash: string;
    try {
      paramsHash = hashParams(request.parameters);
      if (tierRank(tier) >= tierRank('CONFIDENTIAL')) {
        if (definition.inputSchema) {
          await validateStrict(request.tool, definition.inputSchema, request.parameters);
        }
        if (definition.rules) checkRules(request.tool, definition.rules, request.parameters);
      }
    } catch (error) {
      void refuse(this.#ctx, base, codeOf(error), 'authorize');
      throw error;
    }
    const amount = await this.#resolveAmount(definition, request.parameters, base);
    const limits = await this.#limitsFor(identity.userId);
    const partition = partitionOf(identity.userId);
    const [transactionId, approvalToken, token] = generateTokens(
      ['transaction', 'approval', 'ephemeral'],
      this.#ctx.random,
    ) as [string, string, string];
    const approvalId = approvalIdOf(partition, approvalToken);
    const reservationId = reservationIdOf(transactionId);
    const requiresApproval = tier === 'RESTRICTED';
    const approvalDeadline = now + this.#ctx.timings.approvalTtlMs;
    const tokenExpiresAt = now + this.#ctx.timings.tokenTtlMs;

    let spend: SpendRequest | undefined;
    if (amount && limits) {
      spend = {
        reservationId,
        amountMinor: amount.minor,
        windows: this.#windows(limits, now),
        ...(limitEnabled(limits, 'transaction')
          ? {
              perTransactionMinor: parseMoney(limits.transaction!, limits.currency, {
                allowZero: true,
              }),
            }
          : {}),
        // Held until the token (or the decision) lapses, plus the time a tool may run.
        holdUntil:
          (requiresApproval ? approvalDeadline : tokenExpiresAt) +
          this.#ctx.timings.executionTimeoutMs,
      };
    }
    const amountFields = amount
      ? {
          amountMinor: amount.minor.toString(),
          currency: amount.currency,
          // The original amount and the rate are kept only when a conversion happened.
          ...(amount.rate ? { originalAmount: amount.original, exchangeRate: amount.rate } : {}),
        }
      : {};
    const record: TransactionRecord = {
      transactionId,
      userId: identity.userId,
      sessionId: identity.sessionId,
      tool: request.tool,
      tier,
      paramsHash,
      expiresAt: tokenExpiresAt,
      createdAt: now,
      ...(spend ? { reservationId } : {}),
      ...amountFields,
    };
    // The approval record is stored only when someone must decide: the tier asks for it
    // or, with a spend to count, a limit is exceeded. Otherwise no store keeps it, so the
    // redacted copy of the parameters (a walk of the whole body) and the payee are skipped.
    const mayNeedApproval = requiresApproval || spend !== undefined;
    const payee = mayNeedApproval ? await definition.payee?.(request.parameters) : undefined;
    const approval: ApprovalRecord = {
      approvalId,
      transactionId,
      userId: identity.userId,
      sessionId: identity.sessionId,
      tool: request.tool,
      tier,
      paramsHash,
      parameters: mayNeedApproval ? redactSensitive(request.parameters) : {},
      status: 'pending',
      reasons: [],
      createdAt: now,
      expiresAt: approvalDeadline,
      version: 1,
      ...(spend ? { reservationId } : {}),
      ...(amount
        ? {
            amount: {
              value: formatMoney(amount.minor, amount.currency),
              currency: amount.currency,
            },
          }
        : {}),
      ...amountFields,
      ...(payee ? { payee } : {}),
    };
    const configured =
      this.#ctx.options.rateLimit === false
        ? undefined
        : (this.#ctx.options.rateLimit ?? { limit: 120, windowMs: 60_000 });
    // Callers without a session share a partition; each client address counts apart.
    const rateLimit =
      configured && identity === ANONYMOUS && caller.clientAddress
        ? { ...configured, bucket: clientBucket(caller.clientAddress) }
        : configured;
    const outcome = await storeCall(
      () =>
        this.store.authorize({
          partition,
          userId: identity.userId,
          now,
          ...(rateLimit ? { rateLimit } : {}),
          ...(spend ? { spend } : {}),
          requiresApproval,
          token: { digest: tokenDigest(token), record },
          approval: {
            ...approval,
            reasons: requiresApproval ? [{ kind: 'tier' }] : [],
          },
          retainMs: this.#ctx.timings.retainMs,
        }),
      () =>
        refuse(this.#ctx, { ...base, paramsHash, transactionId }, 'STORE_UNAVAILABLE', 'authorize'),
    );
    const auditAmount = amount
      ? { amount: { value: formatMoney(amount.minor, amount.currency), currency: amount.currency } }
      : {};
    if (outcome.status === 'rate_limited') {
      void refuse(
        this.#ctx,
        { ...base, paramsHash, ...sourceOf(caller) },
        'RATE_LIMITED',
        'authorize',
      );
      const seconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
      throw new HandshakeError('RATE_LIMITED', `Too many authorizations; retry in ${seconds} s`, {
        retryAfterSeconds: seconds,
      });
    }
    if (outcome.status === 'authorized') {
      await this.#ctx.audit.record({
        type: 'authorize',
        outcome: 'authorized',
        transactionId,
        ...base,
        paramsHash,
        ...auditAmount,
      });
      return {
        status: 'authorized',
        transactionId,
        ephemeralToken: token,
        expiresAt: iso(tokenExpiresAt),
        tier,
        paramsHash,
      };
    }
    const reasons: ApprovalReason[] = [
      ...(requiresApproval ? [{ kind: 'tier' as const }] : []),
      ...outcome.exceeded.map((window) => ({ kind: 'limit' as const, window })),
    ];
    await this.#ctx.audit.record({
      type: 'approval.requested',
      outcome: 'pending',
      transactionId,
      approvalId,
      ...base,
      paramsHash,
      ...auditAmount,
      detail: reasons.map((r) => (r.kind === 'tier' ? 'tier' : `limit:${r.window}`)).join(','),
    });
    const pendingAnswer: AuthorizeResponse = {
      status: 'pending',
      transactionId,
      approvalId,
      expiresAt: iso(approvalDeadline),
      tier,
      paramsHash,
      reasons,
    };
    if (this.#ctx.approver.kind === 'human' || !this.#ctx.approver.review) return pendingAnswer;

    // A confirmation agent or rules decide now; a person only if they escalate.
    const verdict = await this.#review(
      {
        approvalId,
        transactionId,
        userId: identity.userId,
        tool: request.tool,
        tier,
        parameters: approval.parameters,
        paramsHash,
        ...(approval.amount ? { amount: approval.amount } : {}),
        ...(payee ? { payee } : {}),
        reasons,
      },
      outcome.exceeded.length > 0,
    );
    if (verdict.decision === 'escalate') return pendingAnswer;
    const stored: ApprovalRecord = { ...approval, reasons };
    if (!outcome.reserved) delete stored.reservationId;
    const decided = await this.#decide(
      partition,
      stored,
      verdict.decision,
      { name: this.#ctx.approver.name },
      verdict.reason,
    );
    if (decided.status !== 'approved') {
      throw new HandshakeError(
        'APPROVAL_DENIED',
        `${this.#ctx.approver.name} denied ${request.tool}`,
      );
    }
    const issued = await this.#issue(decided, identity);
    return {
      status: 'authorized',
      transactionId,
      ephemeralToken: issued,
      expiresAt: iso(decided.tokenExpiresAt ?? now),
      tier,
      paramsHash,
      approvalId,
    };
  }

  async #review(request: ApprovalRequest, overLimit: boolean): Promise<ApprovalVerdict> {
    let verdict: ApprovalVerdict;
    try {
      verdict = (await this.#ctx.approver.review?.(request)) ?? { decision: 'escalate' };
    } catch {
      // An approver that fails leaves the decision to a person.
      return { decision: 'escalate', reason: 'the approver failed' };
    }
    if (verdict.decision !== 'approve') return verdict;
    if (overLimit) return { decision: 'escalate', reason: 'over a spending limit' };
    const max = this.#ctx.approver.maxAutoApprove;
    if (max && request.amount) {
      if (
        request.amount.currency !== max.currency ||
        parseMoney(request.amount.value, request.amount.currency, { allowZero: true }) >
          parseMoney(max.value, max.currency, { allowZero: true })
      ) {
        return { decision: 'escalate', reason: 'above what the approver may approve alone' };
      }
    }
    return verdict;
  }

  /**
   * Phase two: consumes the token once and runs the tool. An identical retry by the
   * same session gets the stored outcome with `replayed: true`; the tool never runs
   * twice.
   *
   * @example
   * ```ts
   * import type { HandshakeEngine } from '@handshake/core';
   * declare const engine: HandshakeEngine;
   * declare const token: string;
   *
   * const done = await engine.execute(
   *   { ephemeralToken: token, tool: 'get_order', parameters: { id: 'O-1' } },
   *   'dev-token',
   * );
   * console.log(done.result, done.replayed === true);
   * ```
   */
  async execute(
    request: ExecuteRequest,
    credential?: string,
    caller: CallerContext = {},
  ): Promise<ExecuteResponse> {
    const { registered, identity } = await resolveCall(this.#ctx, request.tool, credential, caller);
    const { tier } = registered;
    // The transaction named by the request goes into every event of this execute, so a
    // written-ahead `started` event is followed by its outcome or refusal under one id.
    const base = {
      userId: identity.userId,
      tool: request.tool,
      tier,
      ...(request.transactionId ? { transactionId: request.transactionId } : {}),
    };
    if (!request.ephemeralToken) {
      throw new HandshakeError('TOKEN_INVALID', 'An ephemeral token is required');
    }
    let paramsHash: string;
    try {
      paramsHash = hashParams(request.parameters);
    } catch (error) {
      void refuse(this.#ctx, base, codeOf(error), 'execute');
      throw error;
    }
    if (tierRank(tier) >= tierRank('INTERNAL')) {
      await this.#checkSignature(request, identity, paramsHash, base);
    }
    // An amount read from outside the parameters (an order at the provider) is read again
    // and bound into the consume: a changed amount leaves the token unused.
    const { definition } = registered;
    const amountNow =
      definition.recheckAmount && definition.amount
        ? moneyBinding(await this.#declaredAmount(definition, request.parameters, base))
        : undefined;
    // A call that changes state is written ahead, failing closed unless its tier is told
    // to buffer: a crash after the provider ran then leaves its `started` event behind.
    const writeAhead = changesState(tier, registered.definition)
      ? this.#ctx.auditFailure[tier] !== 'buffer'
      : this.#ctx.auditFailure[tier] === 'closed';
    if (writeAhead) {
      // Before the token is touched: a refusal here leaves it usable for a retry.
      try {
        await this.#ctx.audit.record(
          {
            type: 'execute',
            outcome: 'started',
            ...base,
            paramsHash,
          },
          { required: true },
        );
      } catch {
        void refuse(this.#ctx, { ...base, paramsHash }, 'AUDIT_UNAVAILABLE', 'execute');
        throw auditUnavailable(tier);
      }
    }
    const partition = partitionOf(identity.userId);
    const digest = tokenDigest(request.ephemeralToken);
    const now = this.clock.now();
    const consumed = await storeCall(
      () =>
        this.store.consume({
          partition,
          digest,
          now,
          expect: {
            userId: identity.userId,
            tool: request.tool,
            paramsHash,
            ...(request.transactionId !== undefined
              ? { transactionId: request.transactionId }
              : {}),
            ...(amountNow !== undefined ? { amount: amountNow } : {}),
          },
          sessionId: identity.sessionId,
          retainMs: this.#ctx.timings.retainMs,
          // Counted as long as the tombstone lives: a dead process's call stays counted
          // until a retry resolves it.
          holdUntil: now + this.#ctx.timings.retainMs,
        }),
      () => refuse(this.#ctx, { ...base, paramsHash }, 'STORE_UNAVAILABLE', 'execute'),
    );
    switch (consumed.status) {
      case 'unknown':
        void refuse(this.#ctx, { ...base, paramsHash }, 'TOKEN_INVALID', 'execute');
        throw new HandshakeError(
          'TOKEN_INVALID',
          'Execute refused: the ephemeral token is not valid',
        );
      case 'expired':
        void refuse(this.#ctx, { ...base, paramsHash }, 'TOKEN_EXPIRED', 'execute');
        throw new HandshakeError(
          'TOKEN_EXPIRED',
          'Execute refused: the ephemeral token has expired',
        );
      case 'mismatch':
        void refuse(
          this.#ctx,
          { ...base, paramsHash },
          'TRANSACTION_MISMATCH',
          `execute: ${consumed.field}`,
        );
        throw new HandshakeError(
          'TRANSACTION_MISMATCH',
          `Execute refused: the ${describeField(consumed.field)} differs from what was authorized`,
        );
      case 'used': {
        const t = consumed.tombstone;
        const identical =
          t.sessionId === identity.sessionId &&
          t.userId === identity.userId &&
          t.tool === request.tool &&
          t.paramsHash === paramsHash;
        // A spent approval whose result is no longer kept: it ran once, never again.
        const spent = t.state === 'completed' && !t.outcome;
        if (!identical || spent) {
          void refuse(
            this.#ctx,
            { ...base, paramsHash, transactionId: t.transactionId },
            'TOKEN_ALREADY_USED',
            'execute',
          );
          throw new HandshakeError(
            'TOKEN_ALREADY_USED',
            spent
              ? 'Execute refused: the approved call was already executed'
              : 'Execute refused: the ephemeral token was already used',
          );
        }
        if (
          t.state === 'executing' &&
          now - t.consumedAt > this.#ctx.timings.executionTimeoutMs + 1_000
        ) {
          // Older than any execute may run: the process running it died before recording
          // an outcome. Resolve it once, as a timeout would have: the outcome is unknown,
          // the amount stays counted, the audit says so, and retries hear it.
          return this.#resolveAbandoned(t, partition, digest, base, paramsHash);
        }
        if (t.state === 'executing' || !t.outcome) {
          throw new HandshakeError(
            'EXECUTION_IN_PROGRESS',
            'This call is still running; retry the identical request to receive its result',
            { retryAfterSeconds: 1 },
          );
        }
        await this.#ctx.audit.record({
          type: 'execute',
          outcome: 'replayed',
          transactionId: t.transactionId,
          ...base,
          paramsHash,
        });
        if (t.outcome.status === 'failed') {
          throw new HandshakeError(t.outcome.code, t.outcome.message);
        }
        return {
          status: 'completed',
          transactionId: t.transactionId,
          result: t.outcome.result,
          replayed: true,
        };
      }
      case 'ok':
        break;
    }
    const record = consumed.record;
    if (amountNow !== undefined && amountBinding(record) !== amountNow) {
      // The store did not compare the amount and consumed the token: the call still
      // does not run, and its reservation is given back.
      const message = 'Execute refused: the amount differs from what was authorized';
      await completeOrReport(() =>
        this.store.complete({
          partition,
          digest,
          now: this.clock.now(),
          outcome: { status: 'failed', code: 'TRANSACTION_MISMATCH', message },
          retainMs: this.#ctx.timings.retainMs,
          ...(record.reservationId
            ? { spend: { reservationId: record.reservationId, action: 'release' } }
            : {}),
        }),
      );
      void refuse(
        this.#ctx,
        { ...base, paramsHash, transactionId: record.transactionId },
        'TRANSACTION_MISMATCH',
        'execute: amount',
      );
      throw new HandshakeError('TRANSACTION_MISMATCH', message);
    }
    return this.#run(registered, request, record, partition, digest, base, paramsHash);
  }

  async #run(
    registered: RegisteredTool,
    request: ExecuteRequest,
    record: TransactionRecord,
    partition: string,
    digest: string,
    base: { userId: string; tool: string; tier: Tier },
    paramsHash: string,
  ): Promise<ExecuteResponse> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let result: unknown;
    let failure: { timedOut: boolean; error?: unknown } | undefined;
    try {
      result = await Promise.race([
        Promise.resolve().then(() =>
          registered.provider.execute(request.tool, request.parameters, {
            transactionId: record.transactionId,
            userId: record.userId,
            signal: controller.signal,
          }),
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(new ExecutionTimeout());
          }, this.#ctx.timings.executionTimeoutMs);
        }),
      ]);
    } catch (error) {
      failure = { timedOut: error instanceof ExecutionTimeout, error };
    } finally {
      if (timer) clearTimeout(timer);
    }
    const amount =
      record.amountMinor !== undefined && record.currency !== undefined
        ? {
            amount: {
              value: formatMoney(BigInt(record.amountMinor), record.currency),
              currency: record.currency,
            },
          }
        : {};
    if (failure) {
      const message = failure.timedOut
        ? `${request.tool} did not finish in time; its outcome is unknown`
        : providerMessage(request.tool, failure.error);
      // A definite failure gives the reservation back; a timeout keeps it, because the
      // payment may have gone through.
      const stored = await completeOrReport(() =>
        this.store.complete({
          partition,
          digest,
          now: this.clock.now(),
          outcome: { status: 'failed', code: 'PROVIDER_ERROR', message },
          retainMs: this.#ctx.timings.retainMs,
          ...(record.reservationId
            ? {
                spend: {
                  reservationId: record.reservationId,
                  action: failure.timedOut ? 'commit' : 'release',
                },
              }
            : {}),
        }),
      );
      await this.#ctx.audit.record({
        type: 'execute',
        outcome: failure.timedOut ? 'timeout' : 'failed',
        transactionId: record.transactionId,
        ...base,
        paramsHash,
        ...amount,
        detail: `${failure.timedOut ? 'timeout' : 'provider error'}${stored ? '' : NOT_STORED}`,
      });
      throw new HandshakeError('PROVIDER_ERROR', message, { cause: failure.error });
    }
    // The tool ran: its result is answered even if the store cannot record it, so the
    // caller never retries (or authorizes again) a call that went through.
    const stored = await completeOrReport(() =>
      this.store.complete({
        partition,
        digest,
        now: this.clock.now(),
        outcome: { status: 'completed', result: result ?? null },
        retainMs: this.#ctx.timings.retainMs,
        ...(record.reservationId
          ? { spend: { reservationId: record.reservationId, action: 'commit' } }
          : {}),
      }),
    );
    const cardLast4 = lastFour(registered.definition, result);
    await this.#ctx.audit.record({
      type: 'execute',
      outcome: 'completed',
      transactionId: record.transactionId,
      ...base,
      paramsHash,
      ...amount,
      ...(record.approvalId ? { approvalId: record.approvalId } : {}),
      ...(cardLast4 ? { cardLast4 } : {}),
      ...(stored ? {} : { detail: NOT_STORED.slice(2) }),
    });
    return { status: 'completed', transactionId: record.transactionId, result: result ?? null };
  }

  async #resolveAbandoned(
    t: Tombstone,
    partition: string,
    digest: string,
    base: { userId: string; tool: string; tier: Tier },
    paramsHash: string,
  ): Promise<never> {
    const message = `${t.tool} was interrupted before its outcome was recorded; its outcome is unknown: check with the provider before asking again`;
    const stored = await completeOrReport(() =>
      this.store.complete({
        partition,
        digest,
        now: this.clock.now(),
        outcome: { status: 'failed', code: 'PROVIDER_ERROR', message },
        retainMs: this.#ctx.timings.retainMs,
        spend: { reservationId: reservationIdOf(t.transactionId), action: 'commit' },
      }),
    );
    await this.#ctx.audit.record({
      type: 'execute',
      outcome: 'abandoned',
      ...base,
      transactionId: t.transactionId,
      paramsHash,
      detail: `interrupted; outcome unknown${stored ? '' : NOT_STORED}`,
    });
    throw new HandshakeError('PROVIDER_ERROR', message);
  }

  async #checkSignature(
    request: ExecuteRequest,
    identity: SessionIdentity,
    paramsHash: string,
    base: { userId: string; tool: string; tier: Tier },
  ): Promise<void> {
    const fail = (message: string): never => {
      void refuse(this.#ctx, { ...base, paramsHash }, 'SIGNATURE_INVALID', 'execute');
      throw new HandshakeError('SIGNATURE_INVALID', message);
    };
    if (!request.signature)
      return fail(`Execute of ${request.tool} needs a signature (tier ${base.tier})`);
    if (!request.transactionId) return fail('A signed execute must name its transactionId');
    const keys = this.#ctx.options.keys;
    const publicKey = keys
      ? await keys.resolve(identity.userId, request.signature.keyId)
      : undefined;
    if (!publicKey) return fail(`Key ${request.signature.keyId} is not registered for this user`);
    const valid = await verifyExecuteSignature(publicKey, request.signature.value, {
      tool: request.tool,
      paramsHash,
      transactionId: request.transactionId,
    });
    if (!valid) fail('The execute signature does not verify');
  }

  /**
   * The requesting user's view of an approval. To the session that asked, an approved
   * request carries an ephemeral token; each read issues one, and the tokens issued
   * before stay live (up to a bound), so a lost answer never strands an approval and two
   * waiters never revoke each other. Consuming any of them spends the approval: from
   * then on the view says `executed: true` and carries no token.
   */
  async approvalStatus(approvalId: string, credential: string | undefined): Promise<ApprovalView> {
    const identity = await this.identify(credential);
    const partition = partitionOfApproval(approvalId);
    const notFound = () => new HandshakeError('NOT_FOUND', 'No such approval');
    if (partition === undefined || partition !== partitionOf(identity.userId)) throw notFound();
    let record = await storeCall(() => this.store.getApproval(partition, approvalId));
    if (!record || record.userId !== identity.userId) throw notFound();
    record = await this.#expireIfDue(record);
    const view = toView(record);
    if (record.status === 'approved' && record.sessionId === identity.sessionId) {
      try {
        view.ephemeralToken = await this.#issue(record, identity);
      } catch (error) {
        if (!HandshakeError.isInstance(error) || error.code === 'STORE_UNAVAILABLE') throw error;
        // Spent or lapsed: the status stays `approved`, without a token.
      }
    }
    return view;
  }

  async #issue(approval: ApprovalRecord, identity: SessionIdentity): Promise<string> {
    const token = generateToken('ephemeral', this.#ctx.random);
    const now = this.clock.now();
    const partition = partitionOf(approval.userId);
    const record: TransactionRecord = {
      transactionId: approval.transactionId,
      userId: approval.userId,
      sessionId: identity.sessionId,
      tool: approval.tool,
      tier: approval.tier,
      paramsHash: approval.paramsHash,
      expiresAt: approval.tokenExpiresAt ?? now,
      createdAt: now,
      approvalId: approval.approvalId,
      ...(approval.reservationId ? { reservationId: approval.reservationId } : {}),
      ...(approval.amountMinor ? { amountMinor: approval.amountMinor } : {}),
      ...(approval.currency ? { currency: approval.currency } : {}),
      ...(approval.originalAmount ? { originalAmount: approval.originalAmount } : {}),
      ...(approval.exchangeRate ? { exchangeRate: approval.exchangeRate } : {}),
    };
    const outcome = await storeCall(() =>
      this.store.issueApprovalToken({
        partition,
        approvalId: approval.approvalId,
        now,
        token: { digest: tokenDigest(token), record },
        retainMs: this.#ctx.timings.retainMs,
        maxLiveTokens: LIVE_TOKENS_PER_APPROVAL,
      }),
    );
    if (outcome.status === 'issued') {
      void this.#ctx.audit.record({
        type: 'approval.token_issued',
        outcome: 'issued',
        transactionId: approval.transactionId,
        approvalId: approval.approvalId,
        userId: approval.userId,
        tool: approval.tool,
        tier: approval.tier,
        paramsHash: approval.paramsHash,
      });
      return token;
    }
    if (outcome.status === 'used') {
      throw new HandshakeError('TOKEN_ALREADY_USED', 'The approved call was already executed');
    }
    if (outcome.status === 'expired') {
      throw new HandshakeError('TOKEN_EXPIRED', 'The approved call was not executed in time');
    }
    throw new HandshakeError('APPROVAL_PENDING', 'The approval is not granted');
  }

  async #expireIfDue(record: ApprovalRecord): Promise<ApprovalRecord> {
    if (record.status !== 'pending' || this.clock.now() < record.expiresAt) return record;
    const partition = partitionOf(record.userId);
    const outcome = await storeCall(() =>
      this.store.decideApproval({
        partition,
        approvalId: record.approvalId,
        now: this.clock.now(),
        expectedStatus: 'pending',
        status: 'expired',
        reason: 'no decision before the deadline',
        ...(record.reservationId
          ? { spend: { action: 'release' as const, reservationId: record.reservationId } }
          : {}),
      }),
    );
    if (outcome.status === 'unknown') return record;
    if (outcome.status === 'ok') {
      void this.#ctx.audit.record({
        type: 'approval.decided',
        outcome: 'expired',
        transactionId: record.transactionId,
        approvalId: record.approvalId,
        userId: record.userId,
        tool: record.tool,
        tier: record.tier,
        paramsHash: record.paramsHash,
      });
    }
    return outcome.approval;
  }

  /** Approvals for approvers, newest first. */
  async listApprovals(
    filter: { status?: ApprovalRecord['status']; limit?: number },
    credential: string | undefined,
  ): Promise<ApprovalSummary[]> {
    const approver = await this.identifyApprover(credential);
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 200);
    const records = await storeCall(() =>
      this.store.listApprovals({ ...(filter.status ? { status: filter.status } : {}), limit }),
    );
    const out: ApprovalSummary[] = [];
    for (const record of records) {
      const current = await this.#expireIfDue(record);
      if (filter.status && current.status !== filter.status) continue;
      if (approver.ownOnly && current.userId !== approver.userId) continue;
      out.push(toSummary(current));
    }
    return out;
  }

  /** One approval as approvers see it. */
  async approvalSummary(
    approvalId: string,
    credential: string | undefined,
  ): Promise<ApprovalSummary> {
    const approver = await this.identifyApprover(credential);
    const record = await this.#approvalRecord(approvalId);
    if (approver.ownOnly && record.userId !== approver.userId) {
      throw new HandshakeError('NOT_FOUND', 'No such approval');
    }
    return toSummary(await this.#expireIfDue(record));
  }

  async #approvalRecord(approvalId: string): Promise<ApprovalRecord> {
    const partition = partitionOfApproval(approvalId);
    const record =
      partition === undefined
        ? undefined
        : await storeCall(() => this.store.getApproval(partition, approvalId));
    if (!record) throw new HandshakeError('NOT_FOUND', 'No such approval');
    return record;
  }

  /**
   * An approver's decision. Final: a decided or expired approval cannot be decided
   * again, and nobody may approve their own request.
   *
   * @example
   * ```ts
   * import type { HandshakeEngine } from '@handshake/core';
   * declare const engine: HandshakeEngine;
   *
   * await engine.decide('apr_…', { decision: 'approve' }, 'approver-token');
   * ```
   */
  async decide(
    approvalId: string,
    decision: {
      decision: 'approve' | 'deny';
      reason?: string;
      paramsHash?: string;
      channel?: DecisionChannel;
    },
    credential: string | undefined,
  ): Promise<ApprovalSummary> {
    const approver = await this.identifyApprover(credential);
    const record = await this.#expireIfDue(await this.#approvalRecord(approvalId));
    refuseWhileAuditFails(
      this.#ctx,
      { userId: record.userId, tool: record.tool, tier: record.tier },
      'decide',
    );
    const fields = {
      userId: record.userId,
      tool: record.tool,
      tier: record.tier,
      paramsHash: record.paramsHash,
    };
    if (approver.ownOnly && approver.userId !== record.userId) {
      void refuse(this.#ctx, fields, 'FORBIDDEN', 'another user');
      throw new HandshakeError('FORBIDDEN', 'This credential decides only its own user’s requests');
    }
    if (approver.ownOnly && decision.paramsHash === undefined) {
      throw new HandshakeError('VALIDATION_ERROR', 'paramsHash is required with this credential', {
        path: 'paramsHash',
      });
    }
    if (decision.paramsHash !== undefined && decision.paramsHash !== record.paramsHash) {
      void refuse(this.#ctx, fields, 'TRANSACTION_MISMATCH', 'other parameters');
      throw new HandshakeError(
        'TRANSACTION_MISMATCH',
        'The decision names other parameters than the request',
      );
    }
    if (!approver.ownOnly && approver.userId !== undefined && approver.userId === record.userId) {
      void refuse(
        this.#ctx,
        {
          userId: record.userId,
          tool: record.tool,
          tier: record.tier,
          paramsHash: record.paramsHash,
        },
        'FORBIDDEN',
        'self-approval',
      );
      throw new HandshakeError('FORBIDDEN', 'Nobody may decide their own request');
    }
    if (record.status === 'expired') {
      throw new HandshakeError('APPROVAL_EXPIRED', 'The approval expired before a decision');
    }
    if (record.status !== 'pending') {
      throw new HandshakeError('APPROVAL_PENDING', `The approval was already ${record.status}`, {
        status: 409,
      });
    }
    const decided = await this.#decide(
      partitionOf(record.userId),
      record,
      decision.decision,
      approver,
      decision.reason,
      decision.channel,
    );
    return toSummary(decided);
  }

  async #decide(
    partition: string,
    record: ApprovalRecord,
    decision: 'approve' | 'deny',
    approver: ApproverIdentity,
    reason: string | undefined,
    channel?: DecisionChannel,
  ): Promise<ApprovalRecord> {
    const approvalId = record.approvalId;
    const now = this.clock.now();
    const tokenExpiresAt = now + this.#ctx.timings.tokenTtlMs;
    let spend: Parameters<StoreV1['decideApproval']>[0]['spend'];
    if (decision === 'deny') {
      if (record.reservationId) spend = { action: 'release', reservationId: record.reservationId };
    } else if (record.reservationId) {
      spend = {
        action: 'extend',
        reservationId: record.reservationId,
        holdUntil: tokenExpiresAt + this.#ctx.timings.executionTimeoutMs,
      };
    } else if (record.amountMinor !== undefined) {
      const limits = await this.#limitsFor(record.userId);
      if (limits) {
        spend = {
          action: 'force',
          request: {
            reservationId: reservationIdOf(record.transactionId),
            amountMinor: BigInt(record.amountMinor),
            windows: this.#windows(limits, record.createdAt),
            holdUntil: tokenExpiresAt + this.#ctx.timings.executionTimeoutMs,
          },
        };
      }
    }
    const outcome = await storeCall(() =>
      this.store.decideApproval({
        partition,
        approvalId,
        now,
        expectedStatus: 'pending',
        status: decision === 'approve' ? 'approved' : 'denied',
        decidedBy: approver.name,
        ...(reason !== undefined ? { reason } : {}),
        ...(decision === 'approve' ? { tokenExpiresAt } : {}),
        ...(spend ? { spend } : {}),
      }),
    );
    if (outcome.status === 'unknown') throw new HandshakeError('NOT_FOUND', 'No such approval');
    if (outcome.status === 'conflict') {
      throw new HandshakeError(
        'APPROVAL_PENDING',
        `The approval was already ${outcome.approval.status}`,
      );
    }
    const decided = outcome.approval;
    await this.#ctx.audit.record({
      type: 'approval.decided',
      outcome: decided.status,
      transactionId: decided.transactionId,
      approvalId,
      userId: decided.userId,
      tool: decided.tool,
      tier: decided.tier,
      paramsHash: decided.paramsHash,
      decidedBy: approver.name,
      ...(channel ? { channel } : {}),
      ...(decided.amount ? { amount: decided.amount } : {}),
    });
    return decided;
  }

  /** Remaining spend for a user, reservations counted. Undefined when no limit applies. */
  async limits(credential: string | undefined): Promise<LimitsView | undefined> {
    const identity = await this.identify(credential);
    const limits = await this.#limitsFor(identity.userId);
    if (!limits) return undefined;
    const now = this.clock.now();
    const windows = this.#windows(limits, now, true);
    const usage = await storeCall(() =>
      this.store.spendUsage({
        partition: partitionOf(identity.userId),
        userId: identity.userId,
        now,
        windows,
      }),
    );
    const enabled = {
      daily: limitEnabled(limits, 'daily'),
      weekly: limitEnabled(limits, 'weekly'),
      monthly: limitEnabled(limits, 'monthly'),
      transaction: limitEnabled(limits, 'transaction'),
    };
    return {
      currency: limits.currency,
      timeZone: limits.timeZone ?? 'UTC',
      windows: windows.map((w) => {
        const used = usage.used[w.key] ?? 0n;
        const remaining = w.limitMinor - used > 0n ? w.limitMinor - used : 0n;
        return {
          window: w.window,
          limit: formatMoney(w.limitMinor, limits.currency),
          used: formatMoney(used, limits.currency),
          remaining: formatMoney(remaining, limits.currency),
          resetsAt: iso(w.endsAt),
        };
      }),
      ...(limits.transaction !== undefined ? { transaction: limits.transaction } : {}),
      enabled,
    };
  }

  /** The approval's record for streaming; `undefined` when the session may not see it. */
  async approvalForSession(
    approvalId: string,
    identity: SessionIdentity,
  ): Promise<ApprovalRecord | undefined> {
    const partition = partitionOfApproval(approvalId);
    if (partition === undefined || partition !== partitionOf(identity.userId)) return undefined;
    const record = await storeCall(() => this.store.getApproval(partition, approvalId));
    if (!record || record.userId !== identity.userId) return undefined;
    return this.#expireIfDue(record);
  }

  /**
   * Counts a card purchase at what the merchant captured: the part of the
   * transaction's spend that the capture used stays counted, the rest is given back
   * to the user's limits. Once per transaction: a repeated or late delivery answers
   * `already_captured` and changes nothing. Audited (merchant and last four digits,
   * never the card number).
   *
   * @example
   * ```ts
   * import type { HandshakeEngine } from '@handshake/core';
   * declare const engine: HandshakeEngine;
   *
   * const outcome = await engine.captureCardSpend({
   *   userId: 'alice',
   *   transactionId: 'tx_1',
   *   captured: { value: '24.00', currency: 'USD' },
   *   cardLimit: { value: '30.00', currency: 'USD' },
   * });
   * ```
   */
  async captureCardSpend(capture: CardCapture): Promise<CardCaptureOutcome> {
    const { currency } = capture.cardLimit;
    if (capture.captured.currency !== currency) {
      throw new HandshakeError('VALIDATION_ERROR', `A capture must be in the card's currency`);
    }
    const share = {
      part: parseMoney(capture.captured.value, currency, { allowZero: true }),
      whole: parseMoney(capture.cardLimit.value, currency),
    };
    const store = this.store;
    const outcome: CardCaptureOutcome = store.captureSpend
      ? await storeCall(() =>
          store.captureSpend!({
            partition: partitionOf(capture.userId),
            reservationId: reservationIdOf(capture.transactionId),
            now: this.clock.now(),
            share,
          }),
        )
      : { status: 'unsupported' };
    if (outcome.status !== 'already_captured') {
      await this.#ctx.audit.record({
        type: 'card.capture',
        outcome: outcome.status,
        userId: capture.userId,
        transactionId: capture.transactionId,
        amount: capture.captured,
        ...(capture.merchantName !== undefined ? { merchant: capture.merchantName } : {}),
        ...(capture.cardLast4 !== undefined ? { cardLast4: capture.cardLast4 } : {}),
        ...(outcome.status === 'captured'
          ? { detail: `released ${outcome.releasedMinor} minor units of the counted spend` }
          : {}),
      });
    }
    return outcome;
  }

  /**
   * Records a card issuer's decision on a merchant's charge in the audit trail: the
   * decision, its reason, the merchant and the amount; never the card number.
   *
   * @example
   * ```ts
   * import type { HandshakeEngine } from '@handshake/core';
   * declare const engine: HandshakeEngine;
   *
   * await engine.recordCardAuthorization({
   *   transactionId: 'tx_1',
   *   approved: true,
   *   reason: 'approved',
   *   merchantName: 'Example Books',
   *   amount: { value: '30.00', currency: 'USD' },
   * });
   * ```
   */
  recordCardAuthorization(decision: CardAuthorizationDecision): Promise<void> {
    const merchant = [decision.merchantName, decision.merchantCategory]
      .filter((part) => part !== undefined)
      .join(' / ');
    return this.#ctx.audit.record({
      type: 'card.authorization',
      outcome: decision.approved ? 'approved' : 'declined',
      detail: decision.reason,
      ...(decision.userId !== undefined ? { userId: decision.userId } : {}),
      ...(decision.transactionId !== undefined ? { transactionId: decision.transactionId } : {}),
      ...(merchant !== '' ? { merchant } : {}),
      ...(decision.amount !== undefined ? { amount: decision.amount } : {}),
      ...(decision.cardLast4 !== undefined ? { cardLast4: decision.cardLast4 } : {}),
    });
  }

  /** Waits until every audit event recorded so far is written. */
  flushAudit(): Promise<void> {
    return this.#ctx.audit.flush();
  }

  /**
   * Audit events not yet written by every sink, in chain order: while a sink fails,
   * events wait here and are retried until written. Empty when the trail is up to date.
   *
   * @example
   * ```ts
   * import type { HandshakeEngine } from '@handshake/core';
   * declare const engine: HandshakeEngine;
   *
   * const waiting = engine.auditBacklog();
   * if (waiting.length > 0) console.warn(`${waiting.length} audit events not yet written`);
   * ```
   */
  auditBacklog(): AuditEvent[] {
    return this.#ctx.audit.backlog();
  }

  /**
   * Writes the audit trail (stopping retries once only failing sinks are left; their
   * events stay in `auditBacklog()`) and closes the store.
   */
  async close(): Promise<void> {
    await this.#ctx.refusals?.close();
    await this.#ctx.audit.close();
    await this.store.close?.();
  }

  async #resolveAmount(
    definition: ToolDefinition,
    parameters: unknown,
    base: { userId: string; tool: string; tier: Tier },
  ): Promise<ResolvedAmount | undefined> {
    const money = await this.#declaredAmount(definition, parameters, base);
    if (!money) return undefined;
    const minor = parseMoney(money.value, money.currency, { allowZero: true });
    const limits = await this.#limitsFor(base.userId);
    if (!limits || limits.currency === money.currency) {
      return { original: money, minor, currency: money.currency };
    }
    const rates = this.#ctx.options.exchangeRates;
    if (!rates) {
      throw new HandshakeError(
        'VALIDATION_ERROR',
        `Amounts in ${money.currency} cannot be counted against limits in ${limits.currency}`,
        { path: 'parameters' },
      );
    }
    const rate = await rateForCallerAmount(rates, money.currency, limits.currency, 'parameters');
    return {
      original: money,
      minor: convertMinor(minor, money.currency, limits.currency, rate.rate),
      currency: limits.currency,
      rate: rate.rate,
    };
  }

  /** The amount the tool declares for these parameters, as the tool answers it. */
  async #declaredAmount(
    definition: ToolDefinition,
    parameters: unknown,
    base: { userId: string; tool: string; tier: Tier },
  ): Promise<Money | undefined> {
    if (!definition.amount) return undefined;
    try {
      return await definition.amount(parameters);
    } catch (error) {
      void refuse(this.#ctx, base, codeOf(error), 'amount');
      if (HandshakeError.isInstance(error)) throw error;
      throw new HandshakeError(
        'PROVIDER_ERROR',
        `The amount of ${definition.name} could not be determined`,
        { cause: error },
      );
    }
  }

  async #limitsFor(userId: string): Promise<SpendingLimits | undefined> {
    const source = this.#ctx.options.limits;
    if (!source) return undefined;
    return typeof source === 'function' ? await source(userId) : source;
  }

  #windows(limits: SpendingLimits, at: number, includeDisabled = false): SpendWindow[] {
    const amount = (window: 'daily' | 'weekly' | 'monthly') =>
      limits[window] !== undefined && (includeDisabled || limitEnabled(limits, window))
        ? parseMoney(limits[window]!, limits.currency, { allowZero: true })
        : undefined;
    const daily = amount('daily');
    const weekly = amount('weekly');
    const monthly = amount('monthly');
    return spendWindows(at, limits.timeZone ?? 'UTC', {
      ...(daily !== undefined ? { daily } : {}),
      ...(weekly !== undefined ? { weekly } : {}),
      ...(monthly !== undefined ? { monthly } : {}),
    });
  }
}

class ExecutionTimeout extends Error {}

/**
 * Tokens of one approval live at once: each waiter of the session gets its own and none
 * revokes another, up to this many (then the oldest goes), which bounds what a session
 * reading in a loop can make the store hold.
 */
const LIVE_TOKENS_PER_APPROVAL = 32;

/** Added to an execute event's detail when the store could not record the outcome. */
const NOT_STORED = '; outcome not stored';

function limitEnabled(
  limits: SpendingLimits,
  window: 'daily' | 'weekly' | 'monthly' | 'transaction',
) {
  return limits[window] !== undefined && limits.enabled?.[window] !== false;
}

/** The four digits a tool reports for the audit trail, or nothing; never more. */
function lastFour(definition: ToolDefinition, result: unknown): string | undefined {
  try {
    const digits = definition.cardLast4?.(result);
    return typeof digits === 'string' && /^\d{4}$/.test(digits) ? digits : undefined;
  } catch {
    return undefined;
  }
}

function describeField(field: ConsumeMismatchField): string {
  return {
    userId: 'user',
    tool: 'tool',
    paramsHash: 'parameters hash',
    transactionId: 'transaction',
    amount: 'amount',
  }[field];
}

function providerMessage(tool: string, error: unknown): string {
  // Only a provider's own HandshakeError message is passed on; other errors may hold
  // request details or secrets.
  if (
    HandshakeError.isInstance(error) &&
    (error.code === 'PROVIDER_ERROR' || error.code === 'VALIDATION_ERROR')
  ) {
    return error.message;
  }
  return `${tool} failed at the provider`;
}

/**
 * Creates the handshake engine.
 *
 * @example
 * ```ts
 * import { createHandshake, staticSessionVerifier } from '@handshake/core';
 *
 * const engine = createHandshake({
 *   tools: {
 *     specificationVersion: 'v1',
 *     listTools: () => [{ name: 'get_exchange_rate', description: 'Rates', tier: 'PUBLIC' }],
 *     execute: () => ({ rate: '1.0850' }),
 *   },
 *   sessions: staticSessionVerifier({ 'dev-token-alice': 'alice' }),
 * });
 * ```
 */
export function createHandshake(options: HandshakeOptions): HandshakeEngine {
  return new HandshakeEngine(options);
}
