import { HandshakeError } from '@handshake/protocol';

/**
 * What a model is told when a call does not run: a stable code, one sentence on what
 * happened and what it may do next. Never a URL, a token, a stack or a raw parameter
 * value: the text is built from fixed sentences and, at most, a field's path.
 *
 * @example
 * ```ts
 * import { type ModelRefusal, toModelRefusal } from '@handshake/agents';
 * declare const error: unknown;
 *
 * const refusal: ModelRefusal = toModelRefusal(error);
 * console.log(refusal.text); // "APPROVAL_DENIED: A person denied this call. Do not retry it; tell the user it was denied."
 * ```
 */
export interface ModelRefusal {
  /** The Handshake error code, `INTERNAL_ERROR` for anything unexpected. */
  code: string;
  /** What happened, in one sentence. */
  message: string;
  /** What the model may do next. */
  next: string;
  /** `code: message next`, the text handed to the model. */
  text: string;
}

type Sentences = readonly [message: string, next: string];

const SENTENCES: Record<string, Sentences> = {
  APPROVAL_DENIED: ['A person denied this call.', 'Do not retry it; tell the user it was denied.'],
  APPROVAL_EXPIRED: [
    'Nobody decided on this call in time, so it did not run.',
    'Ask the user whether to request it again.',
  ],
  TIMEOUT: [
    'The call is still waiting for a person to approve it and has not run.',
    'Do not retry; tell the user it awaits their approval.',
  ],
  LIMIT_EXCEEDED: [
    'This call is over the user’s spending limit and did not run.',
    'Do not retry; tell the user.',
  ],
  INSUFFICIENT_BALANCE: [
    'There is not enough balance for this call; it did not run.',
    'Do not retry; tell the user.',
  ],
  TOOL_NOT_ALLOWED: ['This tool is not available to you.', 'Do not call it again.'],
  TRANSACTION_MISMATCH: [
    'The call did not match what was authorized and did not run.',
    'Do not retry; tell the user.',
  ],
  RATE_LIMITED: ['Too many calls were made; this one did not run.', 'Wait before trying again.'],
  PROVIDER_ERROR: [
    'The tool failed at its provider.',
    'Do not retry; tell the user the call may not have completed.',
  ],
  ABORTED: ['The call was cancelled and did not run.', 'Do not retry unless the user asks.'],
};

const SETUP: Sentences = [
  'The call could not be authorized and did not run.',
  'Do not retry; tell the user the assistant’s access needs attention.',
];
for (const code of [
  'UNAUTHORIZED',
  'FORBIDDEN',
  'SIGNATURE_INVALID',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_ALREADY_USED',
]) {
  SENTENCES[code] = SETUP;
}

const UNAVAILABLE: Sentences = [
  'The authorization service is unavailable; the call did not run.',
  'You may try again later.',
];

/** A field path as the service reports it, reduced to names and indexes. */
function safePath(path: unknown): string | undefined {
  if (typeof path !== 'string' || path === '') return undefined;
  const cleaned = path.replace(/^parameters\.?/, '').replace(/^\$\.?/, '');
  return /^[A-Za-z0-9_.[\]-]{1,120}$/.test(cleaned) ? cleaned : undefined;
}

function refusal(code: string, [message, next]: Sentences): ModelRefusal {
  return { code, message, next, text: `${code}: ${message} ${next}` };
}

/**
 * Turns any failure of a call into the short, stable message a model may read.
 *
 * @example
 * ```ts
 * import { HandshakeError } from '@handshake/core';
 * import { toModelRefusal } from '@handshake/agents';
 *
 * const refusal = toModelRefusal(new HandshakeError('LIMIT_EXCEEDED', 'daily limit of alice: POST https://…'));
 * refusal.text; // "LIMIT_EXCEEDED: This call is over the user’s spending limit and did not run. Do not retry; tell the user."
 * ```
 */
export function toModelRefusal(error: unknown): ModelRefusal {
  if (!HandshakeError.isInstance(error)) return refusal('INTERNAL_ERROR', UNAVAILABLE);
  const code = error.code;
  if (code === 'VALIDATION_ERROR') {
    const path = safePath(error.path);
    return refusal(code, [
      path ? `The parameters were refused at ${path}.` : 'The parameters were refused.',
      'Fix them to match the tool’s input schema and call again.',
    ]);
  }
  return refusal(code, SENTENCES[code] ?? UNAVAILABLE);
}

/**
 * The error a tool throws so that its framework hands the model the refusal's text and
 * nothing else: its `message` is {@link ModelRefusal.text}, and it carries no cause.
 *
 * @example
 * ```ts
 * import { HandshakeToolRefusal } from '@handshake/agents';
 * declare const error: unknown;
 *
 * if (error instanceof HandshakeToolRefusal) console.log(error.refusal.code);
 * ```
 */
export class HandshakeToolRefusal extends Error {
  override readonly name = 'HandshakeToolRefusal';
  readonly refusal: ModelRefusal;

  constructor(refusal: ModelRefusal) {
    super(refusal.text);
    this.refusal = refusal;
    // A framework that prints the error shows the message, never where it was thrown.
    this.stack = `${this.name}: ${refusal.text}`;
  }

  /** The refusal's text alone: frameworks that print the error hand the model this. */
  override toString(): string {
    return this.refusal.text;
  }
}
