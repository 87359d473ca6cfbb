import { type Tier, tierRank } from '@handshake/protocol';
import type { ToolDefinition } from '../tools/tool-provider.js';

/**
 * Whether a call changes state, so its execute is written ahead: CONFIDENTIAL and above,
 * and any tool with an amount whatever its tier. Such a call's `execute`/`started` audit
 * event is written by every sink before its token is consumed (the call is refused with
 * `AUDIT_UNAVAILABLE`, its token left usable, when it cannot be), so a crash after the
 * provider ran can never leave a movement of money the audit trail does not mention.
 */
export function changesState(tier: Tier, definition: ToolDefinition): boolean {
  return tierRank(tier) >= tierRank('CONFIDENTIAL') || definition.amount !== undefined;
}
