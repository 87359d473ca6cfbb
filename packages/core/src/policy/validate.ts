import { HandshakeError } from '@handshake/protocol';
import type { ParameterRule, StandardSchema } from '../tools/tool-provider.js';

function formatPath(path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined) {
  if (!path || path.length === 0) return 'parameters';
  return `parameters.${path
    .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
    .join('.')}`;
}

function readIssuePath(
  value: unknown,
  path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined,
): unknown {
  let current = value;
  for (const segment of path ?? []) {
    const key = typeof segment === 'object' ? segment.key : segment;
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * A schema's message, unless it quotes the rejected value (some validators write
 * `received 'EUR'`): error messages never carry parameter values.
 */
function safeIssueMessage(message: string | undefined, rejected: unknown): string {
  if (!message) return 'rejected by the schema';
  const shown =
    typeof rejected === 'string' || typeof rejected === 'number' || typeof rejected === 'bigint'
      ? String(rejected)
      : '';
  const quoted = [`'${shown}'`, `"${shown}"`, `\`${shown}\``];
  if (shown.length > 0 && quoted.some((q) => message.includes(q))) return 'rejected by the schema';
  if (shown.length >= 4 && message.includes(shown)) return 'rejected by the schema';
  return message;
}

/** Finds the first member present in `input` but dropped by the schema (an unknown field). */
function strippedPath(input: unknown, output: unknown, path: string): string | undefined {
  if (Array.isArray(input) && Array.isArray(output)) {
    for (let i = 0; i < input.length; i += 1) {
      const found = strippedPath(input[i], output[i], `${path}.${i}`);
      if (found) return found;
    }
    return undefined;
  }
  if (
    typeof input === 'object' &&
    input !== null &&
    typeof output === 'object' &&
    output !== null &&
    !Array.isArray(input)
  ) {
    for (const key of Object.keys(input)) {
      if (!Object.hasOwn(output, key)) return `${path}.${key}`;
      const found = strippedPath(
        (input as Record<string, unknown>)[key],
        (output as Record<string, unknown>)[key],
        `${path}.${key}`,
      );
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Validates parameters strictly: the schema must accept them and must not have
 * dropped any member (an unknown field is refused even when the schema itself would
 * strip it silently). Errors name the path, never the value.
 */
export async function validateStrict(
  tool: string,
  schema: StandardSchema,
  parameters: unknown,
): Promise<void> {
  const result = await schema['~standard'].validate(parameters);
  if (result.issues) {
    const issue = result.issues[0];
    const path = formatPath(issue?.path);
    throw new HandshakeError(
      'VALIDATION_ERROR',
      `Parameters of ${tool} are invalid at ${path}: ${safeIssueMessage(issue?.message, readIssuePath(parameters, issue?.path))}`,
      { path },
    );
  }
  const unknown = strippedPath(parameters, result.value, 'parameters');
  if (unknown) {
    throw new HandshakeError(
      'VALIDATION_ERROR',
      `Parameters of ${tool} have an unknown field at ${unknown}`,
      { path: unknown },
    );
  }
}

function readPath(value: unknown, path: string): unknown {
  let current = value;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** Checks regex rules; the value must match the whole pattern. */
export function checkRules(tool: string, rules: readonly ParameterRule[], parameters: unknown) {
  for (const rule of rules) {
    const value = readPath(parameters, rule.path);
    const path = `parameters.${rule.path}`;
    if (value === undefined) {
      if (rule.required) {
        throw new HandshakeError('VALIDATION_ERROR', `Parameters of ${tool} lack ${path}`, {
          path,
        });
      }
      continue;
    }
    const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
    const anchored = new RegExp(
      `^(?:${rule.pattern.source})$`,
      rule.pattern.flags.replace('g', ''),
    );
    if (typeof text !== 'string' || !anchored.test(text)) {
      throw new HandshakeError(
        'VALIDATION_ERROR',
        `Parameters of ${tool} fail the rule on ${path}${rule.description ? ` (${rule.description})` : ''}`,
        { path },
      );
    }
  }
}
