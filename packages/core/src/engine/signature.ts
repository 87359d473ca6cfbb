import { type ExecuteRequest, HandshakeError, verifyExecuteSignature } from '@handshake/protocol';
import type { SessionIdentity } from '../sessions/session-verifier.js';
import type { EngineContext } from './context.js';
import { type CallFields, refuse } from './refusals.js';

/**
 * Checks the signature an INTERNAL or higher tier asks of an execute: made with a key
 * registered for the user, over the tool, the parameters' hash and the transaction.
 * A missing or wrong signature is refused (`SIGNATURE_INVALID`) and audited.
 */
export async function checkSignature(
  ctx: EngineContext,
  request: ExecuteRequest,
  identity: SessionIdentity,
  paramsHash: string,
  base: CallFields,
): Promise<void> {
  const fail = (message: string): never => {
    void refuse(ctx, { ...base, paramsHash }, 'SIGNATURE_INVALID', 'execute');
    throw new HandshakeError('SIGNATURE_INVALID', message);
  };
  if (!request.signature) {
    return fail(`Execute of ${request.tool} needs a signature (tier ${base.tier})`);
  }
  if (!request.transactionId) return fail('A signed execute must name its transactionId');
  const keys = ctx.options.keys;
  const publicKey = keys ? await keys.resolve(identity.userId, request.signature.keyId) : undefined;
  if (!publicKey) return fail(`Key ${request.signature.keyId} is not registered for this user`);
  const valid = await verifyExecuteSignature(publicKey, request.signature.value, {
    tool: request.tool,
    paramsHash,
    transactionId: request.transactionId,
  });
  if (!valid) fail('The execute signature does not verify');
}
