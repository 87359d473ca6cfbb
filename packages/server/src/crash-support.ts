// What the crash tests share: a service started in a child process they kill, and the
// HTTP calls and signed purchase bodies they send it.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { AuditEvent } from '@handshake/core';
import { hashParams, signExecute } from '@handshake/protocol';
import { cardPurchaseParameters } from '@handshake/protocol/cards';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Starts the service of crash-child.ts; resolves its URL and the cards it reports issued. */
export function startChild(env: Record<string, string>) {
  const issued: string[] = [];
  let output = '';
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@handshake/source', `${here}crash-child.ts`],
    { cwd: `${here}..`, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<NodeJS.Signals | null>((resolve) => {
    child.on('exit', (_code, signal) => resolve(signal));
  });
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const match of output.matchAll(/^issued (\S+)$/gm)) {
        if (!issued.includes(match[1]!)) issued.push(match[1]!);
      }
      const listening = /^listening (\S+)$/m.exec(output);
      if (listening) resolve(listening[1]!);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', () => reject(new Error(`the service exited: ${output.slice(0, 500)}`)));
  });
  return { child, url, issued, exited, output: () => output };
}

/** A JSON call to the service with the session's bearer credential. */
export async function callService(base: string, session: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Validates a purchase and returns its signed create-virtual-card body. */
export async function purchaseBody(
  base: string,
  session: string,
  privateKey: string,
  merchant: string,
  amount: string,
) {
  const validation = await callService(base, session, '/api/mcp/validate-transaction', {
    merchant: { name: merchant },
    amount,
    currency: 'USD',
  });
  const { validation_token, transaction_id } = validation.body as Record<string, string>;
  if (validation.status !== 200 || !validation_token || !transaction_id) {
    throw new Error(`expected a validation token: ${JSON.stringify(validation.body)}`);
  }
  const parameters = cardPurchaseParameters(merchant, amount, 'USD');
  return {
    validation_token,
    merchant_name: merchant,
    transaction_amount: amount,
    transaction_currency: 'USD',
    card_amount: amount,
    card_currency: 'USD',
    transaction_id,
    signature: {
      keyId: 'k',
      value: signExecute(privateKey, {
        tool: 'create_virtual_card',
        paramsHash: hashParams(parameters),
        transactionId: transaction_id,
      }),
    },
  };
}

/** The events of a JSON-lines audit file. */
export async function auditEvents(path: string): Promise<AuditEvent[]> {
  return (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditEvent);
}
