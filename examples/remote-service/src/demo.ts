/**
 * `pnpm demo`: the reference service and a scripted agent in one process, on the
 * embedded defaults (memory store, simulated tools, no credentials to set up). Each
 * step prints what is sent and what comes back, so the protocol can be learned by
 * reading the output.
 */
import { createHandshakeClient, type HandshakeClient } from '@handshake/client';
import {
  generateSigningKey,
  HandshakeError,
  hashParams,
  memoryAuditSink,
  signExecute,
  verifyAuditChain,
} from '@handshake/core';
import { serve } from '@handshake/core/node';
import { loadConfig } from './config.js';
import { createService } from './service.js';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) =>
  color ? `\u001b[${code}m${text}\u001b[0m` : text;
const bold = paint(1);
const dim = paint(2);
const green = paint(32);
const red = paint(31);
const yellow = paint(33);
const cyan = paint(36);

const show = (value: unknown) =>
  JSON.stringify(value, (key, v) =>
    key === 'ephemeralToken' && typeof v === 'string' ? `${v.slice(0, 12)}…` : v,
  );
let stepNo = 0;
const step = (title: string) => console.log(`\n${bold(`${++stepNo}. ${title}`)}`);
const say = (text: string) => console.log(`   ${text}`);
const ok = (text: string) => console.log(`   ${green('✔')} ${text}`);
const refused = (text: string) => console.log(`   ${red('✘')} ${text}`);

async function main() {
  const started = Date.now();
  // The demo owns its clock so it can show expiry without waiting 30 seconds.
  let skew = 0;
  const clock = { now: () => Date.now() + skew };
  const agentKey = generateSigningKey();
  const sessions = { agent: 'demo-session-agent-7f3c', phone: 'demo-session-phone-2b91' };
  const approverToken = 'demo-approver-token-5d8e1a';
  const audit = memoryAuditSink();
  const config = loadConfig({
    HANDSHAKE_SESSIONS: `alice:${sessions.agent},alice:${sessions.phone}`,
    HANDSHAKE_KEYS: `alice:agent-key:${agentKey.publicKey}`,
    HANDSHAKE_APPROVER_TOKEN: approverToken,
  });
  const service = await createService(config, { clock, audit: [audit] });
  const running = await serve(service.handler, { port: 0 });
  const base = running.url;

  console.log(bold('Handshake demo'));
  console.log(dim(`A scripted agent talks to the reference service at ${base}.`));
  console.log(
    dim('Every call is authorized first (bound to the tool and the hash of its parameters),'),
  );
  console.log(dim('then executed once with the single-use token that authorization returned.'));

  const tools = await service.engine.listTools();
  step('The service lists its tools and their tiers');
  for (const tool of tools)
    say(
      `${cyan(tool.tier.padEnd(12))} ${tool.name}${tool.movesMoney ? dim('  (moves money)') : ''}`,
    );

  const client: HandshakeClient = createHandshakeClient({
    baseUrl: base,
    session: sessions.agent,
    signer: { keyId: 'agent-key', privateKey: agentKey.privateKey },
  });

  const post = async (path: string, body: unknown, session?: string) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(session ? { authorization: `Bearer ${session}` } : {}),
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const signed = (
    tool: string,
    parameters: unknown,
    transactionId: string,
    privateKey = agentKey.privateKey,
  ) => ({
    transactionId,
    signature: {
      keyId: 'agent-key',
      value: signExecute(privateKey, { tool, paramsHash: hashParams(parameters), transactionId }),
    },
  });
  const errorCode = (body: Record<string, unknown>) =>
    (body.error as { code: string; message: string }).code;
  const errorMessage = (body: Record<string, unknown>) =>
    (body.error as { code: string; message: string }).message;

  // PUBLIC, shown phase by phase on the wire.
  step(`PUBLIC: ${cyan('get_exchange_rate')} needs no session — the two phases on the wire`);
  const rateParams = { from: 'EUR', to: 'USD' };
  say(`POST /authorize ${dim(show({ tool: 'get_exchange_rate', parameters: rateParams }))}`);
  const rateAuth = await post('/authorize', { tool: 'get_exchange_rate', parameters: rateParams });
  say(`← ${rateAuth.status} ${dim(show(rateAuth.body))}`);
  say(`POST /execute ${dim('{ ephemeralToken, tool, parameters }')}`);
  const rateDone = await post('/execute', {
    ephemeralToken: rateAuth.body.ephemeralToken,
    tool: 'get_exchange_rate',
    parameters: rateParams,
  });
  say(`← ${rateDone.status} ${dim(show(rateDone.body))}`);
  ok('executed once; the token is now spent');

  step(
    `INTERNAL: ${cyan('get_balance')} needs the session and an Ed25519 signature of the agent's key`,
  );
  say(
    dim(
      'client.call() authorizes, signs canonicalize({ tool, paramsHash, transactionId }) and executes',
    ),
  );
  const balance = await client.call('get_balance', {});
  ok(`result ${show(balance)}`);

  step(`CONFIDENTIAL: ${cyan('create_invoice')} is checked against its strict schema at authorize`);
  const invoice = {
    recipient_email: 'customer@example.com',
    amount: { value: '120.00', currency: 'USD' },
  };
  ok(`result ${show(await client.call('create_invoice', invoice))}`);
  try {
    await client.call('create_invoice', {
      ...invoice,
      recipient_email: 'not-an-email',
      discount: '100%',
    });
  } catch (error) {
    refused(`${(error as HandshakeError).code}: ${(error as HandshakeError).message}`);
    say(dim('refused before anything ran; nothing was authorized'));
  }

  step(`RESTRICTED: ${cyan('create_refund')} waits for a person to approve`);
  const refund = {
    capture_id: '2GG279541U471931P',
    amount: { value: '25.00', currency: 'USD' },
    note: 'Damaged item',
  };
  const human = simulatedApprover(base, approverToken, say);
  const refundResult = await client.call('create_refund', refund, {
    onStatus: (status) => {
      if (status.status === 'pending' && 'approvalId' in status)
        say(
          `${yellow('…')} pending approval ${dim(status.approvalId)}; the agent waits on the SSE stream`,
        );
      if (status.status === 'approved')
        say(`${green('✔')} approval received over SSE; executing with the token it carried`);
    },
  });
  await human;
  ok(`result ${show(refundResult)}`);

  step('Refusal: tampered parameters');
  const small = { ...invoice, amount: { value: '10.00', currency: 'USD' } };
  const big = { ...invoice, amount: { value: '10000.00', currency: 'USD' } };
  const tamperAuth = await post(
    '/authorize',
    { tool: 'create_invoice', parameters: small },
    sessions.agent,
  );
  say(
    `authorized an invoice for 10.00 USD ${dim(`(paramsHash ${String(tamperAuth.body.paramsHash).slice(0, 16)}…)`)}`,
  );
  const tampered = await post(
    '/execute',
    {
      ephemeralToken: tamperAuth.body.ephemeralToken,
      tool: 'create_invoice',
      parameters: big,
      ...signed('create_invoice', big, String(tamperAuth.body.transactionId)),
    },
    sessions.agent,
  );
  refused(
    `execute with 10000.00 USD → ${tampered.status} ${errorCode(tampered.body)}: ${errorMessage(tampered.body)}`,
  );
  const honest = await post(
    '/execute',
    {
      ephemeralToken: tamperAuth.body.ephemeralToken,
      tool: 'create_invoice',
      parameters: small,
      ...signed('create_invoice', small, String(tamperAuth.body.transactionId)),
    },
    sessions.agent,
  );
  ok(
    `the same token with the authorized parameters → ${honest.status} ${honest.body.status} (a mismatch does not burn it)`,
  );

  step('Replay: the same request again, from the same session and from another');
  const replayTx = await post(
    '/authorize',
    { tool: 'get_balance', parameters: {} },
    sessions.agent,
  );
  const replayRequest = {
    ephemeralToken: replayTx.body.ephemeralToken,
    tool: 'get_balance',
    parameters: {},
    ...signed('get_balance', {}, String(replayTx.body.transactionId)),
  };
  const first = await post('/execute', replayRequest, sessions.agent);
  say(`first execute → ${first.status} ${first.body.status}`);
  const retry = await post('/execute', replayRequest, sessions.agent);
  ok(
    `identical retry by the same session → ${retry.status}, replayed: ${retry.body.replayed} (stored result; the tool did not run again)`,
  );
  const stolen = await post('/execute', replayRequest, sessions.phone);
  refused(`the same token from another session → ${stolen.status} ${errorCode(stolen.body)}`);

  step('Expiry: a token lives 30 seconds');
  const late = await post('/authorize', { tool: 'get_balance', parameters: {} }, sessions.agent);
  skew += 31_000;
  say(dim('(the demo moves its clock 31 seconds ahead)'));
  const expired = await post(
    '/execute',
    {
      ephemeralToken: late.body.ephemeralToken,
      tool: 'get_balance',
      parameters: {},
      ...signed('get_balance', {}, String(late.body.transactionId)),
    },
    sessions.agent,
  );
  refused(`execute → ${expired.status} ${errorCode(expired.body)}`);

  step('Forged signature: signed with a key the user never registered');
  const forgedAuth = await post(
    '/authorize',
    { tool: 'get_balance', parameters: {} },
    sessions.agent,
  );
  const forger = generateSigningKey();
  const forged = await post(
    '/execute',
    {
      ephemeralToken: forgedAuth.body.ephemeralToken,
      tool: 'get_balance',
      parameters: {},
      ...signed('get_balance', {}, String(forgedAuth.body.transactionId), forger.privateKey),
    },
    sessions.agent,
  );
  refused(`execute → ${forged.status} ${errorCode(forged.body)}`);

  step('The audit trail');
  await service.engine.flushAudit();
  const verdict = verifyAuditChain(audit.events);
  const text = JSON.stringify(audit.events);
  const leaks = [
    sessions.agent,
    sessions.phone,
    approverToken,
    String(rateAuth.body.ephemeralToken),
  ].filter((s) => text.includes(s));
  say(
    `${audit.events.length} hash-chained events: ${audit.events
      .map((e) => e.type)
      .filter((t, i, a) => a.indexOf(t) === i)
      .join(', ')}`,
  );
  ok(
    verdict.ok
      ? 'chain verified: no event changed, removed or reordered'
      : `chain broken at ${verdict.index}`,
  );
  ok(
    leaks.length === 0 ? 'no token or session credential appears in it' : `leaked: ${leaks.length}`,
  );

  await running.close();
  await service.close();
  console.log(
    `\n${bold('Done')} in ${((Date.now() - started) / 1000).toFixed(1)} s. ${dim('Run the service: pnpm --dir examples/remote-service start')}`,
  );
  if (!verdict.ok || leaks.length > 0) process.exitCode = 1;
}

/** A person at the approvals API: sees the pending refund and approves it. */
async function simulatedApprover(base: string, token: string, say: (text: string) => void) {
  const headers = { authorization: `Bearer ${token}` };
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const response = await fetch(`${base}/approvals?status=pending`, { headers });
    const { approvals } = (await response.json()) as {
      approvals: Array<{
        approvalId: string;
        tool: string;
        amount?: { value: string; currency: string };
        payee?: string;
      }>;
    };
    const request = approvals[0];
    if (request) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      say(
        `👤 the approver sees ${request.tool} of ${request.amount?.value} ${request.amount?.currency} to ${request.payee} and approves`,
      );
      await fetch(`${base}/approvals/${request.approvalId}/decision`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'approve', reason: 'looks right' }),
      });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no approval request arrived');
}

main().catch((error: unknown) => {
  console.error(HandshakeError.isInstance(error) ? `${error.code}: ${error.message}` : error);
  process.exit(1);
});
