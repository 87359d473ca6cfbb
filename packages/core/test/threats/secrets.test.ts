// Threat: a stolen log, audit file or error report. A full scenario runs over HTTP —
// every tier, approvals over SSE, replays and refusals, the spend API with cards — while
// everything written to the console, every error answer and every audit line (in
// memory and in a JSON lines file) is kept; then each is scanned for every token,
// credential, signing key, card number and CVC the scenario saw.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import { HandshakeError } from '@handshake/protocol';
import type { CardCreationResponse } from '@handshake/protocol/cards';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { memoryAuditSink } from '../../src/audit/sinks.js';
import { jsonLinesAuditSink } from '../../src/node/json-lines-audit-sink.js';
import { CREDENTIALS, type Harness, sseData, startHarness } from '../harness.js';
import { authorized, execute } from './support.js';

const PLANTED_CARD = '4111111111111111';
const PLANTED_SECRET = 'sk_live_planted_secret_value_0123456789';

describe('a stolen log, audit file or error report', () => {
  let h: Harness;
  let folder: string;
  const consoleLines: string[] = [];
  const thrownMessages: string[] = [];
  const secrets = new Set<string>(Object.values(CREDENTIALS));
  const cvcs = new Set<string>();
  let failAuditOnce = true;
  const memory = memoryAuditSink();

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'handshake-secrets-'));
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        consoleLines.push(format(...args));
      });
    }
    const flaky = memoryAuditSink();
    h = await startHarness({
      engine: {
        audit: [
          memory,
          jsonLinesAuditSink({ path: join(folder, 'audit.jsonl') }),
          {
            specificationVersion: 'v1',
            write(event) {
              if (failAuditOnce) {
                failAuditOnce = false;
                throw new Error(`sink refused event ${event.seq}`);
              }
              return flaky.write(event);
            },
          },
        ],
        auditRetryMs: () => 1,
        // What the reference service does with audit failures.
        onAuditError: (error, event) =>
          console.error(
            `audit: event ${event.seq} (${event.type}) was not written: ${(error as Error).message}`,
          ),
      },
      handler: { onError: (error) => console.error('unexpected error:', error) },
      run: (name, parameters) => {
        if (name === 'list_orders') {
          // A provider whose error carries what it should not.
          throw new Error(`upstream 500 for card ${PLANTED_CARD}, key ${PLANTED_SECRET}`);
        }
        return { tool: name, ok: true, echo: parameters };
      },
    });
    secrets.add(h.aliceKey.privateKey);
    secrets.add(h.bobKey.privateKey);
    secrets.add(PLANTED_CARD);
    secrets.add(PLANTED_SECRET);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await h.close();
    await rm(folder, { recursive: true, force: true });
  });

  /** Remembers every token in an answer. */
  const keep = (json: unknown) => {
    const text = JSON.stringify(json ?? null);
    for (const match of text.matchAll(/hset_[A-Za-z0-9_-]+/g)) secrets.add(match[0]);
    return json;
  };
  const keepCard = (card: CardCreationResponse) => {
    secrets.add(card.cardNumber);
    cvcs.add(card.cvc);
    return card;
  };

  async function tiersAndRefusals() {
    // PUBLIC
    const rate = keep(
      (
        await h.request('POST', '/authorize', {
          body: { tool: 'get_exchange_rate', parameters: { from: 'EUR' } },
        })
      ).json,
    ) as { ephemeralToken: string };
    await h.request('POST', '/execute', {
      body: {
        ephemeralToken: rate.ephemeralToken,
        tool: 'get_exchange_rate',
        parameters: { from: 'EUR' },
      },
    });
    // INTERNAL, with a replay, a replay from another device, tampering, a forged signature,
    // a made-up token and an expired one.
    const order = { order_id: 'O-1', note: `card ${PLANTED_CARD}` };
    const auth = keep(await authorized(h, 'get_order', order, CREDENTIALS.alice)) as {
      ephemeralToken: string;
      transactionId: string;
    };
    const run = (
      credential: string,
      parameters: Record<string, unknown> = order,
      token = auth.ephemeralToken,
    ) =>
      execute(h, {
        token,
        tool: 'get_order',
        parameters,
        transactionId: auth.transactionId,
        credential,
      });
    expect((await run(CREDENTIALS.alice, { ...order, order_id: 'O-2' })).status).toBe(403);
    expect((await run(CREDENTIALS.alice)).status).toBe(200);
    expect((await run(CREDENTIALS.alice)).status).toBe(200);
    expect((await run(CREDENTIALS.aliceOtherDevice)).status).toBe(409);
    expect((await run(CREDENTIALS.bob)).status).toBe(403);
    expect((await run(CREDENTIALS.alice, order, `${auth.ephemeralToken}x`)).status).toBe(401);
    const forged = await h.request('POST', '/execute', {
      body: {
        ephemeralToken: auth.ephemeralToken,
        tool: 'get_order',
        parameters: order,
        transactionId: auth.transactionId,
        signature: { keyId: 'alice-key', value: 'A'.repeat(86) },
      },
      credential: CREDENTIALS.alice,
    });
    expect(forged.status).toBe(403);
    const late = keep(await authorized(h, 'get_order', order, CREDENTIALS.alice)) as typeof auth;
    h.clock.advance(30_000);
    expect(
      (
        await execute(h, {
          token: late.ephemeralToken,
          tool: 'get_order',
          parameters: order,
          transactionId: late.transactionId,
          credential: CREDENTIALS.alice,
        })
      ).status,
    ).toBe(401);
    // A provider failure whose message holds a card number and a key.
    const failing = keep(
      await authorized(h, 'list_orders', order, CREDENTIALS.alice),
    ) as typeof auth;
    const failed = await execute(h, {
      token: failing.ephemeralToken,
      tool: 'list_orders',
      parameters: order,
      transactionId: failing.transactionId,
      credential: CREDENTIALS.alice,
    });
    expect(failed.status).toBe(502);
    // CONFIDENTIAL: a schema refusal must not echo the value.
    const invoice = await h.request('POST', '/authorize', {
      body: {
        tool: 'create_invoice',
        parameters: {
          recipient_email: PLANTED_SECRET,
          amount: { value: '10.00', currency: 'USD' },
        },
      },
      credential: CREDENTIALS.alice,
    });
    expect(invoice.status).toBe(400);
    // Credentials sent where they do not belong.
    await h.request('GET', '/approvals', { credential: CREDENTIALS.alice });
    await h.request('POST', '/authorize', {
      body: { tool: 'get_order', parameters: order, sessionToken: PLANTED_SECRET },
    });
    await h.request('POST', '/execute', {
      body: { tool: 'get_order', parameters: order, ephemeralToken: auth.ephemeralToken },
      headers: { 'x-ephemeral-token': late.ephemeralToken },
      credential: CREDENTIALS.alice,
    });
    // In-process callers get the same messages.
    for (const attempt of [
      () => h.engine.authorize({ tool: 'get_order', parameters: order }, PLANTED_SECRET),
      () =>
        h.engine.execute(
          { ephemeralToken: auth.ephemeralToken, tool: 'get_order', parameters: order },
          CREDENTIALS.bob,
        ),
      () => h.engine.decide('apr_x', { decision: 'approve' }, PLANTED_SECRET),
    ]) {
      await attempt().catch((error: unknown) => {
        expect(HandshakeError.isInstance(error)).toBe(true);
        thrownMessages.push((error as Error).message);
      });
    }
  }

  async function restrictedWithApproval() {
    const refund = {
      capture_id: 'CAP-1',
      amount: { value: '25.00', currency: 'USD' },
      note: `refund to ${PLANTED_CARD}`,
    };
    const pending = keep(
      (
        await h.request('POST', '/authorize', {
          body: { tool: 'create_refund', parameters: refund },
          credential: CREDENTIALS.alice,
        })
      ).json,
    ) as { approvalId: string; transactionId: string };
    const waiting = h.request('GET', `/approvals/${pending.approvalId}`, {
      credential: CREDENTIALS.alice,
      headers: { accept: 'text/event-stream' },
      sseEvents: 2,
    });
    const listing = await h.request('GET', '/approvals?status=pending', {
      credential: CREDENTIALS.approver,
    });
    // Approvers read the parameters with the card number redacted.
    expect(listing.text).toContain('[redacted]');
    expect(listing.text).not.toContain(PLANTED_CARD);
    expect(
      (
        await h.request('POST', `/approvals/${pending.approvalId}/decision`, {
          body: { decision: 'approve' },
          credential: CREDENTIALS.opsSession,
        })
      ).status,
    ).toBe(403);
    await h.request('POST', `/approvals/${pending.approvalId}/decision`, {
      body: { decision: 'approve', reason: 'looks right' },
      credential: CREDENTIALS.approver,
    });
    const stream = await waiting;
    const approved = keep(sseData(stream.text).at(-1)?.data) as { ephemeralToken: string };
    const done = await execute(h, {
      token: approved.ephemeralToken,
      tool: 'create_refund',
      parameters: refund,
      transactionId: pending.transactionId,
      credential: CREDENTIALS.alice,
    });
    expect(done.status).toBe(200);
    // A second request, denied.
    const denied = keep(
      (
        await h.request('POST', '/authorize', {
          body: { tool: 'create_refund', parameters: { ...refund, capture_id: 'CAP-2' } },
          credential: CREDENTIALS.alice,
        })
      ).json,
    ) as { approvalId: string };
    await h.request('POST', `/approvals/${denied.approvalId}/decision`, {
      body: { decision: 'deny' },
      credential: CREDENTIALS.approver,
    });
    keep(
      (await h.request('GET', `/approvals/${denied.approvalId}`, { credential: CREDENTIALS.alice }))
        .json,
    );
  }

  async function spendWithCards() {
    const validation = keep((await h.validate('30.00')).json) as {
      validation_token: string;
      transaction_id: string;
    };
    const create = () =>
      h.request('POST', '/api/mcp/create-virtual-card', {
        body: h.cardBody(validation, '30.00'),
        credential: CREDENTIALS.alice,
      });
    const card = keepCard((await create()).json as CardCreationResponse);
    // A lost answer: the identical request gets the same card again.
    expect(((await create()).json as CardCreationResponse).cardNumber).toBe(card.cardNumber);
    // A bigger card on the same token is refused.
    await h.request('POST', '/api/mcp/create-virtual-card', {
      body: { ...h.cardBody(validation, '30.00'), card_amount: '31.00' },
      credential: CREDENTIALS.alice,
    });
    const checkout = (cardNumber: string, cvc: string, amount?: string) =>
      h.request('POST', '/api/mcp/mock-checkout', {
        body: {
          card_details: {
            card_number: cardNumber,
            cvc,
            exp_month: card.expMonth,
            exp_year: card.expYear,
          },
          customer_details: card.customer,
          ...(amount ? { amount } : {}),
        },
      });
    expect((await checkout(card.cardNumber, card.cvc === '000' ? '001' : '000')).status).toBe(400);
    expect((await checkout(card.cardNumber, card.cvc, '30.01')).status).toBe(402);
    expect((await checkout(card.cardNumber, card.cvc)).status).toBe(200);
    expect((await checkout(card.cardNumber, card.cvc)).status).toBe(409);
    expect((await checkout(PLANTED_CARD, '123')).status).toBe(400);
    // Over the per-transaction limit: the validation waits for a person over SSE.
    const waiting = h.request('POST', '/api/mcp/validate-transaction', {
      body: { merchant: { name: 'Big Shop' }, amount: '600.00', currency: 'USD' },
      credential: CREDENTIALS.alice,
      sseEvents: 2,
    });
    let approvalId: string | undefined;
    while (!approvalId) {
      const list = await h.request('GET', '/approvals?status=pending', {
        credential: CREDENTIALS.approver,
      });
      approvalId = (
        list.json as { approvals: Array<{ approvalId: string; tool: string }> }
      ).approvals.find((a) => a.tool === 'create_virtual_card')?.approvalId;
    }
    await h.request('POST', `/approvals/${approvalId}/decision`, {
      body: { decision: 'approve' },
      credential: CREDENTIALS.approver,
    });
    const events = sseData((await waiting).text);
    const big = keep(events.at(-1)?.data) as { validation_token: string; transaction_id: string };
    expect(big.validation_token).toMatch(/^hset_/);
    // Reading the status again issues a second token; the first card spends both.
    const status = keep(
      (
        await h.request('GET', `/api/mcp/authorization-status?id=${approvalId}`, {
          credential: CREDENTIALS.alice,
        })
      ).json,
    ) as { validation_token: string };
    const bigCard = keepCard(
      (
        await h.request('POST', '/api/mcp/create-virtual-card', {
          body: h.cardBody(big, '600.00', 'Big Shop'),
          credential: CREDENTIALS.alice,
        })
      ).json as CardCreationResponse,
    );
    expect(bigCard.cardNumber).toMatch(/^\d{16}$/);
    const spent = await h.request('POST', '/api/mcp/create-virtual-card', {
      body: h.cardBody({ ...big, validation_token: status.validation_token }, '601.00', 'Big Shop'),
      credential: CREDENTIALS.alice,
    });
    expect(spent.status).toBeGreaterThanOrEqual(400);
    // The card lapses after five minutes.
    h.clock.advance(5 * 60_000);
    expect((await checkout(bigCard.cardNumber, bigCard.cvc)).status).toBe(401);
  }

  it('secrets absent from every log, error and audit line: no token, credential, key, card number or CVC anywhere the scenario wrote', async () => {
    await tiersAndRefusals();
    await restrictedWithApproval();
    await spendWithCards();
    await h.engine.flushAudit();

    const auditLines = (await readFile(join(folder, 'audit.jsonl'), 'utf8')).trim().split('\n');
    const memoryLines = memory.events.map((event) => JSON.stringify(event));
    // The scenario did produce material to scan, of every kind.
    expect(memory.events.length).toBeGreaterThan(30);
    expect(auditLines.length).toBe(memory.events.length);
    expect(h.errorBodies.length).toBeGreaterThan(15);
    expect(consoleLines.some((line) => line.startsWith('audit:'))).toBe(true);
    expect(thrownMessages).toHaveLength(3);
    expect(cvcs.size).toBe(2);
    expect([...secrets].filter((s) => s.startsWith('hset_')).length).toBeGreaterThanOrEqual(8);
    // Nothing the handler did not expect.
    expect(h.unexpected).toEqual([]);

    const places: Array<[string, string[]]> = [
      ['console', consoleLines],
      ['error answer', h.errorBodies],
      ['thrown error', thrownMessages],
      ['audit event', memoryLines],
      ['audit file line', auditLines],
    ];
    for (const [place, lines] of places) {
      for (const line of lines) {
        for (const secret of secrets) {
          expect(line.includes(secret), `${place} holds a secret: ${line}`).toBe(false);
        }
        for (const cvc of cvcs) expect(line, place).not.toContain(`"${cvc}"`);
        expect(line, place).not.toMatch(
          /"(cvc|cardNumber|card_number|ephemeralToken|validation_token)"/,
        );
      }
    }
    // What the audit does say about cards: the last four digits, no more.
    expect(memory.events.filter((e) => e.attributes?.cardLast4).length).toBe(2);
  });
});
