import type { Awaitable, Money, Tier } from '../types/common.js';

/**
 * A schema in the Standard Schema form (`~standard`), which zod 3.24+, zod 4,
 * valibot and arktype implement. Handshake only calls `validate`.
 */
export interface StandardSchema<Output = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  };
}

/** The result of a Standard Schema validation. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
      }>;
    };

/** A regular-expression rule on one parameter, checked at authorize for CONFIDENTIAL and above. */
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

/** MCP tool annotations, passed through to agents. */
export interface ToolAnnotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** What the engine tells a tool when it runs. */
export interface ToolContext {
  transactionId: string;
  userId: string;
  /** Aborted when the execution deadline passes. */
  signal: AbortSignal;
}

/** One tool a provider offers. */
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
  /** Merchant or payee shown to approvers. */
  payee?: (parameters: unknown) => string | undefined;
  /**
   * The last four digits of a card the call issued, read from its result for the
   * execute audit event. Anything but exactly four digits is ignored, so the audit
   * trail never holds more of a card number.
   */
  cardLast4?: (result: unknown) => string | undefined;
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
