import { HandshakeError } from '@handshake/protocol';
import { isReservedUserId, type SessionIdentity } from '../sessions/session-verifier.js';
import { tokenDigest } from '../tokens/token.js';
import type { EngineContext } from './context.js';
import type { CallerContext } from './options.js';
import { refuse, sourceOf } from './refusals.js';
import type { RegisteredTool } from './registry.js';

/**
 * The scope that lets a session decide other users' approvals.
 *
 * @example
 * ```ts
 * import { APPROVE_SCOPE, staticSessionVerifier } from '@handshake/core';
 *
 * // a session of `ops` that may decide other users' approvals
 * const sessions = staticSessionVerifier({ 'ops-session': { userId: 'ops', scopes: [APPROVE_SCOPE] } });
 * ```
 */
export const APPROVE_SCOPE = 'handshake:approve';

/**
 * The scope of a person's own approver credential: it decides only that person's own
 * requests, each naming the exact parameters it approves (`paramsHash`). An app's
 * server holds it for the signed-in person to approve in chat; the agent's session
 * never carries it.
 *
 * @example
 * ```ts
 * import { APPROVE_OWN_SCOPE, staticSessionVerifier } from '@handshake/core';
 *
 * const sessions = staticSessionVerifier({
 *   'agent-session-alice': 'alice',
 *   'chat-approver-alice': { userId: 'alice', scopes: [APPROVE_OWN_SCOPE] },
 * });
 * ```
 */
export const APPROVE_OWN_SCOPE = 'handshake:approve:own';

/**
 * Who is asking to decide approvals.
 *
 * @example
 * ```ts
 * import type { ApproverIdentity, HandshakeEngine } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const approver: ApproverIdentity = await engine.identifyApprover('approver-token');
 * console.log(`decisions recorded as ${approver.name}`);
 * ```
 */
export interface ApproverIdentity {
  name: string;
  /** The approver's own user id when it is a session, to refuse self-approval. */
  userId?: string;
  /** A person's own approver credential ({@link APPROVE_OWN_SCOPE}): their requests only. */
  ownOnly?: boolean;
}

/** Who calls a PUBLIC tool without a session: they all share one partition. */
export const ANONYMOUS: SessionIdentity = {
  userId: 'anonymous',
  scopes: [],
  sessionId: 'anonymous',
};

/** Resolves a bearer credential; throws `UNAUTHORIZED` when it is missing or invalid. */
export async function identify(
  ctx: EngineContext,
  credential: string | undefined,
): Promise<SessionIdentity> {
  if (!credential) throw new HandshakeError('UNAUTHORIZED', 'A session credential is required');
  const identity = ctx.sessions ? await ctx.sessions.verify(credential) : undefined;
  // A reserved id (`anonymous`) would share the partition of callers without a session.
  if (!identity || isReservedUserId(identity.userId)) {
    throw new HandshakeError('UNAUTHORIZED', 'The session credential is not valid');
  }
  return identity;
}

/** Resolves an approver credential (configured approver token or a session with the approve scope). */
export async function identifyApprover(
  ctx: EngineContext,
  credential: string | undefined,
): Promise<ApproverIdentity> {
  if (!credential) throw new HandshakeError('UNAUTHORIZED', 'An approver credential is required');
  const name = ctx.approverCredentials.get(tokenDigest(credential));
  if (name !== undefined) return { name };
  const identity = ctx.sessions ? await ctx.sessions.verify(credential) : undefined;
  if (identity?.scopes.includes(APPROVE_SCOPE) && !isReservedUserId(identity.userId)) {
    return { name: identity.userId, userId: identity.userId };
  }
  if (identity?.scopes.includes(APPROVE_OWN_SCOPE)) {
    return { name: identity.userId, userId: identity.userId, ownOnly: true };
  }
  throw new HandshakeError('UNAUTHORIZED', 'The approver credential is not valid');
}

/** A call's tool and caller, as both phases of the handshake start from them. */
export interface ResolvedCall {
  registered: RegisteredTool;
  identity: SessionIdentity;
}

/**
 * The shared start of authorize and execute: finds the tool and identifies the caller
 * (anyone may call a PUBLIC tool without a session). An invalid credential and an
 * unknown tool are refused and audited.
 */
export async function resolveCall(
  ctx: EngineContext,
  tool: string,
  credential: string | undefined,
  caller: CallerContext,
): Promise<ResolvedCall> {
  const registered = await ctx.registry.get(tool);
  let identity: SessionIdentity;
  if (registered?.tier === 'PUBLIC' && !credential) {
    identity = ANONYMOUS;
  } else {
    try {
      identity = await identify(ctx, credential);
    } catch (error) {
      void refuse(ctx, { tool, ...sourceOf(caller) }, 'UNAUTHORIZED');
      throw error;
    }
  }
  if (!registered) {
    void refuse(ctx, { tool, userId: identity.userId }, 'TOOL_NOT_ALLOWED');
    throw new HandshakeError('TOOL_NOT_ALLOWED', `Tool ${tool} is not allowed`);
  }
  return { registered, identity };
}
