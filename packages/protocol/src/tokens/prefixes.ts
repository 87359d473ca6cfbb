/**
 * Every kind of token and identifier Handshake issues.
 *
 * @example
 * ```ts
 * import { TOKEN_KINDS } from '@handshake/protocol';
 *
 * TOKEN_KINDS.includes('approval'); // true
 * ```
 */
export const TOKEN_KINDS = Object.freeze([
  'ephemeral',
  'validation',
  'approval',
  'transaction',
  'session',
] as const);

/**
 * A kind of token or identifier: secret bearer tokens, or public identifiers.
 *
 * @example
 * ```ts
 * import { TOKEN_PREFIXES, type TokenKind } from '@handshake/protocol';
 *
 * const kind: TokenKind = 'approval';
 * TOKEN_PREFIXES[kind]; // 'apr_'
 * ```
 */
export type TokenKind = (typeof TOKEN_KINDS)[number];

/**
 * The prefix of each kind. Prefixes make a token recognizable in logs and to secret
 * scanners, and none is a prefix of another, so the kind of a token is unambiguous.
 *
 * @example
 * ```ts
 * import { TOKEN_PREFIXES } from '@handshake/protocol';
 *
 * declare const message: string;
 * // a server's message that quotes an ephemeral token is not shown as it is
 * const leaks = message.includes(TOKEN_PREFIXES.ephemeral); // 'hset_…'
 * ```
 */
export const TOKEN_PREFIXES = Object.freeze({
  ephemeral: 'hset_',
  validation: 'hsvt_',
  session: 'hsst_',
  approval: 'apr_',
  transaction: 'tx_',
} as const satisfies Record<TokenKind, string>);
