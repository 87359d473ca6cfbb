/**
 * `pnpm demo`: the reference service and a scripted agent in one process, on the
 * embedded defaults (memory store, simulated tools and card issuer, no credentials to
 * set up). Each step prints what is sent and what comes back, so the protocol can be
 * learned by reading the output.
 *
 * `pnpm demo --serve` runs the same script on PORT (default 8787), then keeps the
 * service running in the foreground, with the approval console, until Ctrl-C.
 */
import {
  type CardCreationResponse,
  createHandshakeClient,
  type HandshakeClient,
  type SpendLimitsResponse,
} from '@handshake/client';
import { memoryAuditSink, verifyAuditChain } from '@handshake/core';
import { serve } from '@handshake/core/node';
import { generateSigningKey, HandshakeError } from '@handshake/protocol';
import {
  SIMULATED_STRIPE_SECRET_KEY,
  SIMULATED_STRIPE_WEBHOOK_SECRET,
} from '@handshake/stripe/testing';
import { loadConfig } from './config.js';
import { createService } from './service.js';
import { sendRequest, signedExecute, type WireAnswer } from './wire-requests.js';

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

// `pnpm demo --serve` and `pnpm demo -- --serve` both end up here with `--serve`.
const foreground = process.argv.slice(2).includes('--serve');
/** A limit's name as a person says it: the `transaction` window is the per-purchase limit. */
const limitName = (window: string) => (window === 'transaction' ? 'per-purchase' : window);

/**
 * `HANDSHAKE_CARD_ISSUER=stripe pnpm demo`: cards through the Stripe issuer and its
 * authorization webhook. Without keys of your own, test-mode keys of the simulation,
 * and Stripe's API simulated in process (STRIPE_API=simulated) unless you say otherwise.
 */
function stripeSettings(): Record<string, string> {
  if (process.env.HANDSHAKE_CARD_ISSUER !== 'stripe') return {};
  const env = process.env;
  return {
    HANDSHAKE_CARD_ISSUER: 'stripe',
    STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY ?? SIMULATED_STRIPE_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET: env.STRIPE_WEBHOOK_SECRET ?? SIMULATED_STRIPE_WEBHOOK_SECRET,
    STRIPE_API: env.STRIPE_API ?? 'simulated',
    ...(env.HANDSHAKE_STRIPE_ALLOW_LIVE
      ? { HANDSHAKE_STRIPE_ALLOW_LIVE: env.HANDSHAKE_STRIPE_ALLOW_LIVE }
      : {}),
  };
}

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
    // Purchases up to 100.00 go through on their own; above that, or past 250.00 in a
    // day, the user is asked. The RESTRICTED refund below counts against them too.
    HANDSHAKE_LIMITS: '{"currency":"USD","daily":"250.00","transaction":"100.00"}',
    ...(foreground && process.env.PORT ? { PORT: process.env.PORT } : {}),
    ...stripeSettings(),
  });
  const service = await createService(config, { clock, audit: [audit] });
  // Loopback only: the demo's credentials are printed and published in this file.
  const running = await serve(service.handler, { port: foreground ? config.port : 0 }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        console.error(`Port ${config.port} is in use: run with PORT=<another port>`);
        process.exit(1);
      }
      throw error;
    },
  );
  const base = running.url;

  console.log(bold('Handshake demo'));
  console.log(dim(`A scripted agent talks to the reference service at ${base}.`));
  console.log(
    dim('Every call is authorized first (bound to the tool and the hash of its parameters),'),
  );
  console.log(dim('then executed once with the single-use token that authorization returned.'));
  console.log(dim(`Virtual cards: ${service.cards}.`));

  const tools = await service.engine.listTools();
  step("The service lists its tools and their tiers: PayPal's agent toolkit (simulated) and more");
  for (const tier of ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'RESTRICTED'] as const) {
    const names = tools.filter((tool) => tool.tier === tier).map((tool) => tool.name);
    const shown = names.length > 6 ? [...names.slice(0, 6), `… ${names.length - 6} more`] : names;
    say(`${cyan(tier.padEnd(12))} ${String(names.length).padStart(2)}  ${dim(shown.join(', '))}`);
  }

  // An order the simulated PayPal account already holds.
  const readParams = { id: '5O190127TN364715T' };
  const client: HandshakeClient = createHandshakeClient({
    baseUrl: base,
    session: sessions.agent,
    signer: { keyId: 'agent-key', privateKey: agentKey.privateKey },
  });

  const post = (path: string, body: unknown, session?: string) =>
    sendRequest(`${base}${path}`, 'POST', body, session);
  const authorize = (tool: string, parameters: unknown) =>
    post('/authorize', { tool, parameters }, sessions.agent);
  /** The execute of what `auth` authorized, signed by the agent's key (or `privateKey`). */
  const executeRequest = (
    auth: WireAnswer,
    tool: string,
    parameters: unknown,
    privateKey = agentKey.privateKey,
  ) => ({
    ephemeralToken: auth.body.ephemeralToken,
    tool,
    parameters,
    ...signedExecute(
      { keyId: 'agent-key', privateKey },
      tool,
      parameters,
      String(auth.body.transactionId),
    ),
  });
  const execute = (auth: WireAnswer, tool: string, parameters: unknown, privateKey?: string) =>
    post('/execute', executeRequest(auth, tool, parameters, privateKey), sessions.agent);
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
    `INTERNAL: ${cyan('get_order')} needs the session and an Ed25519 signature of the agent's key`,
  );
  say(
    dim(
      'client.call() authorizes, signs canonicalize({ tool, paramsHash, transactionId }) and executes',
    ),
  );
  const order = await client.call<{ id: string; status: string }>('get_order', readParams);
  ok(`PayPal order ${order.id}: ${order.status}`);

  step(`CONFIDENTIAL: ${cyan('create_product')} is checked against its strict schema at authorize`);
  const product = { name: 'Travel mug', type: 'PHYSICAL' };
  const created = await client.call<{ id: string; name: string }>('create_product', product);
  ok(`PayPal product ${created.id} (${created.name})`);
  try {
    await client.call('create_product', { ...product, type: 'FURNITURE', discount: '100%' });
  } catch (error) {
    refused(`${(error as HandshakeError).code}: ${(error as HandshakeError).message}`);
    say(dim('refused before anything ran; nothing was authorized'));
  }

  step(`RESTRICTED: ${cyan('create_refund')} waits for a person to approve`);
  const refund = {
    capture_id: '3C679366HH908993F',
    amount: { currency_code: 'USD', value: '25.00' },
    note_to_payer: 'Damaged item',
  };
  const human = simulatedApprover(base, approverToken, 'create_refund', say);
  const refundResult = await client.call<{ id: string; status: string }>('create_refund', refund, {
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
  ok(`PayPal refund ${refundResult.id}: ${refundResult.status}`);

  step('Refusal: tampered parameters');
  const mugs = (itemCost: number) => ({
    currencyCode: 'USD',
    items: [{ name: 'Travel mug', quantity: 1, itemCost, itemTotal: itemCost }],
  });
  const small = mugs(10);
  const big = mugs(10000);
  const tamperAuth = await authorize('create_order', small);
  say(
    `authorized ${cyan('create_order')} for one mug at 10 USD ${dim(`(paramsHash ${String(tamperAuth.body.paramsHash).slice(0, 16)}…)`)}`,
  );
  const tampered = await execute(tamperAuth, 'create_order', big);
  refused(
    `execute with the mug at 10000 USD → ${tampered.status} ${errorCode(tampered.body)}: ${errorMessage(tampered.body)}`,
  );
  const honest = await execute(tamperAuth, 'create_order', small);
  ok(
    `the same token with the authorized parameters → ${honest.status} ${honest.body.status} (a mismatch does not burn it)`,
  );

  step('Replay: the same request again, from the same session and from another');
  const replayTx = await authorize('get_order', readParams);
  const replayRequest = executeRequest(replayTx, 'get_order', readParams);
  const first = await post('/execute', replayRequest, sessions.agent);
  say(`first execute → ${first.status} ${first.body.status}`);
  const retry = await post('/execute', replayRequest, sessions.agent);
  ok(
    `identical retry by the same session → ${retry.status}, replayed: ${retry.body.replayed} (stored result; the tool did not run again)`,
  );
  const stolen = await post('/execute', replayRequest, sessions.phone);
  refused(`the same token from another session → ${stolen.status} ${errorCode(stolen.body)}`);

  step('Expiry: a token lives 30 seconds');
  const late = await authorize('get_order', readParams);
  skew += 31_000;
  say(dim('(the demo moves its clock 31 seconds ahead)'));
  const expired = await execute(late, 'get_order', readParams);
  refused(`execute → ${expired.status} ${errorCode(expired.body)}`);

  step('Forged signature: signed with a key the user never registered');
  const forgedAuth = await authorize('get_order', readParams);
  const forger = generateSigningKey();
  const forged = await execute(forgedAuth, 'get_order', readParams, forger.privateKey);
  refused(`execute → ${forged.status} ${errorCode(forged.body)}`);

  // The purchase API of the same service (/api/mcp): a validation authorizes a card
  // purchase, a card is its execute.
  const remaining = (limits: SpendLimitsResponse) =>
    `${limits.daily?.remaining} of ${limits.daily?.amount} ${limits.currency} left today (${limits.daily?.used} used)`;
  const cardLine = (card: CardCreationResponse) =>
    `single-use ${card.brand} card •••• ${card.last4}, expires ${String(card.expMonth).padStart(2, '0')}/${card.expYear}, limit ${card.spendingLimit} ${card.currency}, works for 5 minutes`;

  step(`Spending limits: ${cyan('GET /api/mcp/limits')}`);
  const before = await client.spend.limits();
  say(`daily: ${remaining(before)} ${dim('— the approved refund counts')}`);
  say(
    `per purchase: ${before.transaction?.amount} ${before.transaction?.currency} ${dim('— above it, the user is asked')}`,
  );

  step('A purchase within the limits: validated at once, paid with a single-use virtual card');
  const book = { merchant: 'Example Books', amount: '40.00', currency: 'USD' };
  say(`validate ${book.amount} ${book.currency} at ${book.merchant}`);
  const bookValidation = await client.spend.validateTransaction(book);
  ok(
    `${bookValidation.status}: validation token ${dim(`${bookValidation.validationToken.slice(0, 12)}…`)} (single use, 30 s)`,
  );
  const bookCard = await client.spend.createVirtualCard(bookValidation);
  ok(`${cardLine(bookCard)} ${dim('(request signed by the agent key)')}`);
  const elsewhere = await client.spend
    .mockCheckout({ card: bookCard, merchant: 'Other Shop' })
    .catch((error: unknown) => error);
  refused(
    `checkout at Other Shop → ${HandshakeError.isInstance(elsewhere) ? `declined, ${elsewhere.code}` : 'accepted?!'} (the card is locked to ${book.merchant})`,
  );
  const bookOrder = await client.spend.mockCheckout({
    card: bookCard,
    product: { name: 'A field guide to birds' },
  });
  ok(
    `checkout: order ${bookOrder.status}, ${bookOrder.payment.amount} ${bookOrder.payment.currency} charged to •••• ${bookOrder.payment.last4}`,
  );

  step('A purchase over the per-purchase limit: the user approves while the agent waits on SSE');
  const headphones = { merchant: 'Example Audio', amount: '120.00', currency: 'USD' };
  say(`validate ${headphones.amount} ${headphones.currency} at ${headphones.merchant}`);
  const buyer = simulatedApprover(base, approverToken, 'create_virtual_card', say);
  let polled = false;
  const audioValidation = await client.spend.validateTransaction(headphones, {
    onStatus: (status) => {
      if (status.status === 'pending')
        say(
          `${yellow('…')} pending ${dim(status.authorizationId)} (over the ${status.reasons.map(limitName).join(', ')} limit); the agent waits on the SSE stream`,
        );
      if (status.status === 'polling') {
        polled = true;
        say(dim(`the stream was lost (${status.reason}); polling authorization-status`));
      }
    },
  });
  await buyer;
  ok(
    polled
      ? `${audioValidation.status}: the validation token came with the status read`
      : `${audioValidation.status} over SSE: the validation token arrived on the stream`,
  );
  const audioCard = await client.spend.createVirtualCard(audioValidation);
  ok(cardLine(audioCard));
  const audioOrder = await client.spend.mockCheckout({
    card: audioCard,
    amount: '119.99',
    product: { name: 'Wireless headphones' },
  });
  ok(
    `checkout: order ${audioOrder.status}, ${audioOrder.payment.amount} ${audioOrder.payment.currency} charged to •••• ${audioOrder.payment.last4}, receipt ${dim(String(audioOrder.receipt.receipt_number))}`,
  );
  const reuse = await client.spend
    .mockCheckout({ card: audioCard, amount: '1.00' })
    .catch((error: unknown) => error);
  refused(
    `the same card again → ${HandshakeError.isInstance(reuse) ? reuse.code : 'accepted?!'} (single use)`,
  );
  // With Stripe, the capture arrives as an event and is counted at the captured amount.
  await service.cardEventsDelivered();
  const after = await client.spend.limits();
  say(`daily: ${remaining(after)}`);

  step('The audit trail');
  await service.engine.flushAudit();
  const verdict = verifyAuditChain(audit.events);
  const text = JSON.stringify(audit.events);
  const leaks = [
    sessions.agent,
    sessions.phone,
    approverToken,
    String(rateAuth.body.ephemeralToken),
    bookValidation.validationToken,
    audioValidation.validationToken,
    bookCard.cardNumber,
    audioCard.cardNumber,
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
    leaks.length === 0
      ? 'no token, session credential or card number appears in it'
      : `leaked: ${leaks.length}`,
  );

  if (!verdict.ok || leaks.length > 0) process.exitCode = 1;
  const took = `${bold('Done')} in ${((Date.now() - started) / 1000).toFixed(1)} s.`;
  if (foreground) {
    console.log(`\n${took}`);
    serveInForeground({ base, sessions, approverToken, clockAhead: skew > 0 }, async () => {
      await running.close();
      await service.close();
    });
    return;
  }
  await running.close();
  await service.close();
  console.log(
    `\n${took} ${dim('Keep it running with its console: pnpm demo --serve. The service alone: pnpm --dir packages/server start')}`,
  );
}

/** `--serve`: says how to reach the service, then keeps it up until Ctrl-C. */
function serveInForeground(
  info: {
    base: string;
    sessions: { agent: string; phone: string };
    approverToken: string;
    clockAhead: boolean;
  },
  stop: () => Promise<void>,
) {
  const { base, sessions, approverToken } = info;
  console.log(`\n${bold('Serving in the foreground')} ${dim('— Ctrl-C to stop')}`);
  console.log(`   service           ${cyan(base)}`);
  console.log(
    `   approval console  ${cyan(`${base}/console/`)}  sign in with ${bold(approverToken)}`,
  );
  console.log(
    `   sessions (alice)  ${sessions.agent} ${dim('(the agent)')}, ${sessions.phone} ${dim('(her phone)')}`,
  );
  console.log(
    `   try it            ${dim('(a purchase over what is left today waits for the console)')}`,
  );
  console.log(`     curl -s ${base}/api/mcp/limits -H 'authorization: Bearer ${sessions.agent}'`);
  console.log(
    `     curl -N ${base}/api/mcp/validate-transaction -H 'authorization: Bearer ${sessions.agent}' -H 'content-type: application/json' -d '{"merchant":{"name":"Example Audio"},"amount":"90.00","currency":"USD","timeout":300}'`,
  );
  if (info.clockAhead) console.log(dim('   (its clock runs 31 s ahead: the expiry step moved it)'));
  const shutdown = () => {
    console.log(dim('\nstopping…'));
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

/**
 * A person at the approvals API, as the console would do it: waits for the next
 * pending request for `tool`, reads what it is and why it needs them, and approves it.
 */
async function simulatedApprover(
  base: string,
  token: string,
  tool: string,
  say: (text: string) => void,
) {
  const headers = { authorization: `Bearer ${token}` };
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const response = await fetch(`${base}/approvals?status=pending`, { headers });
    const { approvals } = (await response.json()) as {
      approvals: Array<{
        approvalId: string;
        tool: string;
        tier: string;
        amount?: { value: string; currency: string };
        payee?: string;
        reasons?: Array<{ kind: 'tier' } | { kind: 'limit'; window: string }>;
      }>;
    };
    const request = approvals.find((approval) => approval.tool === tool);
    if (request) {
      // A person takes a moment; meanwhile the agent is waiting on its stream.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const why = (request.reasons ?? [])
        .map((reason) =>
          reason.kind === 'tier'
            ? `a ${request.tier} tool`
            : `over the ${limitName(reason.window)} limit`,
        )
        .join(', ');
      say(
        `👤 the approver sees ${request.tool} of ${request.amount?.value} ${request.amount?.currency}${request.payee ? ` to ${request.payee}` : ''}${why ? ` (${why})` : ''} and approves`,
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
