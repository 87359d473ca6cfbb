/**
 * What of `received` a model must never read: URLs and loopback addresses, Handshake
 * tokens and identifiers (`hset_`, `hsvt_`, `hsst_`, `apr_`, `tx_`), and any of
 * `secrets`. Answers the kinds found, empty when clean.
 *
 * @example
 * ```ts
 * import { leaksIn } from '@handshake/agents/testing';
 * declare const everyPromptTheModelReceived: unknown[];
 *
 * const leaks = leaksIn(everyPromptTheModelReceived, ['session-token-of-the-agent']);
 * if (leaks.length > 0) throw new Error(`the model saw ${leaks.join(', ')}`);
 * ```
 */
export function leaksIn(received: unknown, secrets: readonly string[] = []): string[] {
  const text = JSON.stringify(received) ?? '';
  const found: string[] = [];
  if (/https?:|127\.0\.0\.1|localhost/i.test(text)) found.push('a URL');
  if (/hset_|hsvt_|hsst_/.test(text)) found.push('a token');
  if (/apr_|tx_[A-Za-z0-9_-]{8}/.test(text)) found.push('an approval or transaction id');
  if (secrets.some((secret) => secret !== '' && text.includes(secret))) found.push('a credential');
  return found;
}

/**
 * Prints whether a model saw anything it must not ({@link leaksIn}) and sets a failing
 * exit code if it did: the last line of each example.
 *
 * @example
 * ```ts
 * import { reportLeaks } from '@handshake/agents/testing';
 * declare const everyPromptTheModelReceived: unknown[];
 *
 * reportLeaks(everyPromptTheModelReceived, ['session-token-of-the-agent']);
 * ```
 */
export function reportLeaks(received: unknown, secrets: readonly string[] = []): void {
  const leaks = leaksIn(received, secrets);
  console.log(
    leaks.length === 0
      ? 'the model saw no URL, token or credential'
      : `LEAK: the model saw ${leaks.join(', ')}`,
  );
  if (leaks.length > 0) process.exitCode = 1;
}
