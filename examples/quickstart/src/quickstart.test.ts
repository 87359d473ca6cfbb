// Runs the example exactly as its README says (`pnpm start`, `pnpm first-tool`) and
// checks what it prints, so the example a new user copies is known to work.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function runScript(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('pnpm', ['run', '--silent', script], { cwd: root }, (error, stdout, stderr) => {
      if (error) reject(new Error(`pnpm ${script} failed:\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('examples/quickstart', () => {
  it('pnpm start walks through every tier and prints each outcome', async () => {
    const lines = (await runScript('start')).trimEnd().split('\n');
    const after = (heading: RegExp) => lines[lines.findIndex((line) => heading.test(line)) + 1];

    expect(JSON.parse(after(/^1\. PUBLIC/) ?? '')).toEqual({ pair: 'EURUSD', rate: '1.0850' });
    expect(JSON.parse(after(/^2\. INTERNAL/) ?? '')).toEqual({
      balance: { value: '250.00', currency: 'USD' },
    });
    expect(after(/^3\. RESTRICTED/)).toMatch(/pending approval; ops decides: approve/);
    const paid = lines[lines.findIndex((line) => /^3\. RESTRICTED/.test(line)) + 2];
    expect(JSON.parse(paid ?? '')).toMatchObject({
      to: 'bob@example.com',
      balance: { value: '220.00', currency: 'USD' },
    });
    expect(lines).toContain('   refused: APPROVAL_DENIED');
    expect(lines).toContain('   refused before anyone is asked: VALIDATION_ERROR');
    // The denied and the refused payments moved nothing.
    expect(JSON.parse(after(/^6\. the balance/) ?? '')).toEqual({
      balance: { value: '220.00', currency: 'USD' },
    });
    expect(lines.at(-1)).toMatch(/^audit: \d+ events, chain intact/);
  }, 60_000);

  it('pnpm first-tool calls a secured tool in ten lines', async () => {
    expect(await runScript('first-tool')).toContain(
      "balance: { value: '250.00', currency: 'USD' }",
    );
  }, 60_000);
});
