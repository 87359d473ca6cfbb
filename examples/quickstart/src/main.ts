// The quickstart: one engine, three tools of increasing sensitivity, the Web-standard
// handler served on loopback, and the client an agent uses. A person's approval is played
// in-process by an approver credential. Run it with `pnpm --dir examples/quickstart start`.

import { type CallOptions, createHandshakeClient, HandshakeError } from '@handshake/client';
import {
  createHandshake,
  createHandshakeHandler,
  memoryAuditSink,
  staticKeyResolver,
  staticSessionVerifier,
  verifyAuditChain,
} from '@handshake/core';
import { serve } from '@handshake/core/node';
import { generateSigningKey } from '@handshake/protocol';
import { walletTools } from './wallet.js';

const agentKey = generateSigningKey();
const audit = memoryAuditSink();
const engine = createHandshake({
  tools: walletTools({ alice: '250.00' }),
  sessions: staticSessionVerifier({ 'session-of-alice': 'alice' }),
  keys: staticKeyResolver([{ userId: 'alice', keyId: 'agent-key', publicKey: agentKey.publicKey }]),
  // Who may decide approvals: this credential acts as the approver "ops".
  approverCredentials: { 'approver-token': 'ops' },
  audit,
});
const server = await serve(createHandshakeHandler(engine), { port: 0 });

const agent = createHandshakeClient({
  baseUrl: server.url,
  session: 'session-of-alice',
  signer: { keyId: 'agent-key', privateKey: agentKey.privateKey },
});

/** Plays the person at the approval console: decides as soon as a request is pending. */
function approver(decision: 'approve' | 'deny', reason: string): CallOptions {
  return {
    onStatus(status) {
      if (status.status === 'pending') {
        console.log(`   pending approval; ops decides: ${decision} (${reason})`);
        void engine.decide(status.approvalId, { decision, reason }, 'approver-token');
      }
    },
  };
}

try {
  console.log('1. PUBLIC get_exchange_rate: no session or signature needed');
  console.log('  ', JSON.stringify(await agent.call('get_exchange_rate', {})));

  console.log('2. INTERNAL get_balance: a session and an Ed25519-signed execute');
  console.log('  ', JSON.stringify(await agent.call('get_balance', {})));

  console.log('3. RESTRICTED send_payment of 30.00 USD: strict schema, then a person approves');
  const payment = {
    to: 'bob@example.com',
    amount: { value: '30.00', currency: 'USD' },
    note: 'Lunch',
  };
  const paid = await agent.call('send_payment', payment, approver('approve', 'known payee'));
  console.log('  ', JSON.stringify(paid));

  console.log('4. RESTRICTED send_payment of 200.00 USD: the person says no');
  try {
    const large = { to: 'mallory@example.com', amount: { value: '200.00', currency: 'USD' } };
    await agent.call('send_payment', large, approver('deny', 'unknown payee'));
  } catch (error) {
    if (!HandshakeError.isInstance(error)) throw error;
    console.log(`   refused: ${error.code}`);
  }

  console.log('5. RESTRICTED send_payment with a field the schema does not know');
  try {
    const extra = { ...payment, fee_override: '0' };
    await agent.call('send_payment', extra);
  } catch (error) {
    if (!HandshakeError.isInstance(error)) throw error;
    console.log(`   refused before anyone is asked: ${error.code}`);
  }

  console.log('6. the balance after all that');
  console.log('  ', JSON.stringify(await agent.call('get_balance', {})));

  await engine.flushAudit();
  const chain = verifyAuditChain(audit.events);
  console.log(
    `audit: ${audit.events.length} events, chain ${chain.ok ? 'intact' : 'BROKEN'}, ` +
      `no parameters stored (only paramsHash)`,
  );
} finally {
  await server.close();
  await engine.close();
}
