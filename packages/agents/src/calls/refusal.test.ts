import { ERROR_CODES, HandshakeError } from '@handshake/protocol';
import { describe, expect, it } from 'vitest';
import { HandshakeToolRefusal, toModelRefusal } from './refusal.js';

describe('toModelRefusal', () => {
  it.each([...ERROR_CODES])(
    '%s: the code, one sentence, what to do next; nothing of the message',
    (code) => {
      const error = new HandshakeError(
        code,
        'Execute failed: POST http://127.0.0.1:8787/execute hset_secret',
        {
          path: 'amount.value',
        },
      );
      const refusal = toModelRefusal(error);
      expect(refusal.code).toBe(code);
      expect(refusal.text).toBe(`${code}: ${refusal.message} ${refusal.next}`);
      expect(refusal.text).not.toMatch(/http|127\.0|hset_|secret/);
      expect(refusal.message).toMatch(/\.$/);
      expect(refusal.next).toMatch(/\.$/);
    },
  );

  it('names the refused field, never a value that is not a plain path', () => {
    const named = toModelRefusal(
      new HandshakeError('VALIDATION_ERROR', 'bad', { path: 'parameters.amount.currency_code' }),
    );
    expect(named.text).toBe(
      'VALIDATION_ERROR: The parameters were refused at amount.currency_code. Fix them to match the tool’s input schema and call again.',
    );
    const odd = toModelRefusal(
      new HandshakeError('VALIDATION_ERROR', 'bad', { path: 'see https://x.example' }),
    );
    expect(odd.text).not.toContain('x.example');
  });

  it('anything that is not a HandshakeError is an internal error, its message withheld', () => {
    const refusal = toModelRefusal(
      new Error('ECONNREFUSED 10.0.0.1:6379 at Socket.connect (node:net:1)'),
    );
    expect(refusal.code).toBe('INTERNAL_ERROR');
    expect(refusal.text).not.toMatch(/ECONN|10\.0|node:/);
  });

  it('the thrown refusal prints as its text alone, without a stack', () => {
    const thrown = new HandshakeToolRefusal(
      toModelRefusal(new HandshakeError('APPROVAL_DENIED', 'x')),
    );
    expect(String(thrown)).toBe(thrown.refusal.text);
    expect(thrown.stack).not.toMatch(/\n\s+at /);
  });
});
