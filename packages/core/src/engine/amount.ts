import { HandshakeError, type Money } from '@handshake/protocol';
import { type CountedAmount, countedAmount } from '../limits/amounts.js';
import type { ToolDefinition } from '../tools/tool-provider.js';
import type { EngineContext } from './context.js';
import { type CallFields, codeOf, refuse } from './refusals.js';

/**
 * The amount the tool declares for these parameters, as the tool answers it; nothing
 * for a tool that moves no money. A tool that cannot tell is refused (`PROVIDER_ERROR`
 * unless it threw a `HandshakeError` of its own).
 */
export async function declaredAmount(
  ctx: EngineContext,
  definition: ToolDefinition,
  parameters: unknown,
  fields: CallFields,
): Promise<Money | undefined> {
  if (!definition.amount) return undefined;
  try {
    return await definition.amount(parameters);
  } catch (error) {
    void refuse(ctx, fields, codeOf(error), 'amount');
    if (HandshakeError.isInstance(error)) throw error;
    throw new HandshakeError(
      'PROVIDER_ERROR',
      `The amount of ${definition.name} could not be determined`,
      { cause: error },
    );
  }
}

/** The declared amount as it counts against the caller's limits (converted if need be). */
export async function resolveAmount(
  ctx: EngineContext,
  definition: ToolDefinition,
  parameters: unknown,
  fields: CallFields,
): Promise<CountedAmount | undefined> {
  const money = await declaredAmount(ctx, definition, parameters, fields);
  if (!money) return undefined;
  return countedAmount(money, fields.userId, ctx.options.limits, ctx.options.exchangeRates);
}
