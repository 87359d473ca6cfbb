import type { StandardSchema } from '@handshake/core';
import { HandshakeError } from '@handshake/protocol';
import type { z } from 'zod/v3';

/**
 * A toolkit tool's input schema: a zod 3 object. The toolkit's own schemas come from its
 * `zod@3` and the corrected ones from `zod/v3`; both are handled through this API only.
 */
export type ToolkitSchema = z.AnyZodObject;

type Issue = z.ZodIssue;

/**
 * Describes one zod 3 issue without quoting the rejected value (zod's own messages for
 * enums and literals repeat what was received).
 */
export function describeIssue(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.received === 'undefined'
        ? 'is required'
        : `expected ${issue.expected}, received ${issue.received}`;
    case 'invalid_enum_value':
      return `expected one of ${issue.options.map(String).join(', ')}`;
    case 'invalid_literal':
      return `expected ${JSON.stringify(issue.expected)}`;
    case 'unrecognized_keys':
      return `unknown field ${issue.keys.join(', ')}`;
    case 'invalid_union':
    case 'invalid_union_discriminator':
      return 'matches none of the allowed forms';
    case 'invalid_string':
    case 'too_small':
    case 'too_big':
    case 'not_multiple_of':
    case 'not_finite':
    case 'invalid_date':
    case 'custom':
      // zod's messages for these name the rule ("Invalid PayPal Order ID", "Number must be
      // greater than or equal to 1"), never the value.
      return issue.message;
    default:
      return 'is invalid';
  }
}

/** `parameters.a.b` for a zod path. */
export function parameterPath(path: ReadonlyArray<string | number>): string {
  return path.length === 0 ? 'parameters' : `parameters.${path.join('.')}`;
}

/**
 * Parses `parameters` with a tool's schema, as the toolkit's MCP server would before
 * calling it (its `run()` does not validate when called directly). Returns the parsed
 * value, defaults applied.
 *
 * @throws {HandshakeError} `code` (`PROVIDER_ERROR` unless said otherwise) naming the path
 * and the rule, never the value.
 */
export function parseToolParameters(
  tool: string,
  schema: ToolkitSchema,
  parameters: unknown,
  code: 'PROVIDER_ERROR' | 'VALIDATION_ERROR' = 'PROVIDER_ERROR',
) {
  const result = schema.safeParse(parameters);
  if (result.success) return result.data as Record<string, unknown>;
  const issue = result.error.issues[0];
  const path = parameterPath(issue?.path ?? []);
  throw new HandshakeError(
    code,
    `Parameters of ${tool} are invalid at ${path}: ${issue ? describeIssue(issue) : 'rejected by the schema'}`,
    { path },
  );
}

/**
 * The Standard Schema view of a toolkit schema that the engine checks at authorize, with
 * issue messages that never repeat a parameter's value.
 */
export function standardSchemaOf(schema: ToolkitSchema): StandardSchema<Record<string, unknown>> {
  return {
    '~standard': {
      version: 1,
      vendor: 'zod',
      validate: (value) => {
        const result = schema.safeParse(value);
        if (result.success) return { value: result.data as Record<string, unknown> };
        return {
          issues: result.error.issues.map((issue) => ({
            message: describeIssue(issue),
            path: issue.path,
          })),
        };
      },
    },
  };
}
