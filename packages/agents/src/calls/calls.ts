import type { HandshakeClient } from '@handshake/client';
import {
  type AuthorizedResponse,
  HandshakeError,
  hashParams,
  type PendingResponse,
  type ToolListing,
} from '@handshake/protocol';
import { forModel } from './model-result.js';
import { HandshakeToolRefusal, toModelRefusal } from './refusal.js';

/**
 * A call waiting for a decision, as an app shows it to a person. Carries no token.
 *
 * @example
 * ```ts
 * import type { PendingApproval } from '@handshake/agents';
 *
 * const show = (approval: PendingApproval) =>
 *   console.log(`${approval.tool} waits for approval ${approval.approvalId} until ${approval.expiresAt}`);
 * ```
 */
export interface PendingApproval {
  approvalId: string;
  transactionId: string;
  tool: string;
  /** The parameters the person is asked about, as the model sent them. */
  parameters: Record<string, unknown>;
  /** Their RFC 8785 hash, which a decision in chat must name. */
  paramsHash: string;
  expiresAt: string;
}

/**
 * Where a call stands between two framework steps: authorized with a token, or
 * waiting for a decision. Kept by tool call id while the framework pauses.
 *
 * @example
 * ```ts
 * import type { StartedCall } from '@handshake/agents';
 * declare const started: StartedCall;
 *
 * if (started.status === 'pending') console.log(started.approval.approvalId);
 * ```
 */
export type StartedCall =
  | {
      status: 'authorized';
      tool: string;
      parameters: Record<string, unknown>;
      answer: AuthorizedResponse;
    }
  | { status: 'pending'; approval: PendingApproval };

/**
 * Calls paused by a framework (an approval request, an interruption), by tool call id,
 * so the call resumes on the approval it started instead of asking again. The default
 * keeps them in memory; give a shared one when several instances serve a chat.
 *
 * @example
 * ```ts
 * import type { PendingCalls, StartedCall } from '@handshake/agents';
 *
 * const calls = new Map<string, StartedCall>();
 * const store: PendingCalls = {
 *   get: (id) => calls.get(id),
 *   set: (id, call) => void calls.set(id, call),
 *   delete: (id) => void calls.delete(id),
 * };
 * ```
 */
export interface PendingCalls {
  get(toolCallId: string): StartedCall | undefined | Promise<StartedCall | undefined>;
  set(toolCallId: string, call: StartedCall): void | Promise<void>;
  delete(toolCallId: string): void | Promise<void>;
}

/**
 * Paused calls kept in this process's memory (the default).
 *
 * @example
 * ```ts
 * import { memoryPendingCalls } from '@handshake/agents';
 *
 * const pending = memoryPendingCalls();
 * ```
 */
export function memoryPendingCalls(): PendingCalls {
  const calls = new Map<string, StartedCall>();
  return {
    get: (id) => calls.get(id),
    set: (id, call) => void calls.set(id, call),
    delete: (id) => void calls.delete(id),
  };
}

/** Options every adapter shares. */
export interface CallSettings {
  /** The tools to offer, by name (default: every tool of the service's catalog). */
  tools?: readonly string[];
  /** Where calls paused for a person wait (default: this process's memory). */
  pending?: PendingCalls;
  /** How long a tool waits for a person's decision (default: the client's, 15 minutes). */
  approvalTimeoutMs?: number;
  /** Hears each call that waits for a person: show the console, send a notification. */
  onPending?: (approval: PendingApproval) => void;
}

/**
 * What every adapter's tools start from: the tools to offer, where paused calls wait,
 * and the two phases of a call on the adapter's client, under its settings.
 */
export interface ToolSetup {
  /** The tools to offer, in the catalog's order. */
  listed: ToolListing[];
  /** Their names. */
  names: ReadonlySet<string>;
  pending: PendingCalls;
  /** {@link startCall}. */
  start(tool: string, input: unknown, signal?: AbortSignal): Promise<StartedCall>;
  /** {@link finishCall}, waiting for a person at most the settings' `approvalTimeoutMs`. */
  finish(started: StartedCall, signal?: AbortSignal): Promise<unknown>;
}

/** Resolves the settings every adapter shares and reads the tools to offer. */
export async function toolSetup(
  client: HandshakeClient,
  settings: CallSettings,
): Promise<ToolSetup> {
  const pending = settings.pending ?? memoryPendingCalls();
  const listed = await catalog(client, settings.tools);
  const { approvalTimeoutMs } = settings;
  return {
    listed,
    names: new Set(listed.map((listing) => listing.name)),
    pending,
    start: (tool, input, signal) => startCall(client, tool, input, signal),
    finish: (started, signal) =>
      finishCall(client, started, {
        ...(signal ? { signal } : {}),
        ...(approvalTimeoutMs !== undefined ? { approvalTimeoutMs } : {}),
      }),
  };
}

function objectOf(input: unknown): Record<string, unknown> {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    return input as Record<string, unknown>;
  }
  throw new HandshakeError('VALIDATION_ERROR', 'The tool input must be a JSON object', {
    path: 'parameters',
  });
}

/** Phase one: authorizes the exact parameters and checks the answer binds them. */
export async function startCall(
  client: HandshakeClient,
  tool: string,
  input: unknown,
  signal?: AbortSignal,
): Promise<StartedCall> {
  const parameters = objectOf(input);
  const answer = await client.authorize(tool, parameters, signal ? { signal } : {});
  if (answer.paramsHash !== hashParams(parameters)) {
    throw new HandshakeError('TRANSACTION_MISMATCH', 'The authorization binds other parameters');
  }
  if (answer.status === 'authorized') return { status: 'authorized', tool, parameters, answer };
  return { status: 'pending', approval: pendingOf(tool, parameters, answer) };
}

function pendingOf(
  tool: string,
  parameters: Record<string, unknown>,
  answer: PendingResponse,
): PendingApproval {
  return {
    approvalId: answer.approvalId,
    transactionId: answer.transactionId,
    tool,
    parameters,
    paramsHash: answer.paramsHash,
    expiresAt: answer.expiresAt,
  };
}

/**
 * Phase two: waits for the decision when one is needed (a denial throws
 * `APPROVAL_DENIED`), then executes with the token, signed by the client. Answers the
 * tool's result as a model may read it (no URL).
 */
export async function finishCall(
  client: HandshakeClient,
  started: StartedCall,
  options: { signal?: AbortSignal; approvalTimeoutMs?: number } = {},
): Promise<unknown> {
  return forModel(await run(client, started, options));
}

async function run(
  client: HandshakeClient,
  started: StartedCall,
  options: { signal?: AbortSignal; approvalTimeoutMs?: number } = {},
): Promise<unknown> {
  const signal = options.signal ? { signal: options.signal } : {};
  if (started.status === 'authorized') {
    const { tool, parameters, answer } = started;
    const done = await client.execute(
      {
        tool,
        parameters,
        ephemeralToken: answer.ephemeralToken,
        transactionId: answer.transactionId,
        tier: answer.tier,
      },
      signal,
    );
    return done.result;
  }
  const { approval } = started;
  const view = await client.waitForApproval(approval.approvalId, {
    ...signal,
    ...(options.approvalTimeoutMs !== undefined ? { timeoutMs: options.approvalTimeoutMs } : {}),
  });
  if (
    view.transactionId !== approval.transactionId ||
    view.tool !== approval.tool ||
    view.paramsHash !== approval.paramsHash
  ) {
    throw new HandshakeError('TRANSACTION_MISMATCH', 'The approval is for another call');
  }
  // Reading an approved approval issues a token to this session; none means it was spent.
  const token =
    view.ephemeralToken ??
    (await client.approvalStatus(approval.approvalId, signal)).ephemeralToken;
  if (!token) throw new HandshakeError('TOKEN_ALREADY_USED', 'The approval issued no token');
  const done = await client.execute(
    {
      tool: approval.tool,
      parameters: approval.parameters,
      ephemeralToken: token,
      transactionId: approval.transactionId,
      tier: view.tier,
    },
    signal,
  );
  return done.result;
}

/** Runs `finish`, turning any failure into a {@link HandshakeToolRefusal}. */
export async function refusing<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new HandshakeToolRefusal(toModelRefusal(error));
  }
}

/**
 * The tools of the service's catalog, in its order; with `names`, those tools only (a
 * name the service does not offer is an error at setup, not a surprise at run time).
 */
export async function catalog(
  client: HandshakeClient,
  names?: readonly string[],
): Promise<ToolListing[]> {
  const listed = await client.tools();
  if (!names) return listed;
  const byName = new Map(listed.map((tool) => [tool.name, tool]));
  const missing = names.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    throw new HandshakeError(
      'TOOL_NOT_ALLOWED',
      `The service offers no tool ${missing.join(', ')}`,
    );
  }
  return names.map((name) => byName.get(name) as ToolListing);
}

/** A JSON Schema for the tool's input: the service's, or any object. */
export function inputSchemaOf(tool: ToolListing): Record<string, unknown> {
  return tool.inputSchema ?? { type: 'object', properties: {}, additionalProperties: true };
}
