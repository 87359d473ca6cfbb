import { z } from 'zod';
import { ERROR_CODES } from '../errors/codes.js';
import { LIMIT_WINDOWS } from '../limits/limit-windows.js';
import { TIERS } from '../tiers/tiers.js';

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Checked by shape rather than identity, so objects from another realm (a vm
  // context, an iframe) count as plain too.
  if (Object.prototype.toString.call(value) !== '[object Object]') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
};

/**
 * A tool name: letters, digits and `_ . : -`, 1 to 128 characters.
 *
 * @example
 * ```ts
 * import { ToolNameSchema } from '@handshake/protocol';
 *
 * ToolNameSchema.parse('create_refund'); // 'create_refund'
 * ToolNameSchema.safeParse('drop table;').success; // false
 * ```
 */
export const ToolNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'tool names use letters, digits and _ . : -');

/**
 * Tool parameters: a JSON object. The object is kept as given (not copied), so keys
 * such as `__proto__` stay ordinary data and are hashed as sent.
 *
 * @example
 * ```ts
 * import { ParametersSchema } from '@handshake/protocol';
 *
 * const parameters = ParametersSchema.parse({ order_id: 'O-1' });
 * ParametersSchema.safeParse(['not', 'an', 'object']).success; // false
 * ```
 */
export const ParametersSchema = z.custom<Record<string, unknown>>(isPlainObject, {
  message: 'parameters must be a JSON object',
});

/**
 * A tier name.
 *
 * @example
 * ```ts
 * import { TierSchema } from '@handshake/protocol';
 *
 * const tier = TierSchema.parse('RESTRICTED'); // typed as Tier
 * ```
 */
export const TierSchema = z.enum(TIERS);

/**
 * Money on the wire.
 *
 * @example
 * ```ts
 * import { MoneySchema } from '@handshake/protocol';
 *
 * MoneySchema.parse({ value: '12.34', currency: 'USD' });
 * MoneySchema.safeParse({ value: 12.34, currency: 'USD' }).success; // false: a float is refused
 * ```
 */
export const MoneySchema = z.object({
  value: z.string().regex(/^-?\d{1,18}(\.\d{1,4})?$/, 'a decimal string such as "12.34"'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "USD"'),
});

/**
 * `POST /authorize` body.
 *
 * @example
 * ```ts
 * import { AuthorizeRequestSchema } from '@handshake/protocol';
 *
 * const body = AuthorizeRequestSchema.parse({
 *   tool: 'create_refund',
 *   parameters: { capture_id: 'CAP-1', amount: { value: '5.00', currency_code: 'USD' } },
 * });
 * ```
 */
export const AuthorizeRequestSchema = z
  .object({
    tool: ToolNameSchema,
    parameters: ParametersSchema,
    metadata: z.record(z.string().max(64), z.unknown()).optional(),
    /** Accepted as in the seed; the `Authorization` header is preferred. */
    sessionToken: z.string().min(1).max(4096).optional(),
  })
  .strict();
/**
 * The body of `POST /authorize`: the tool, its parameters, and optional metadata recorded with the call.
 *
 * @example
 * ```ts
 * import type { AuthorizeRequest } from '@handshake/protocol';
 *
 * const request: AuthorizeRequest = {
 *   tool: 'get_order',
 *   parameters: { id: 'O-1' },
 *   metadata: { conversation: 'c-42' },
 * };
 * ```
 */
export type AuthorizeRequest = z.infer<typeof AuthorizeRequestSchema>;

/**
 * An INTERNAL-tier signature.
 *
 * @example
 * ```ts
 * import { SignatureSchema } from '@handshake/protocol';
 *
 * SignatureSchema.parse({ keyId: 'laptop', value: 'bSx3…base64url…' });
 * ```
 */
export const SignatureSchema = z
  .object({
    keyId: z.string().min(1).max(128),
    value: z.string().min(1).max(256),
  })
  .strict();
/**
 * An execute signature: the id of a key the user registered and the base64url Ed25519 signature.
 *
 * @example
 * ```ts
 * import { generateSigningKey, signExecute, type Signature } from '@handshake/protocol';
 *
 * const key = generateSigningKey();
 * const signature: Signature = {
 *   keyId: 'laptop',
 *   value: signExecute(key.privateKey, { tool: 'get_order', paramsHash: 'a'.repeat(64), transactionId: 'tx_1' }),
 * };
 * ```
 */
export type Signature = z.infer<typeof SignatureSchema>;

/**
 * `POST /execute` body. The token may come in `X-Ephemeral-Token` instead.
 *
 * @example
 * ```ts
 * import { ExecuteRequestSchema } from '@handshake/protocol';
 *
 * const result = ExecuteRequestSchema.safeParse({ tool: 'get_order', parameters: { id: 'O-1' }, extra: 1 });
 * result.success; // false: requests are strict, unknown fields are refused
 * ```
 */
export const ExecuteRequestSchema = z
  .object({
    ephemeralToken: z.string().min(1).max(256).optional(),
    tool: ToolNameSchema,
    parameters: ParametersSchema,
    /** The transaction the signature covers; required with `signature`. */
    transactionId: z.string().min(1).max(128).optional(),
    signature: SignatureSchema.optional(),
    sessionToken: z.string().min(1).max(4096).optional(),
  })
  .strict();
/**
 * The body of `POST /execute`: the token, and the very tool and parameters that were authorized.
 *
 * @example
 * ```ts
 * import type { AuthorizedResponse, ExecuteRequest } from '@handshake/protocol';
 * declare const authorized: AuthorizedResponse;
 *
 * const request: ExecuteRequest = {
 *   ephemeralToken: authorized.ephemeralToken,
 *   tool: 'get_order',
 *   parameters: { id: 'O-1' },
 *   transactionId: authorized.transactionId,
 * };
 * ```
 */
export type ExecuteRequest = z.infer<typeof ExecuteRequestSchema>;

/**
 * `POST /approvals/{id}/decision` body.
 *
 * @example
 * ```ts
 * import { DecisionRequestSchema } from '@handshake/protocol';
 *
 * DecisionRequestSchema.parse({ decision: 'deny', reason: 'Refund larger than the order' });
 * ```
 */
export const DecisionRequestSchema = z
  .object({
    decision: z.enum(['approve', 'deny']),
    reason: z.string().max(500).optional(),
    /** The parameters the approver saw; a decision naming others is refused. */
    paramsHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'a SHA-256 hex digest')
      .optional(),
    /** Where the person decided, recorded in the audit trail. */
    channel: z.enum(['console', 'chat', 'api', 'mcp']).optional(),
  })
  .strict();

/**
 * Where a decision was taken: the approval console, a chat, an API client or an MCP host.
 *
 * @example
 * ```ts
 * import type { DecisionChannel } from '@handshake/protocol';
 *
 * const channel: DecisionChannel = 'chat';
 * ```
 */
export type DecisionChannel = NonNullable<z.infer<typeof DecisionRequestSchema>['channel']>;
/**
 * An approver's decision: `approve` or `deny`, with an optional reason shown to the requester.
 *
 * @example
 * ```ts
 * import type { DecisionRequest } from '@handshake/protocol';
 *
 * const decision: DecisionRequest = { decision: 'approve' };
 * ```
 */
export type DecisionRequest = z.infer<typeof DecisionRequestSchema>;

/**
 * A window a spending limit applies to: one of {@link LIMIT_WINDOWS}.
 *
 * @example
 * ```ts
 * import { LimitWindowSchema } from '@handshake/protocol';
 *
 * LimitWindowSchema.parse('daily'); // 'daily'
 * LimitWindowSchema.safeParse('yearly').success; // false
 * ```
 */
export const LimitWindowSchema = z.enum(LIMIT_WINDOWS);

/**
 * Why an approval is needed.
 *
 * @example
 * ```ts
 * import { ApprovalReasonSchema } from '@handshake/protocol';
 *
 * ApprovalReasonSchema.parse({ kind: 'limit', window: 'daily' }); // over the daily limit
 * ApprovalReasonSchema.parse({ kind: 'tier' }); // the tool's tier asks for approval
 * ```
 */
export const ApprovalReasonSchema = z.union([
  z.object({ kind: z.literal('tier') }),
  z.object({
    kind: z.literal('limit'),
    window: LimitWindowSchema,
  }),
]);

/**
 * `200` answer of `POST /authorize`.
 *
 * @example
 * ```ts
 * import { AuthorizedResponseSchema } from '@handshake/protocol';
 *
 * const answer: unknown = await (await fetch('https://handshake.example.com/authorize')).json();
 * const parsed = AuthorizedResponseSchema.safeParse(answer);
 * if (parsed.success) console.log(parsed.data.expiresAt);
 * ```
 */
export const AuthorizedResponseSchema = z.object({
  status: z.literal('authorized'),
  transactionId: z.string(),
  ephemeralToken: z.string(),
  expiresAt: z.string(),
  tier: TierSchema,
  paramsHash: z.string(),
  approvalId: z.string().optional(),
});
/**
 * The `200` answer of `POST /authorize`: the call may run; execute it with `ephemeralToken` before `expiresAt`.
 *
 * @example
 * ```ts
 * import type { AuthorizedResponse } from '@handshake/protocol';
 *
 * function tokenOf(answer: AuthorizedResponse): string {
 *   return answer.ephemeralToken; // single use, bound to the tool and paramsHash
 * }
 * ```
 */
export type AuthorizedResponse = z.infer<typeof AuthorizedResponseSchema>;

/**
 * `202` answer of `POST /authorize`: someone must decide first.
 *
 * @example
 * ```ts
 * import { PendingResponseSchema } from '@handshake/protocol';
 *
 * PendingResponseSchema.safeParse({ status: 'pending' }).success; // false: ids are missing
 * ```
 */
export const PendingResponseSchema = z.object({
  status: z.literal('pending'),
  transactionId: z.string(),
  approvalId: z.string(),
  expiresAt: z.string(),
  tier: TierSchema,
  paramsHash: z.string(),
  reasons: z.array(ApprovalReasonSchema).optional(),
});
/**
 * The `202` answer of `POST /authorize`: someone must decide; wait on `GET /approvals/{approvalId}`.
 *
 * @example
 * ```ts
 * import type { PendingResponse } from '@handshake/protocol';
 *
 * function describe(answer: PendingResponse): string {
 *   return `waiting for approval ${answer.approvalId} until ${answer.expiresAt}`;
 * }
 * ```
 */
export type PendingResponse = z.infer<typeof PendingResponseSchema>;

/**
 * Either answer of `POST /authorize`.
 *
 * @example
 * ```ts
 * import { AuthorizeResponseSchema } from '@handshake/protocol';
 *
 * const answer = AuthorizeResponseSchema.parse({
 *   status: 'pending',
 *   transactionId: 'tx_1',
 *   approvalId: 'apr_1',
 *   expiresAt: '2026-03-02T10:05:00.000Z',
 *   tier: 'RESTRICTED',
 *   paramsHash: 'a'.repeat(64),
 * });
 * ```
 */
export const AuthorizeResponseSchema = z.discriminatedUnion('status', [
  AuthorizedResponseSchema,
  PendingResponseSchema,
]);
/**
 * Either answer of `POST /authorize`, told apart by `status`.
 *
 * @example
 * ```ts
 * import type { AuthorizeResponse } from '@handshake/protocol';
 * declare const answer: AuthorizeResponse;
 *
 * if (answer.status === 'authorized') {
 *   console.log('execute with the token before', answer.expiresAt);
 * } else {
 *   console.log('wait for approval', answer.approvalId);
 * }
 * ```
 */
export type AuthorizeResponse = z.infer<typeof AuthorizeResponseSchema>;

/**
 * `200` answer of `POST /execute`.
 *
 * @example
 * ```ts
 * import { ExecuteResponseSchema } from '@handshake/protocol';
 *
 * const answer = ExecuteResponseSchema.parse({ status: 'completed', transactionId: 'tx_1', result: { ok: true } });
 * ```
 */
export const ExecuteResponseSchema = z.object({
  status: z.literal('completed'),
  transactionId: z.string(),
  result: z.unknown(),
  replayed: z.boolean().optional(),
});
/**
 * The `200` answer of `POST /execute`: the tool's result; `replayed` when it is the stored result of an execute that already ran.
 *
 * @example
 * ```ts
 * import type { ExecuteResponse } from '@handshake/protocol';
 * declare const answer: ExecuteResponse;
 *
 * if (answer.replayed) console.log('the stored result of the call that already ran');
 * console.log(answer.result);
 * ```
 */
export type ExecuteResponse = z.infer<typeof ExecuteResponseSchema>;

/**
 * Approval statuses; all but `pending` are final. `withdrawn`: the requester withdrew its
 * request while it was pending (the waiting caller cancelled or went away); nobody can
 * decide it any more.
 *
 * @example
 * ```ts
 * import { ApprovalStatusSchema } from '@handshake/protocol';
 *
 * const status = ApprovalStatusSchema.parse('approved');
 * const final = status !== 'pending';
 * ```
 */
export const ApprovalStatusSchema = z.enum([
  'pending',
  'approved',
  'denied',
  'expired',
  'withdrawn',
]);

/**
 * `GET /approvals/{id}` answer, and the data of each `status` SSE event.
 *
 * @example
 * ```ts
 * import { ApprovalViewSchema } from '@handshake/protocol';
 *
 * declare const event: { data: string }; // one `event: status` message of the approval stream
 *
 * const view = ApprovalViewSchema.parse(JSON.parse(event.data));
 * if (view.status !== 'pending') console.log('final:', view.status);
 * ```
 */
export const ApprovalViewSchema = z.object({
  approvalId: z.string(),
  transactionId: z.string(),
  status: ApprovalStatusSchema,
  tool: z.string(),
  tier: TierSchema,
  paramsHash: z.string(),
  expiresAt: z.string(),
  ephemeralToken: z.string().optional(),
  tokenExpiresAt: z.string().optional(),
  /**
   * `true` once a token of this approval was consumed: its call ran (or is running) and
   * the approval never yields another token.
   */
  executed: z.boolean().optional(),
  executedAt: z.string().optional(),
  reason: z.string().optional(),
  amount: MoneySchema.optional(),
  reasons: z.array(ApprovalReasonSchema).optional(),
});
/**
 * What the requesting session sees of an approval (`GET /approvals/{id}` and each SSE `status` event); the token appears once approved.
 *
 * @example
 * ```ts
 * import type { ApprovalView } from '@handshake/protocol';
 * declare const view: ApprovalView;
 *
 * if (view.status === 'approved' && view.ephemeralToken) {
 *   // execute before view.tokenExpiresAt
 * }
 * ```
 */
export type ApprovalView = z.infer<typeof ApprovalViewSchema>;

/**
 * What approvers see of an approval (`GET /approvals`).
 *
 * @example
 * ```ts
 * import { ApprovalSummarySchema } from '@handshake/protocol';
 *
 * const list = ApprovalSummarySchema.array().parse([]);
 * ```
 */
export const ApprovalSummarySchema = ApprovalViewSchema.omit({ ephemeralToken: true }).extend({
  userId: z.string(),
  parameters: z.unknown(),
  payee: z.string().optional(),
  createdAt: z.string(),
  decidedAt: z.string().optional(),
  decidedBy: z.string().optional(),
  originalAmount: MoneySchema.optional(),
});
/**
 * What approvers see of an approval in `GET /approvals`: who asked, for which tool, parameters and amount — never a token.
 *
 * @example
 * ```ts
 * import type { ApprovalSummary } from '@handshake/protocol';
 * declare const pending: ApprovalSummary[];
 *
 * for (const approval of pending) {
 *   console.log(approval.userId, approval.tool, approval.amount?.value, approval.payee);
 * }
 * ```
 */
export type ApprovalSummary = z.infer<typeof ApprovalSummarySchema>;

/**
 * One tool as listed by `GET /tools`.
 *
 * @example
 * ```ts
 * import { ToolListingSchema } from '@handshake/protocol';
 *
 * const tools = ToolListingSchema.array().parse([
 *   { name: 'get_exchange_rate', description: 'Read a rate', tier: 'PUBLIC', movesMoney: false },
 * ]);
 * ```
 */
export const ToolListingSchema = z.object({
  name: z.string(),
  description: z.string(),
  tier: TierSchema,
  inputSchema: z.record(z.string(), z.unknown()).optional(),
  movesMoney: z.boolean(),
  annotations: z
    .object({
      readOnlyHint: z.boolean().optional(),
      destructiveHint: z.boolean().optional(),
      idempotentHint: z.boolean().optional(),
      openWorldHint: z.boolean().optional(),
    })
    .optional(),
});
/**
 * One tool as `GET /tools` lists it: name, description, tier, JSON Schema of the input, and whether it moves money.
 *
 * @example
 * ```ts
 * import type { ToolListing } from '@handshake/protocol';
 * declare const tools: ToolListing[];
 *
 * const moneyMovers = tools.filter((tool) => tool.movesMoney).map((tool) => tool.name);
 * ```
 */
export type ToolListing = z.infer<typeof ToolListingSchema>;

/**
 * The error envelope.
 *
 * @example
 * ```ts
 * import { ErrorEnvelopeSchema } from '@handshake/protocol';
 *
 * const envelope = ErrorEnvelopeSchema.parse({
 *   success: false,
 *   error: { code: 'TOKEN_EXPIRED', message: 'Execute refused: the ephemeral token has expired' },
 * });
 * ```
 */
export const ErrorEnvelopeSchema = z.object({
  success: z.literal(false),
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }),
});
