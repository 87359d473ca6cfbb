import { z } from 'zod';
import { ERROR_CODES } from '../errors/codes.js';
import { TIERS } from '../types/common.js';

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Checked by shape rather than identity, so objects from another realm (a vm
  // context, an iframe) count as plain too.
  if (Object.prototype.toString.call(value) !== '[object Object]') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
};

/** A tool name: letters, digits and `_ . : -`, 1 to 128 characters. */
export const ToolNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'tool names use letters, digits and _ . : -');

/**
 * Tool parameters: a JSON object. The object is kept as given (not copied), so keys
 * such as `__proto__` stay ordinary data and are hashed as sent.
 */
export const ParametersSchema = z.custom<Record<string, unknown>>(isPlainObject, {
  message: 'parameters must be a JSON object',
});

/** A tier name. */
export const TierSchema = z.enum(TIERS);

/** Money on the wire. */
export const MoneySchema = z.object({
  value: z.string().regex(/^-?\d{1,18}(\.\d{1,4})?$/, 'a decimal string such as "12.34"'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "USD"'),
});

/** `POST /authorize` body. */
export const AuthorizeRequestSchema = z
  .object({
    tool: ToolNameSchema,
    parameters: ParametersSchema,
    metadata: z.record(z.string().max(64), z.unknown()).optional(),
    /** Accepted as in the seed; the `Authorization` header is preferred. */
    sessionToken: z.string().min(1).max(4096).optional(),
  })
  .strict();
export type AuthorizeRequest = z.infer<typeof AuthorizeRequestSchema>;

/** An INTERNAL-tier signature. */
export const SignatureSchema = z
  .object({
    keyId: z.string().min(1).max(128),
    value: z.string().min(1).max(256),
  })
  .strict();
export type Signature = z.infer<typeof SignatureSchema>;

/** `POST /execute` body. The token may come in `X-Ephemeral-Token` instead. */
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
export type ExecuteRequest = z.infer<typeof ExecuteRequestSchema>;

/** `POST /approvals/{id}/decision` body. */
export const DecisionRequestSchema = z
  .object({
    decision: z.enum(['approve', 'deny']),
    reason: z.string().max(500).optional(),
  })
  .strict();
export type DecisionRequest = z.infer<typeof DecisionRequestSchema>;

/** Why an approval is needed. */
export const ApprovalReasonSchema = z.union([
  z.object({ kind: z.literal('tier') }),
  z.object({
    kind: z.literal('limit'),
    window: z.enum(['daily', 'weekly', 'monthly', 'transaction']),
  }),
]);

/** `200` answer of `POST /authorize`. */
export const AuthorizedResponseSchema = z.object({
  status: z.literal('authorized'),
  transactionId: z.string(),
  ephemeralToken: z.string(),
  expiresAt: z.string(),
  tier: TierSchema,
  paramsHash: z.string(),
  approvalId: z.string().optional(),
});
export type AuthorizedResponse = z.infer<typeof AuthorizedResponseSchema>;

/** `202` answer of `POST /authorize`: someone must decide first. */
export const PendingResponseSchema = z.object({
  status: z.literal('pending'),
  transactionId: z.string(),
  approvalId: z.string(),
  expiresAt: z.string(),
  tier: TierSchema,
  paramsHash: z.string(),
  reasons: z.array(ApprovalReasonSchema).optional(),
});
export type PendingResponse = z.infer<typeof PendingResponseSchema>;

/** Either answer of `POST /authorize`. */
export const AuthorizeResponseSchema = z.discriminatedUnion('status', [
  AuthorizedResponseSchema,
  PendingResponseSchema,
]);
export type AuthorizeResponse = z.infer<typeof AuthorizeResponseSchema>;

/** `200` answer of `POST /execute`. */
export const ExecuteResponseSchema = z.object({
  status: z.literal('completed'),
  transactionId: z.string(),
  result: z.unknown(),
  replayed: z.boolean().optional(),
});
export type ExecuteResponse = z.infer<typeof ExecuteResponseSchema>;

/** Approval statuses; all but `pending` are final. */
export const ApprovalStatusSchema = z.enum(['pending', 'approved', 'denied', 'expired']);

/** `GET /approvals/{id}` answer, and the data of each `status` SSE event. */
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
  reason: z.string().optional(),
  amount: MoneySchema.optional(),
  reasons: z.array(ApprovalReasonSchema).optional(),
});
export type ApprovalView = z.infer<typeof ApprovalViewSchema>;

/** What approvers see of an approval (`GET /approvals`). */
export const ApprovalSummarySchema = ApprovalViewSchema.omit({ ephemeralToken: true }).extend({
  userId: z.string(),
  parameters: z.unknown(),
  payee: z.string().optional(),
  createdAt: z.string(),
  decidedAt: z.string().optional(),
  decidedBy: z.string().optional(),
  originalAmount: MoneySchema.optional(),
});
export type ApprovalSummary = z.infer<typeof ApprovalSummarySchema>;

/** One tool as listed by `GET /tools`. */
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
export type ToolListing = z.infer<typeof ToolListingSchema>;

/** The error envelope. */
export const ErrorEnvelopeSchema = z.object({
  success: z.literal(false),
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }),
});
