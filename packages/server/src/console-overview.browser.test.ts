// The approvers' overview of the console in a real browser: Debian's Chromium driven by
// playwright-core, against the reference service on loopback. Screenshots are kept in
// test-artifacts/ (git-ignored).
import { existsSync, mkdirSync } from 'node:fs';
import { createHandshakeClient } from '@handshake/client';
import { type RunningServer, serve } from '@handshake/core/node';
import { generateSigningKey } from '@handshake/protocol';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createService, type Service } from './service.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const haveChromium = existsSync(CHROMIUM);
const skip = !haveChromium && process.env.CI !== 'true';
if (skip) {
  console.warn(
    `SKIPPED: the console overview browser test needs Chromium at ${CHROMIUM} (apt-get install -y chromium)`,
  );
}

const ARTIFACTS = new URL('../test-artifacts/', import.meta.url);
const SESSION = 'session-alice-overview-test';
const APPROVER = 'approver-token-overview-test';

let service: Service;
let running: RunningServer;
let browser: Browser;
const agentKey = generateSigningKey();

/** Starts a refund through the agent's client; resolves its approval id once pending. */
function requestRefund(value: string) {
  let reportPending: (approvalId: string) => void = () => {};
  const pending = new Promise<string>((resolve) => {
    reportPending = resolve;
  });
  const outcome = createHandshakeClient({
    baseUrl: running.url,
    session: SESSION,
    signer: { keyId: 'agent-key', privateKey: agentKey.privateKey },
  })
    .call(
      'create_refund',
      { capture_id: '3C679366HH908993F', amount: { currency_code: 'USD', value } },
      {
        onStatus: (status) => {
          if (status.status === 'pending' && 'approvalId' in status) {
            reportPending(status.approvalId);
          }
        },
      },
    )
    .then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    );
  return { pending, outcome };
}

/** One refused call: a made-up credential, or a tool the service does not have. */
async function provokeRefusal(kind: 'UNAUTHORIZED' | 'TOOL_NOT_ALLOWED') {
  const response = await fetch(`${running.url}/authorize`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${kind === 'UNAUTHORIZED' ? 'not-a-session-of-anyone' : SESSION}`,
    },
    body: JSON.stringify({
      tool: kind === 'UNAUTHORIZED' ? 'create_refund' : 'no_such_tool',
      parameters: {},
    }),
  });
  expect(response.status).toBe(kind === 'UNAUTHORIZED' ? 401 : 403);
}

const fillOf = (page: Page, selector: string) =>
  page.locator(`${selector} rect.bar-fill`).getAttribute('width');

describe.skipIf(skip)('the console overview in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const config = loadConfig({
      HANDSHAKE_SESSIONS: `alice:${SESSION}`,
      HANDSHAKE_KEYS: `alice:agent-key:${agentKey.publicKey}`,
      HANDSHAKE_APPROVER_TOKEN: APPROVER,
      HANDSHAKE_LIMITS: JSON.stringify({ currency: 'USD', daily: '100.00', weekly: '400.00' }),
    });
    service = await createService(config);
    running = await serve(service.handler, { port: 0 });
    if (!haveChromium) {
      throw new Error(
        `Chromium is missing at ${CHROMIUM}; install it with apt-get install -y chromium`,
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await running?.close();
    await service?.close();
  });

  it('shows what waits and for how long, spend as bars in proportion, and refusals by code; all from the keyboard', async () => {
    for (let i = 0; i < 3; i += 1) await provokeRefusal('UNAUTHORIZED');
    await provokeRefusal('TOOL_NOT_ALLOWED');
    const call = requestRefund('25.00');
    const approvalId = await call.pending;

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') {
          problems.push(message.text());
        }
      });
      page.on('pageerror', (error) => problems.push(error.message));
      // Any Content-Security-Policy violation of the page is counted, reported or not.
      await page.addInitScript(() => {
        const seen: string[] = [];
        (window as { __violations?: string[] }).__violations = seen;
        document.addEventListener('securitypolicyviolation', (event) =>
          seen.push(`${event.violatedDirective} ${event.blockedURI}`),
        );
      });
      await page.goto(`${running.url}/console/`);

      // Sign in with the keyboard only.
      await page.getByLabel('Approver credential').focus();
      await page.keyboard.type(APPROVER);
      await page.keyboard.press('Enter');
      await page.locator('#connection', { hasText: 'Live' }).waitFor();
      const overview = page.locator('#overview');
      await overview.waitFor();

      // Waiting now: the refund, with its age on the service's clock, ticking.
      const item = page.locator(`#ov-pending-list li[data-approval-id="${approvalId}"]`);
      await item.waitFor();
      expect(await item.textContent()).toMatch(
        /^create_refund for alice · 25\.00 USD · waiting \d+ s$/,
      );
      expect(await page.locator('#ov-pending-summary').textContent()).toMatch(
        /^1 waiting; the oldest for \d+ s$/,
      );
      const age = item.locator('time.age');
      const firstAge = Number(/PT0M(\d+)S/.exec((await age.getAttribute('datetime')) ?? '')?.[1]);
      await page.waitForFunction(
        ([id, before]) => {
          const time = document.querySelector(`#ov-pending-list li[data-approval-id="${id}"] time`);
          const seconds = Number(/PT0M(\d+)S/.exec(time?.getAttribute('datetime') ?? '')?.[1]);
          return seconds > Number(before);
        },
        [approvalId, String(firstAge)] as const,
      );

      // Spend: the pending refund's reservation is 25% of today's limit, 6.25% of the week's.
      const today = '#ov-spend-list li[data-user-id="alice"] li[data-window="daily"]';
      expect(await fillOf(page, today)).toBe('25');
      expect(await page.locator(today).textContent()).toContain('25.00 of 100.00 USD');
      expect(await page.locator(`${today} svg[role="img"]`).getAttribute('aria-label')).toBe(
        'alice, today: 25.00 of 100.00 USD (25%)',
      );
      const week = '#ov-spend-list li[data-user-id="alice"] li[data-window="weekly"]';
      expect(await fillOf(page, week)).toBe('6.3');
      // The track is the whole limit, and the fill is drawn in proportion to it.
      const trackBox = await page.locator(`${today} rect.bar-track`).boundingBox();
      const fillBox = await page.locator(`${today} rect.bar-fill`).boundingBox();
      expect(trackBox && fillBox ? fillBox.width / trackBox.width : 0).toBeCloseTo(0.25, 2);

      // Refusals of the last hour by code, the most frequent first, bars relative to it.
      const codes = page.locator('#ov-refusals-list li');
      expect(await codes.evaluateAll((items) => items.map((li) => li.dataset.code))).toEqual([
        'UNAUTHORIZED',
        'TOOL_NOT_ALLOWED',
      ]);
      expect(await fillOf(page, '#ov-refusals-list li[data-code="UNAUTHORIZED"]')).toBe('100');
      expect(await fillOf(page, '#ov-refusals-list li[data-code="TOOL_NOT_ALLOWED"]')).toBe('33.3');
      await page.screenshot({
        path: new URL('console-overview.png', ARTIFACTS).pathname,
        fullPage: true,
      });

      // Two more refusals, then a refresh from the keyboard: Tab reaches the button.
      await provokeRefusal('TOOL_NOT_ALLOWED');
      await provokeRefusal('TOOL_NOT_ALLOWED');
      const refresh = page.getByRole('button', { name: 'Refresh overview' });
      let reached = false;
      for (let presses = 0; presses < 40 && !reached; presses += 1) {
        await page.keyboard.press('Tab');
        reached = await refresh.evaluate((element) => element === document.activeElement);
      }
      expect(reached).toBe(true);
      await page.keyboard.press('Enter');
      await page
        .locator('#ov-refusals-list li[data-code="TOOL_NOT_ALLOWED"]', { hasText: '3' })
        .waitFor();
      expect(await fillOf(page, '#ov-refusals-list li[data-code="TOOL_NOT_ALLOWED"]')).toBe('100');

      // Approved and run, the refund leaves the waiting list; its spend stays counted.
      await page
        .locator(`li.card[data-approval-id="${approvalId}"]`)
        .getByRole('button', { name: 'Approve' })
        .click();
      const outcome = await call.outcome;
      if (!outcome.ok) throw outcome.error;
      await refresh.click();
      await item.waitFor({ state: 'detached' });
      expect(await page.locator('#ov-pending-summary').textContent()).toBe('Nothing is waiting.');
      expect(await fillOf(page, today)).toBe('25');

      // Nothing secret on the page: no session, no token.
      const text = (await overview.textContent()) ?? '';
      expect(text).not.toContain(SESSION);
      expect(text).not.toMatch(/hset_|3C679366HH908993F/);
      expect(
        await page.evaluate(() => (window as { __violations?: string[] }).__violations),
      ).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('fits a phone: one column, nothing wider than the screen', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      await page.goto(`${running.url}/console/`);
      await page.getByLabel('Approver credential').fill(APPROVER);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#ov-spend-list li[data-user-id="alice"]').waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        390,
      );
      await page.screenshot({
        path: new URL('console-overview-phone.png', ARTIFACTS).pathname,
        fullPage: true,
      });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 30_000);
});
