// Your own adapters under the Handshake: a ledger tool provider, and a SQLite store
// that keeps tokens, approvals and spend in a file. Run it with
// `pnpm --dir examples/custom-adapter start` (HANDSHAKE_DB picks the file; a temporary
// one by default).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHandshakeClient, HandshakeError } from '@handshake/client';
import {
  createHandshake,
  createHandshakeHandler,
  type HandshakeEngine,
  rulesApprover,
  staticKeyResolver,
  staticSessionVerifier,
} from '@handshake/core';
import { serve } from '@handshake/core/node';
import { generateSigningKey } from '@handshake/protocol';
import { ledgerTools } from './ledger-tools.js';
import { SqliteStore } from './sqlite-store.js';

const scratch = process.env.HANDSHAKE_DB ? undefined : mkdtempSync(join(tmpdir(), 'handshake-'));
const path = process.env.HANDSHAKE_DB ?? join(scratch ?? '.', 'handshake.db');
const key = generateSigningKey();
const ledger = ledgerTools([
  { id: 'acct_alice', owner: 'alice', currency: 'USD', balance: '500.00' },
  { id: 'acct_bob', owner: 'bob', currency: 'USD', balance: '0.00' },
]);

/** One service instance over the database file; the ledger outlives it, as a real one would. */
function startEngine(): HandshakeEngine {
  return createHandshake({
    tools: ledger,
    store: new SqliteStore({ path }),
    sessions: staticSessionVerifier({ 'session-of-alice': 'alice' }),
    keys: staticKeyResolver([{ userId: 'alice', keyId: 'agent', publicKey: key.publicKey }]),
    // Small transfers are approved by rule; anything else, or anything over a limit, waits
    // for a person.
    approver: rulesApprover([
      {
        tools: ['ledger_transfer'],
        maxAmount: { value: '50.00', currency: 'USD' },
        decision: 'approve',
        reason: 'small transfer',
      },
    ]),
    approverCredentials: { 'approver-token': 'ops' },
    limits: { currency: 'USD', daily: '100.00' },
  });
}

const engine = startEngine();
const server = await serve(createHandshakeHandler(engine), { port: 0 });
const agent = createHandshakeClient({
  baseUrl: server.url,
  session: 'session-of-alice',
  signer: { keyId: 'agent', privateKey: key.privateKey },
});
const transfer = (value: string) => ({
  from: 'acct_alice',
  to: 'acct_bob',
  amount: { value, currency: 'USD' },
});

try {
  console.log(`store: SQLite at ${path}`);
  console.log('tools:');
  for (const tool of await agent.tools()) console.log(`   ${tool.tier.padEnd(12)} ${tool.name}`);

  console.log('1. INTERNAL ledger_balance');
  console.log('  ', JSON.stringify(await agent.call('ledger_balance', { account: 'acct_alice' })));

  console.log('2. CONFIDENTIAL ledger_open_account with a label the rule refuses');
  try {
    await agent.call('ledger_open_account', { label: 'My Savings!', currency: 'USD' });
  } catch (error) {
    if (!HandshakeError.isInstance(error)) throw error;
    console.log(`   refused at authorize, before anyone is asked: ${error.code}`);
  }

  console.log('3. RESTRICTED ledger_transfer of 30.00 USD: the rule approves it');
  console.log('  ', JSON.stringify(await agent.call('ledger_transfer', transfer('30.00'))));

  console.log('4. RESTRICTED ledger_transfer of 80.00 USD: over the daily limit, a person decides');
  const over = await agent.call('ledger_transfer', transfer('80.00'), {
    onStatus(status) {
      if (status.status === 'pending') {
        console.log('   pending: over the daily limit of 100.00; ops approves');
        void engine.decide(status.approvalId, { decision: 'approve' }, 'approver-token');
      }
    },
  });
  console.log('  ', JSON.stringify(over));
} finally {
  await server.close();
  await engine.close(); // closes the SQLite store
}

// A new instance over the same file sees what the first one committed.
const restarted = startEngine();
const limits = await restarted.limits('session-of-alice');
const daily = limits?.windows.find((window) => window.window === 'daily');
console.log(
  `after a restart: daily spend ${daily?.used} of ${daily?.limit} ${limits?.currency}, ` +
    `${daily?.remaining} remaining`,
);
console.log(
  `balances: alice ${ledger.balanceOf('acct_alice')}, bob ${ledger.balanceOf('acct_bob')}`,
);
await restarted.close();
if (scratch) rmSync(scratch, { recursive: true, force: true });
