// Runs the example as its README says (`pnpm start`) and checks what it prints.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

it('pnpm start runs the ledger over the SQLite store, through a restart', async () => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('pnpm', ['run', '--silent', 'start'], { cwd: root }, (error, out, err) => {
      if (error) reject(new Error(`pnpm start failed:\n${out}\n${err}`));
      else resolve(out);
    });
  });
  const lines = stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^store: SQLite at .+handshake\.db$/);
  expect(lines).toEqual(
    expect.arrayContaining([
      '   INTERNAL     ledger_balance',
      '   CONFIDENTIAL ledger_open_account',
      '   RESTRICTED   ledger_transfer',
      '   refused at authorize, before anyone is asked: VALIDATION_ERROR',
      '   pending: over the daily limit of 100.00; ops approves',
    ]),
  );
  const results = lines.filter((line) => line.startsWith('   {')).map((line) => JSON.parse(line));
  expect(results).toEqual([
    { account: 'acct_alice', balance: { value: '500.00', currency: 'USD' } },
    expect.objectContaining({ transferId: 'tr_1', amount: { value: '30.00', currency: 'USD' } }),
    expect.objectContaining({ transferId: 'tr_2', amount: { value: '80.00', currency: 'USD' } }),
  ]);
  // The spend committed before the restart is still counted after it.
  expect(lines).toContain('after a restart: daily spend 110.00 of 100.00 USD, 0.00 remaining');
  expect(lines.at(-1)).toBe('balances: alice 390.00, bob 110.00');
}, 60_000);
