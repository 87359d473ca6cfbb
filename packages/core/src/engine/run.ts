import {
  type ExecuteRequest,
  type ExecuteResponse,
  formatMoney,
  HandshakeError,
} from '@handshake/protocol';
import { type AuditAttributes, auditAttributes } from '../audit/audit-attributes.js';
import type { TransactionRecord } from '../store/records.js';
import type { ToolDefinition } from '../tools/tool-provider.js';
import { type EngineContext, recordOutcome } from './context.js';
import { reservationChanged } from './observer.js';
import type { CallFields } from './refusals.js';
import type { RegisteredTool } from './registry.js';

/** Where a consumed token's outcome is recorded: its partition and digest. */
export interface ConsumedToken {
  partition: string;
  digest: string;
}

/** Added to an execute event's detail when the store could not record the outcome. */
export const NOT_STORED = '; outcome not stored';

class ExecutionTimeout extends Error {}

/**
 * Runs the tool of a consumed token, at most `executionTimeoutMs`, and records its
 * outcome for replay. A definite failure gives the call's reservation back; a timeout
 * keeps it counted, because the payment may have gone through.
 */
export async function runTool(
  ctx: EngineContext,
  registered: RegisteredTool,
  request: ExecuteRequest,
  record: TransactionRecord,
  consumed: ConsumedToken,
  base: CallFields,
  paramsHash: string,
  terms?: unknown,
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
          ...(terms !== undefined ? { terms } : {}),
        }),
      ),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new ExecutionTimeout());
        }, ctx.timings.executionTimeoutMs);
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
  const complete = async (
    outcome: Parameters<EngineContext['store']['complete']>[0]['outcome'],
    action: 'commit' | 'release',
    reason: 'completed' | 'timeout' | 'failed',
  ) => {
    const stored = await recordOutcome(
      ctx,
      consumed,
      outcome,
      record.reservationId ? { reservationId: record.reservationId, action } : undefined,
    );
    if (stored && record.reservationId) {
      reservationChanged(ctx, {
        action: action === 'commit' ? 'committed' : 'released',
        reason,
        amountMinor: record.amountMinor,
        currency: record.currency ?? '',
        tool: record.tool,
      });
    }
    return stored;
  };
  if (failure) {
    const message = failure.timedOut
      ? `${request.tool} did not finish in time; its outcome is unknown`
      : providerMessage(request.tool, failure.error);
    const stored = await complete(
      { status: 'failed', code: 'PROVIDER_ERROR', message },
      failure.timedOut ? 'commit' : 'release',
      failure.timedOut ? 'timeout' : 'failed',
    );
    await ctx.audit.record({
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
  const stored = await complete(
    { status: 'completed', result: result ?? null },
    'commit',
    'completed',
  );
  const attributes = resultAttributes(registered.definition, result);
  await ctx.audit.record({
    type: 'execute',
    outcome: 'completed',
    transactionId: record.transactionId,
    ...base,
    paramsHash,
    ...amount,
    ...(record.approvalId ? { approvalId: record.approvalId } : {}),
    ...(attributes ? { attributes } : {}),
    ...(stored ? {} : { detail: NOT_STORED.slice(2) }),
  });
  return { status: 'completed', transactionId: record.transactionId, result: result ?? null };
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

/** The cleaned audit attributes a tool reports for a result, or nothing. */
function resultAttributes(
  definition: ToolDefinition,
  result: unknown,
): AuditAttributes | undefined {
  try {
    return auditAttributes(definition.auditAttributes?.(result));
  } catch {
    return undefined;
  }
}
