// The PayPal provider behind the real engine and its HTTP handler, on loopback, with the
// toolkit's real code and only PayPal's network simulated.
import {
  createHandshake,
  createHandshakeHandler,
  type HandshakeEngine,
  staticKeyResolver,
  staticSessionVerifier,
} from '@handshake/core';
import { type RunningServer, serve } from '@handshake/core/node';
import { generateSigningKey, parseMoney, signExecute } from '@handshake/protocol';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SIMULATED_ACCESS_TOKEN, startPayPalSimulator } from '../testing/index.js';
import { createPayPalToolProvider } from './provider.js';

const SESSION = 'session-alice';
const APPROVER = 'approver-token';
const key = generateSigningKey();
const paypal = startPayPalSimulator();

let engine: HandshakeEngine;
let server: RunningServer;

beforeAll(async () => {
  engine = createHandshake({
    tools: createPayPalToolProvider({
      accessToken: SIMULATED_ACCESS_TOKEN,
      environment: 'sandbox',
    }),
    sessions: staticSessionVerifier({ [SESSION]: 'alice' }),
    keys: staticKeyResolver([{ userId: 'alice', keyId: 'laptop', publicKey: key.publicKey }]),
    approverCredentials: { [APPROVER]: 'ops' },
    limits: { currency: 'USD', daily: '500.00' },
  });
  server = await serve(createHandshakeHandler(engine), { port: 0 });
});
afterAll(async () => {
  await server.close();
  paypal.close();
});
beforeEach(() => paypal.reset());

async function call(
  method: 'GET' | 'POST',
  path: string,
  credential: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${credential}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function signed(
  tool: string,
  parameters: Record<string, unknown>,
  authorized: Record<string, unknown>,
) {
  const transactionId = String(authorized.transactionId);
  return {
    ephemeralToken: authorized.ephemeralToken,
    tool,
    parameters,
    transactionId,
    signature: {
      keyId: 'laptop',
      value: signExecute(key.privateKey, {
        tool,
        paramsHash: String(authorized.paramsHash),
        transactionId,
      }),
    },
  };
}

describe('PayPal tools behind the handshake', () => {
  it('lists the tools with their tiers over HTTP', async () => {
    const { status, body } = await call('GET', '/tools', SESSION);
    expect(status).toBe(200);
    const tools = body.tools as Array<{ name: string; tier: string; movesMoney: boolean }>;
    expect(tools.find((tool) => tool.name === 'create_refund')).toMatchObject({
      tier: 'RESTRICTED',
      movesMoney: true,
    });
    expect(tools.find((tool) => tool.name === 'get_order')).toMatchObject({
      tier: 'INTERNAL',
      movesMoney: false,
    });
  });

  it('runs a signed read', async () => {
    const parameters = { id: paypal.state.ids.capturedOrderId };
    const authorized = await call('POST', '/authorize', SESSION, { tool: 'get_order', parameters });
    expect(authorized.body).toMatchObject({ status: 'authorized', tier: 'INTERNAL' });
    const done = await call(
      'POST',
      '/execute',
      SESSION,
      signed('get_order', parameters, authorized.body),
    );
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', result: { status: 'COMPLETED' } });
  });

  it('refuses bad arguments of a CONFIDENTIAL tool at authorize, before anyone is asked', async () => {
    const { status, body } = await call('POST', '/authorize', SESSION, {
      tool: 'create_product',
      parameters: { name: 'Gift card', type: 'VOUCHER' },
    });
    expect(status).toBe(400);
    expect(body).toEqual({
      success: false,
      error: {
        code: 'VALIDATION_ERROR',
        message:
          'Parameters of create_product are invalid at parameters.type: expected one of PHYSICAL, DIGITAL, SERVICE',
      },
    });
    expect(paypal.state.requests).toEqual([]);
  });

  it("refuses bad arguments of an INTERNAL tool at execute, with the schema's reason", async () => {
    // INTERNAL tools are not schema-checked at authorize (the tier table adds that at
    // CONFIDENTIAL); the provider checks before the toolkit runs.
    const parameters = { id: '../v1/oauth2/token' };
    const authorized = await call('POST', '/authorize', SESSION, { tool: 'get_order', parameters });
    expect(authorized.status).toBe(200);
    const done = await call(
      'POST',
      '/execute',
      SESSION,
      signed('get_order', parameters, authorized.body),
    );
    expect(done.status).toBe(502);
    expect(done.body).toEqual({
      success: false,
      error: {
        code: 'PROVIDER_ERROR',
        message: 'Parameters of get_order are invalid at parameters.id: Invalid PayPal Order ID',
      },
    });
    expect(paypal.state.requests).toEqual([]);
  });

  it('reports a PayPal failure as PROVIDER_ERROR with its reason', async () => {
    const parameters = { id: 'ABCDEFGHJKLMNPQRS' };
    const authorized = await call('POST', '/authorize', SESSION, { tool: 'get_order', parameters });
    const done = await call(
      'POST',
      '/execute',
      SESSION,
      signed('get_order', parameters, authorized.body),
    );
    expect(done.status).toBe(502);
    expect(done.body).toMatchObject({
      success: false,
      error: { code: 'PROVIDER_ERROR' },
    });
    expect(String((done.body.error as { message: string }).message)).toContain('HTTP 404');
  });

  it('completes a RESTRICTED refund once a person approves it', async () => {
    const { captureId } = paypal.state.ids;
    const parameters = {
      capture_id: captureId,
      amount: { currency_code: 'USD', value: '30.00' },
      note_to_payer: 'Sorry about the scratch.',
    };
    const pending = await call('POST', '/authorize', SESSION, {
      tool: 'create_refund',
      parameters,
    });
    expect(pending.status).toBe(202);
    expect(pending.body).toMatchObject({ status: 'pending', tier: 'RESTRICTED' });
    expect(paypal.state.requests).toEqual([]);

    // The approver sees the call, with its amount, and approves it.
    const queue = await call('GET', '/approvals?status=pending', APPROVER);
    const approvals = queue.body.approvals as Array<Record<string, unknown>>;
    const approval = approvals.find((item) => item.approvalId === pending.body.approvalId);
    expect(approval).toMatchObject({
      tool: 'create_refund',
      amount: { value: '30.00', currency: 'USD' },
      parameters,
    });
    const decided = await call(
      'POST',
      `/approvals/${String(pending.body.approvalId)}/decision`,
      APPROVER,
      { decision: 'approve' },
    );
    expect(decided.body).toMatchObject({ status: 'approved', decidedBy: 'ops' });

    const view = await call('GET', `/approvals/${String(pending.body.approvalId)}`, SESSION);
    expect(view.body).toMatchObject({ status: 'approved' });
    const done = await call(
      'POST',
      '/execute',
      SESSION,
      signed('create_refund', parameters, { ...pending.body, ...view.body }),
    );
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', result: { status: 'COMPLETED' } });
    expect(paypal.state.captures.get(captureId)?.status).toBe('PARTIALLY_REFUNDED');
    expect(paypal.state.requests.filter((request) => request.method === 'POST')).toHaveLength(1);

    const limits = await engine.limits(SESSION);
    expect(limits?.windows.find((window) => window.window === 'daily')).toMatchObject({
      used: '30.00',
    });
  });

  it('asks approval for pay_order with the amount it fetched, and a denial captures nothing', async () => {
    const { approvedOrderId } = paypal.state.ids;
    const parameters = { id: approvedOrderId };
    const pending = await call('POST', '/authorize', SESSION, { tool: 'pay_order', parameters });
    expect(pending.status).toBe(202);
    const summary = await call('GET', `/approvals?status=pending`, APPROVER);
    expect(
      (summary.body.approvals as Array<Record<string, unknown>>).find(
        (item) => item.approvalId === pending.body.approvalId,
      ),
    ).toMatchObject({
      amount: { value: '100.00', currency: 'USD' },
      payee: 'merchant@example.com',
    });
    await call('POST', `/approvals/${String(pending.body.approvalId)}/decision`, APPROVER, {
      decision: 'deny',
      reason: 'not this one',
    });
    const view = await call('GET', `/approvals/${String(pending.body.approvalId)}`, SESSION);
    expect(view.body).toMatchObject({ status: 'denied' });
    expect(paypal.state.orders.get(approvedOrderId)?.status).toBe('APPROVED');
    expect(paypal.state.requests.map((request) => request.method)).toEqual(['GET']);
  });

  it('refuses pay_order when the order changed at PayPal after approval, and keeps the token', async () => {
    const { approvedOrderId } = paypal.state.ids;
    const parameters = { id: approvedOrderId };
    const daily = async () =>
      parseMoney(
        (await engine.limits(SESSION))?.windows.find((w) => w.window === 'daily')?.used ?? '',
        'USD',
        { allowZero: true },
      );
    const usedBefore = await daily();
    const pending = await call('POST', '/authorize', SESSION, { tool: 'pay_order', parameters });
    const approvalPath = `/approvals/${String(pending.body.approvalId)}`;
    await call('POST', `${approvalPath}/decision`, APPROVER, { decision: 'approve' });
    const view = await call('GET', approvalPath, SESSION);
    const execute = () =>
      call(
        'POST',
        '/execute',
        SESSION,
        signed('pay_order', parameters, { ...pending.body, ...view.body }),
      );
    const setAmount = (value: string, currency = 'USD') =>
      fetch(`https://api-m.sandbox.paypal.com/v2/checkout/orders/${approvedOrderId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${SIMULATED_ACCESS_TOKEN}` },
        body: JSON.stringify([
          {
            op: 'replace',
            path: "/purchase_units/@reference_id=='default'/amount",
            value: { currency_code: currency, value },
          },
        ]),
      });

    // The merchant raises the approved USD 100.00 order, then changes its currency.
    for (const [value, currency] of [
      ['250.00', 'USD'],
      ['100.00', 'EUR'],
    ] as const) {
      expect((await setAmount(value, currency)).status).toBe(204);
      const refused = await execute();
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ error: { code: 'TRANSACTION_MISMATCH' } });
    }
    expect(paypal.state.orders.get(approvedOrderId)?.status).toBe('APPROVED');
    expect(paypal.state.requests.some((request) => request.url.endsWith('/capture'))).toBe(false);

    // Back at the approved amount, the same token captures it, once.
    await setAmount('100.00');
    const done = await execute();
    expect(done.status).toBe(200);
    const captures = paypal.state.orders.get(approvedOrderId)?.captureIds ?? [];
    expect(captures.map((id) => paypal.state.captures.get(id)?.amount)).toEqual([
      { currency_code: 'USD', value: '100.00' },
    ]);
    expect(await daily()).toBe(usedBefore + 10_000n);
  });
  it('refuses accept_dispute_claim when the disputed amount changed after approval, and keeps the token', async () => {
    const { disputeId } = paypal.state.ids;
    const parameters = { dispute_id: disputeId, note: 'Accepting the claim.' };
    const pending = await call('POST', '/authorize', SESSION, {
      tool: 'accept_dispute_claim',
      parameters,
    });
    expect(pending.body).toMatchObject({ status: 'pending' });
    const approvalPath = `/approvals/${String(pending.body.approvalId)}`;
    await call('POST', `${approvalPath}/decision`, APPROVER, { decision: 'approve' });
    const view = await call('GET', approvalPath, SESSION);
    expect(view.body).toMatchObject({
      status: 'approved',
      amount: { value: '39.01', currency: 'USD' },
    });
    const execute = () =>
      call(
        'POST',
        '/execute',
        SESSION,
        signed('accept_dispute_claim', parameters, { ...pending.body, ...view.body }),
      );
    const dispute = paypal.state.disputes.get(disputeId);
    if (!dispute) throw new Error('the simulator holds no seeded dispute');

    // The disputed amount grows after the person approved USD 39.01.
    dispute.amount = { currency_code: 'USD', value: '50.00' };
    const refused = await execute();
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'TRANSACTION_MISMATCH' } });
    expect(paypal.state.disputes.get(disputeId)?.outcome).toBeUndefined();
    expect(paypal.state.requests.some((request) => request.url.endsWith('/accept-claim'))).toBe(
      false,
    );

    // Back at the approved amount, the same token accepts the claim.
    dispute.amount = { currency_code: 'USD', value: '39.01' };
    const done = await execute();
    expect(done.status).toBe(200);
    expect(
      paypal.state.requests.filter((request) => request.url.endsWith('/accept-claim')),
    ).toHaveLength(1);
  });
});
