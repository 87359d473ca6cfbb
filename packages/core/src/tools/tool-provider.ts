import type { Money, Tier } from '@handshake/protocol';
import type { Awaitable } from '../types/common.js';

/**
 * A schema in the Standard Schema form (`~standard`), which zod 3.24+, zod 4,
 * valibot and arktype implement. Handshake only calls `validate`.
 *
 * @example
 * ```ts
 * import type { StandardSchema } from '@handshake/core';
 * import { z } from 'zod';
 *
 * const input: StandardSchema = z.object({ order_id: z.string() }); // zod 4 implements Standard Schema
 * ```
 */
export interface StandardSchema<Output = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  };
}

/**
 * The result of a Standard Schema validation.
 *
 * @example
 * ```ts
 * import type { StandardResult } from '@handshake/core';
 *
 * const ok: StandardResult<{ id: string }> = { value: { id: 'O-1' } };
 * const failed: StandardResult<{ id: string }> = { issues: [{ message: 'required', path: ['id'] }] };
 * ```
 */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
      }>;
    };

/**
 * A regular-expression rule on one parameter, checked at authorize for CONFIDENTIAL and above.
 *
 * @example
 * ```ts
 * import type { ParameterRule } from '@handshake/core';
 *
 * const rule: ParameterRule = {
 *   path: 'amount.currency_code',
 *   pattern: /^(USD|EUR)$/,
 *   required: true,
 *   description: 'refunds in USD or EUR only',
 * };
 * ```
 */
export interface ParameterRule {
  /** Dotted path into the parameters, e.g. `invoice.amount.currency_code`. */
  path: string;
  /** The pattern the value (a string, or a number as its decimal form) must match in full. */
  pattern: RegExp;
  /** When true the parameter must be present. */
  required?: boolean;
  /** What the rule protects, used in the error message. */
  description?: string;
}

/**
 * MCP tool annotations, passed through to agents.
 *
 * @example
 * ```ts
 * import type { ToolAnnotations } from '@handshake/core';
 *
 * const annotations: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: false };
 * ```
 */
export interface ToolAnnotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/**
 * What the engine tells a tool when it runs.
 *
 * @example
 * ```ts
 * import type { ToolContext } from '@handshake/core';
 *
 * async function execute(name: string, parameters: unknown, context: ToolContext) {
 *   // pass the signal on, so a call past its deadline stops
 *   const response = await fetch('https://ledger.example.com/transfers', {
 *     method: 'POST',
 *     headers: { 'idempotency-key': context.transactionId },
 *     body: JSON.stringify(parameters),
 *     signal: context.signal,
 *   });
 *   return response.json();
 * }
 * ```
 */
export interface ToolContext {
  transactionId: string;
  userId: string;
  /** Aborted when the execution deadline passes. */
  signal: AbortSignal;
  /**
   * What the caller of `engine.execute` settled for this execution beside the
   * parameters (its `CallerContext.terms`), e.g. the card a route was asked for. Not
   * bound by the token: a tool checks the terms against the authorized parameters.
   */
  terms?: unknown;
}

/**
 * One tool a provider offers.
 *
 * @example
 * ```ts
 * import type { ToolDefinition } from '@handshake/core';
 * import { z } from 'zod';
 *
 * const transfer: ToolDefinition = {
 *   name: 'transfer',
 *   description: 'Move money between two ledger accounts',
 *   tier: 'RESTRICTED',
 *   inputSchema: z.object({ from: z.string(), to: z.string(), amount: z.string(), currency: z.string() }),
 *   amount: (parameters) => {
 *     const { amount, currency } = parameters as { amount: string; currency: string };
 *     return { value: amount, currency };
 *   },
 *   payee: (parameters) => (parameters as { to: string }).to,
 * };
 * ```
 */
export interface ToolDefinition {
  name: string;
  description: string;
  /** The tier the provider suggests; a policy may raise it, never lower it. */
  tier: Tier;
  /** The tool's input schema; checked strictly (unknown fields refused) at CONFIDENTIAL and above. */
  inputSchema?: StandardSchema;
  /** JSON Schema of the input, for listings and MCP registration. */
  jsonSchema?: Record<string, unknown>;
  /** Regex rules checked at CONFIDENTIAL and above. */
  rules?: readonly ParameterRule[];
  /**
   * The amount this call moves, when it moves money. Counted against spending limits.
   * May be async (e.g. fetch an order to learn what paying it costs).
   */
  amount?: (parameters: unknown) => Awaitable<Money | undefined>;
  /**
   * Set when `amount` reads the amount from outside the parameters (an order at the
   * payment provider) and it may change after authorize. Execute then calls `amount`
   * again before the token is consumed, and refuses a different amount or currency
   * with `TRANSACTION_MISMATCH`; the token stays usable for the amount authorized.
   */
  recheckAmount?: boolean;
  /** Merchant or payee shown to approvers. */
  payee?: (parameters: unknown) => Awaitable<string | undefined>;
  /**
   * Short, non-secret facts about a call's result for the execute audit event, e.g.
   * `{ cardLast4: '4242' }` for a card it issued. Cleaned by `auditAttributes` (string
   * values of at most 64 characters, 8 in all, no secret-named key, no card number);
   * a function that throws adds nothing.
   */
  auditAttributes?: (result: unknown) => Record<string, string> | undefined;
  annotations?: ToolAnnotations;
}

/**
 * Lists tools and runs them. The engine only calls `execute` after a token has been
 * consumed, so an implementation does no authorization of its own.
 *
 * @example
 * ```ts
 * import type { ToolProviderV1 } from '@handshake/core';
 *
 * const provider: ToolProviderV1 = {
 *   specificationVersion: 'v1',
 *   listTools: () => [{ name: 'get_balance', description: 'Read the balance', tier: 'INTERNAL' }],
 *   execute: (name, parameters) => ({ balance: { value: '12.00', currency: 'USD' } }),
 * };
 * ```
 */
export interface ToolProviderV1 {
  readonly specificationVersion: 'v1';
  listTools(): Awaitable<readonly ToolDefinition[]>;
  /**
   * Runs a tool. Throw a `HandshakeError('PROVIDER_ERROR', …)` (or any error) when the
   * call failed; the engine reports `PROVIDER_ERROR` without the error's detail.
   */
  execute(name: string, parameters: unknown, context: ToolContext): Awaitable<unknown>;
}
