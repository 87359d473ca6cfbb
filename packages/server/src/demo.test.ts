// `pnpm demo` as a newcomer runs it: the script in a child process of its own, its
// output read as printed. The default run must finish by itself and tell the whole
// story; `--serve` must keep the service up until Ctrl-C.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const exampleRoot = fileURLToPath(new URL('..', import.meta.url));

let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

/** Starts the demo as `pnpm demo` does (tsx, source condition), in the example's folder. */
function startDemo(args: string[], env: Record<string, string> = {}) {
  const spawned = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@handshake/source', 'src/demo.ts', ...args],
    {
      cwd: exampleRoot,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child = spawned;
  let output = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const waiter of waiters.splice(0)) {
      if (output.includes(waiter.text)) waiter.resolve();
      else waiters.push(waiter);
    }
  };
  spawned.stdout?.on('data', onData);
  spawned.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => spawned.once('exit', resolve));
  return {
    output: () => output,
    exited,
    printed: (text: string) =>
      new Promise<void>((resolve) => {
        if (output.includes(text)) resolve();
        else waiters.push({ text, resolve });
      }),
  };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe('pnpm demo', () => {
  it('runs every step and exits 0 by itself, showing no card number', async () => {
    const demo = startDemo([]);
    const code = await within(demo.exited, 30_000, 'the demo');
    const output = demo.output();
    expect(code, output).toBe(0);
    for (const tier of ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'RESTRICTED']) {
      expect(output).toContain(`${tier}:`);
    }
    for (const refusal of [
      'TRANSACTION_MISMATCH',
      'TOKEN_ALREADY_USED',
      'TOKEN_EXPIRED',
      'SIGNATURE_INVALID',
    ]) {
      expect(output).toContain(refusal);
    }
    // The purchase: limits, an auto-approved card, an over-limit purchase the user
    // approves over SSE, a checkout, and the limits after.
    expect(output).toContain('daily: 225.00 of 250.00 USD left today (25.00 used)');
    expect(output).toMatch(/auto_approved: validation token hset_\S{7}…/);
    expect(output).toMatch(
      /single-use visa card •••• \d{4}, expires \d{2}\/\d{4}, limit 40\.00 USD/,
    );
    expect(output).toMatch(/pending apr_\S+ \(over the per-purchase limit\); the agent waits/);
    expect(output).toContain(
      'the approver sees create_virtual_card of 120.00 USD to Example Audio (over the per-purchase limit) and approves',
    );
    expect(output).toContain('approved over SSE');
    expect(output).toMatch(/checkout: order confirmed, 119\.99 USD charged to •••• \d{4}/);
    expect(output).toContain('checkout at Other Shop → declined, VALIDATION_ERROR');
    expect(output).toContain('daily: 65.00 of 250.00 USD left today (185.00 used)');
    expect(output).toContain('no token, session credential or card number appears in it');
    // Cards are shown by their last four digits only; no validation token in full.
    expect(output).not.toMatch(/\d(?:[ -]?\d){15}/);
    expect(output).not.toMatch(/hset_[A-Za-z0-9_-]{20,}/);
  }, 40_000);

  it('with HANDSHAKE_CARD_ISSUER=stripe, pays through Stripe Issuing locked to the merchant', async () => {
    const demo = startDemo([], { HANDSHAKE_CARD_ISSUER: 'stripe' });
    const code = await within(demo.exited, 30_000, 'the demo');
    const output = demo.output();
    expect(code, output).toBe(0);
    expect(output).toContain(
      'Virtual cards: Stripe Issuing (test mode, API simulated in process), webhook POST /webhooks/stripe.',
    );
    expect(output).toContain(
      'checkout at Other Shop → declined, VALIDATION_ERROR (the card is locked to Example Books)',
    );
    expect(output).toMatch(/checkout: order confirmed, 40\.00 USD charged to •••• \d{4}/);
    expect(output).toMatch(/checkout: order confirmed, 119\.99 USD charged to •••• \d{4}/);
    // The 120.00 card was captured at 119.99: the cent went back to the limits.
    expect(output).toContain('daily: 65.01 of 250.00 USD left today (184.99 used)');
    expect(output).toMatch(/card\.authorization, card\.capture/);
    expect(output).toContain('no token, session credential or card number appears in it');
    expect(output).not.toMatch(/sk_test_|whsec_/);
    expect(output).not.toMatch(/\d(?:[ -]?\d){15}/);
  }, 40_000);

  it('with --serve, keeps the service up on PORT with its console until Ctrl-C', async () => {
    const demo = startDemo(['--serve'], { PORT: '0' });
    await within(demo.printed('Ctrl-C to stop'), 30_000, 'the demo');
    // The last line of the instructions: the curl of an over-limit purchase.
    await within(demo.printed(`"timeout":300}'`), 5_000, 'the instructions');
    const output = demo.output();
    const base = /service\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    expect(base, output).toBeDefined();
    expect(output).toContain(`${base}/console/  sign in with demo-approver-token-5d8e1a`);
    expect(output).toContain(
      `curl -s ${base}/api/mcp/limits -H 'authorization: Bearer demo-session-agent-7f3c'`,
    );

    // Still serving after the script: the session and the console it printed work.
    const limits = await fetch(`${base}/api/mcp/limits`, {
      headers: { authorization: 'Bearer demo-session-agent-7f3c' },
    });
    expect(await limits.json()).toMatchObject({ daily: { remaining: '65.00' } });
    const page = await fetch(`${base}/console/`);
    expect(page.status).toBe(200);
    await page.arrayBuffer();
    const pending = await fetch(`${base}/approvals?status=pending`, {
      headers: { authorization: 'Bearer demo-approver-token-5d8e1a' },
    });
    expect(pending.status).toBe(200);
    await pending.arrayBuffer();

    child?.kill('SIGINT');
    expect(await within(demo.exited, 10_000, 'stopping')).toBe(0);
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  }, 50_000);
});
