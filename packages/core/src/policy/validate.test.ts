import { HandshakeError } from '@handshake/protocol';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StandardSchema } from '../tools/tool-provider.js';
import { validateStrict } from './validate.js';

async function refusal(schema: StandardSchema, parameters: unknown) {
  try {
    await validateStrict('t', schema, parameters);
  } catch (error) {
    if (HandshakeError.isInstance(error)) return error;
  }
  throw new Error('expected a refusal');
}

describe('validateStrict', () => {
  it('names the path and keeps a schema message that does not quote the value', async () => {
    const error = await refusal(z.object({ a: z.object({ b: z.number() }) }), { a: { b: 'x' } });
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.path).toBe('parameters.a.b');
    expect(error.message).toMatch(/expected number/);
  });

  it('drops a schema message that quotes the rejected value', async () => {
    const echoing: StandardSchema = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (value) => ({
          issues: [
            {
              message: `Invalid enum value, received '${(value as { c: string }).c}'`,
              path: ['c'],
            },
          ],
        }),
      },
    };
    const error = await refusal(echoing, { c: 'secret-currency-XYZ' });
    expect(error.message).not.toContain('secret-currency-XYZ');
    expect(error.message).toContain('parameters.c');
  });

  it('refuses a member the schema would silently strip', async () => {
    const error = await refusal(z.object({ a: z.string() }), { a: 'x', extra: { deep: 1 } });
    expect(error.path).toBe('parameters.extra');
  });
});
