import { looksLikeCardNumber, TOKEN_PREFIXES } from '@handshake/protocol';

const MAX_LENGTH = 200;
const SECRET_TOKENS = [TOKEN_PREFIXES.ephemeral, TOKEN_PREFIXES.validation, TOKEN_PREFIXES.session];

/**
 * Makes a message from PayPal or the toolkit safe to pass on: at most 200 characters,
 * with anything that looks like a bearer credential, a PayPal access token, a Handshake
 * secret token or a card number replaced by `[redacted]`.
 */
export function safeMessage(text: string): string {
  let out = text
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]')
    // PayPal access tokens start with A21AA; client ids and secrets are long base64url runs.
    .replace(/\bA21AA[A-Za-z0-9._-]+/g, '[redacted]')
    .replace(/\b[A-Za-z0-9_-]{60,}\b/g, '[redacted]')
    .replace(/\b\d(?:[ -]?\d){12,18}\b/g, (run) => (looksLikeCardNumber(run) ? '[redacted]' : run));
  for (const prefix of SECRET_TOKENS) {
    out = out.replace(new RegExp(`${prefix}[A-Za-z0-9_-]+`, 'g'), '[redacted]');
  }
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > MAX_LENGTH ? `${out.slice(0, MAX_LENGTH - 1)}…` : out;
}
