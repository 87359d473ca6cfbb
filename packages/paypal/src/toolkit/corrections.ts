import { z } from 'zod/v3';
import type { ToolkitSchema } from './validate.js';

// The toolkit's DISPUTE_ID_REGEX (src/shared/regex.ts).
const DISPUTE_ID = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * The schema `accept_dispute_claim` should have had. In 1.8 the dispute-id pattern is
 * attached to `note` instead of `dispute_id`: any sentence with a space is refused as a
 * note, and `dispute_id` — which the toolkit pastes into the request path
 * (`/v1/customer/disputes/${dispute_id}/accept-claim`) — is not checked at all, so a value
 * such as `../../../v2/payments/captures/…` reaches another endpoint.
 *
 * Here `dispute_id` carries the pattern, and `note` is free text of 1 to 2000 characters
 * (PayPal's limit for accept-claim notes).
 *
 * @example
 * ```ts
 * import { acceptDisputeClaimSchema } from '@handshake/paypal';
 *
 * acceptDisputeClaimSchema.safeParse({
 *   dispute_id: 'PP-D-27803',
 *   note: 'Item arrived damaged; refunding the buyer.',
 * }).success; // true
 * acceptDisputeClaimSchema.safeParse({ dispute_id: '../refund', note: 'x' }).success; // false
 * ```
 */
export const acceptDisputeClaimSchema = z.object({
  dispute_id: z
    .string()
    .regex(DISPUTE_ID, 'Invalid PayPal Dispute ID')
    .describe('The ID of the dispute whose claim the seller accepts'),
  note: z.string().min(1).max(2000).describe('A note about why the seller is accepting the claim'),
});

interface StringCheck {
  kind?: string;
}

function regexChecks(schema: unknown): number {
  const checks = (schema as { _def?: { checks?: StringCheck[] } } | undefined)?._def?.checks;
  return Array.isArray(checks) ? checks.filter((check) => check.kind === 'regex').length : 0;
}

/**
 * True while the toolkit's `accept_dispute_claim` schema still checks the wrong field
 * (a pattern on `note`, none on `dispute_id`), as in 1.8.
 */
export function hasMisplacedDisputeCheck(schema: ToolkitSchema): boolean {
  const shape = schema.shape as Record<string, unknown>;
  return regexChecks(shape.note) > 0 && regexChecks(shape.dispute_id) === 0;
}
