import type { ToolDefinition } from '@handshake/core';
import { HandshakeError } from '@handshake/protocol';
import { PayPalMCPToolkit, type Tool } from '@paypal/agent-toolkit/mcp';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  SIMULATED_ACCESS_TOKEN,
  SIMULATED_CLIENT_ID,
  SIMULATED_CLIENT_SECRET,
  startPayPalSimulator,
} from '../testing/index.js';
import { paypalToolTiers } from '../tools/tiers.js';
import { PAYPAL_ALL_ACTIONS, type PayPalToolName } from '../tools/tool-names.js';
import { createPayPalToolProvider, type PayPalToolProvider } from './provider.js';

let now = Date.parse('2026-03-02T10:00:00Z');
const clock = { now: () => now };
const paypal = startPayPalSimulator({ clock, tokenLifetimeSeconds: 600 });
afterAll(() => paypal.close());
beforeEach(() => {
  now = Date.parse('2026-03-02T10:00:00Z');
  paypal.reset();
});

const context = {
  transactionId: 'tx_test',
  userId: 'alice',
  signal: new AbortController().signal,
};

function provider(): PayPalToolProvider {
  return createPayPalToolProvider({ accessToken: SIMULATED_ACCESS_TOKEN, environment: 'sandbox' });
}

function tool(p: PayPalToolProvider, name: PayPalToolName): ToolDefinition {
  const found = p.listTools().find((definition) => definition.name === name);
  if (!found) throw new Error(`${name} is not listed`);
  return found;
}

async function rejection(promise: Promise<unknown> | unknown): Promise<HandshakeError> {
  try {
    await promise;
  } catch (error) {
    if (HandshakeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a HandshakeError');
}

describe('listing', () => {
  it('offers every implemented toolkit tool with its tier, schema and annotations', () => {
    const p = provider();
    const tools = p.listTools();
    expect(tools).toHaveLength(30);
    for (const definition of tools) {
      expect(definition.tier).toBe(paypalToolTiers[definition.name as PayPalToolName]);
      expect(definition.jsonSchema).toMatchObject({ type: 'object' });
      expect(definition.inputSchema?.['~standard'].version).toBe(1);
      expect(definition.annotations?.openWorldHint).toBe(true);
      expect(definition.description.length).toBeGreaterThan(10);
    }
    expect(tool(p, 'create_refund').jsonSchema).toMatchObject({
      type: 'object',
      properties: { capture_id: { type: 'string' }, amount: { type: 'object' } },
      required: ['capture_id'],
    });
  });

  it('declares an amount exactly for the tools that move money', () => {
    const moving = provider()
      .listTools()
      .filter((definition) => definition.amount)
      .map((definition) => definition.name)
      .sort();
    expect(moving).toEqual([
      'accept_dispute_claim',
      'create_refund',
      'pay_order',
      'update_subscription',
    ]);
  });

  it('does not offer update_product, which the toolkit cannot run, and says why', async () => {
    const p = provider();
    expect(p.listTools().map((definition) => definition.name)).not.toContain('update_product');
    expect(p.unavailable).toContainEqual({
      name: 'update_product',
      reason: '@paypal/agent-toolkit 1.8 defines update_product but does not implement it',
    });
    const error = await rejection(
      p.execute(
        'update_product',
        { product_id: 'PROD-XXCD1234QWER65782', operations: [] },
        context,
      ),
    );
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toBe(
      'update_product is not offered: @paypal/agent-toolkit 1.8 defines update_product but does not implement it',
    );
    expect(paypal.state.requests).toEqual([]);
  });

  it('offers get_merchant_insights only in live, where the toolkit supports it', () => {
    expect(provider().unavailable.map((tool) => tool.name)).toContain('get_merchant_insights');
    const live = createPayPalToolProvider({ accessToken: 'A21AA-live', environment: 'live' });
    expect(live.listTools().map((definition) => definition.name)).toContain(
      'get_merchant_insights',
    );
  });

  it('lists only the enabled actions', () => {
    const p = createPayPalToolProvider({
      accessToken: SIMULATED_ACCESS_TOKEN,
      actions: { payments: { createRefund: true, getRefunds: true } },
    });
    expect(p.listTools().map((definition) => definition.name)).toEqual([
      'create_refund',
      'get_refund',
    ]);
  });
});

describe('execute', () => {
  it('runs a read through the toolkit and returns the parsed result', async () => {
    const order = await provider().execute(
      'get_order',
      { id: paypal.state.ids.capturedOrderId },
      context,
    );
    expect(order).toMatchObject({
      id: paypal.state.ids.capturedOrderId,
      status: 'COMPLETED',
      purchase_units: [{ amount: { currency_code: 'USD', value: '100.00' } }],
    });
    expect(paypal.state.requests).toEqual([
      {
        method: 'GET',
        url: `api.sandbox.paypal.com/v2/checkout/orders/${paypal.state.ids.capturedOrderId}`,
        status: 200,
      },
    ]);
  });

  it("validates arguments with the tool's own schema before PayPal is called", async () => {
    const error = await rejection(
      provider().execute('get_invoice', { invoice_id: '../../v1/billing/plans' }, context),
    );
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toBe(
      'Parameters of get_invoice are invalid at parameters.invoice_id: Invalid PayPal Invoice ID',
    );
    expect(error.path).toBe('parameters.invoice_id');
    const missing = await rejection(provider().execute('create_refund', {}, context));
    expect(missing.message).toBe(
      'Parameters of create_refund are invalid at parameters.capture_id: is required',
    );
    expect(paypal.state.requests).toEqual([]);
  });

  it('never repeats a rejected value in the message', async () => {
    const error = await rejection(
      provider().execute('list_disputes', { dispute_state: 'SECRET-VALUE-123' }, context),
    );
    expect(error.message).toBe(
      'Parameters of list_disputes are invalid at parameters.dispute_state: expected one of REQUIRED_ACTION, REQUIRED_OTHER_PARTY_ACTION, UNDER_PAYPAL_REVIEW, RESOLVED, OPEN_INQUIRIES, APPEALABLE',
    );
  });

  it('applies schema defaults, as the MCP server would', async () => {
    await provider().execute(
      'generate_invoice_qr_code',
      { invoice_id: paypal.state.ids.sentInvoiceId },
      context,
    );
    expect(paypal.state.requests.at(-1)?.body).toEqual({ width: 300, height: 300 });
  });

  it('turns an error answer into PROVIDER_ERROR', async () => {
    const error = await rejection(
      provider().execute('get_order', { id: 'ABCDEFGHJKLMNPQRS' }, context),
    );
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toContain('PayPal answered get_order with HTTP 404');
  });

  it('refunds a capture', async () => {
    const { captureId } = paypal.state.ids;
    const refund = await provider().execute(
      'create_refund',
      { capture_id: captureId, amount: { currency_code: 'USD', value: '40.00' } },
      context,
    );
    expect(refund).toMatchObject({ status: 'COMPLETED' });
    expect(paypal.state.captures.get(captureId)?.status).toBe('PARTIALLY_REFUNDED');
  });

  it('captures an approved order with pay_order', async () => {
    const { approvedOrderId } = paypal.state.ids;
    const result = await provider().execute('pay_order', { id: approvedOrderId }, context);
    expect(result).toMatchObject({ status: 'success', response: { status: 'COMPLETED' } });
    expect(paypal.state.orders.get(approvedOrderId)?.status).toBe('COMPLETED');
  });
});

describe('amounts', () => {
  it('pay_order fetches the order to learn its amount and payee', async () => {
    const payOrder = tool(provider(), 'pay_order');
    const parameters = { id: paypal.state.ids.approvedOrderId };
    await expect(payOrder.amount?.(parameters)).resolves.toEqual({
      value: '100.00',
      currency: 'USD',
    });
    expect(payOrder.payee?.(parameters)).toBe('merchant@example.com');
    expect(paypal.state.requests.map((request) => request.method)).toEqual(['GET']);
    expect(paypal.state.orders.get(parameters.id)?.status).toBe('APPROVED');
  });

  it('pay_order reports an unknown order as PROVIDER_ERROR', async () => {
    const error = await rejection(
      tool(provider(), 'pay_order').amount?.({ id: 'ABCDEFGHJKLMNPQRS' }),
    );
    expect(error.code).toBe('PROVIDER_ERROR');
  });

  it('create_refund counts the named amount, or the whole capture', async () => {
    const refund = tool(provider(), 'create_refund');
    const { partlyRefundedCaptureId } = paypal.state.ids;
    await expect(
      refund.amount?.({
        capture_id: partlyRefundedCaptureId,
        amount: { currency_code: 'USD', value: '5.00' },
      }),
    ).resolves.toEqual({ value: '5.00', currency: 'USD' });
    expect(paypal.state.requests).toEqual([]);
    await expect(refund.amount?.({ capture_id: partlyRefundedCaptureId })).resolves.toEqual({
      value: '50.00',
      currency: 'USD',
    });
    expect(paypal.state.requests.at(-1)?.url).toBe(
      `api.sandbox.paypal.com/v2/payments/captures/${partlyRefundedCaptureId}`,
    );
  });

  it('accept_dispute_claim counts the disputed amount and names the buyer', async () => {
    const accept = tool(provider(), 'accept_dispute_claim');
    const parameters = { dispute_id: paypal.state.ids.disputeId, note: 'Refunding the buyer.' };
    await expect(accept.amount?.(parameters)).resolves.toEqual({ value: '39.01', currency: 'USD' });
    expect(accept.payee?.(parameters)).toBe('Stephanie Meyers (buyer)');
  });

  it('update_subscription counts the amounts it puts on the bill', async () => {
    const update = tool(provider(), 'update_subscription');
    const id = paypal.state.ids.subscriptionId;
    await expect(
      update.amount?.({
        subscription_id: id,
        outstanding_balance: '12.50',
        fixed_price: { value: '20', sequence: 1 },
      }),
    ).resolves.toEqual({ value: '32.50', currency: 'USD' });
    await expect(update.amount?.({ subscription_id: id, custom_id: 'c-1' })).resolves.toBe(
      undefined,
    );
  });
});

describe('accept_dispute_claim schema', () => {
  function original(): Tool {
    const found = new PayPalMCPToolkit({
      accessToken: '',
      configuration: { actions: PAYPAL_ALL_ACTIONS, context: { sandbox: true } },
    })
      .getTools()
      .find((candidate) => candidate.method === 'accept_dispute_claim');
    if (!found) throw new Error('the toolkit lost accept_dispute_claim');
    return found;
  }

  const realNote = { dispute_id: 'PP-D-27803', note: 'Item arrived damaged; refunding.' };
  const traversal = { dispute_id: '../../../v2/payments/captures/X/refund', note: 'ok' };

  it('is wrong in the toolkit: it refuses real notes and lets any dispute id through', () => {
    expect(original().parameters.safeParse(realNote).success).toBe(false);
    expect(original().parameters.safeParse(traversal).success).toBe(true);
  });

  it('is corrected in the provider', async () => {
    const accept = tool(provider(), 'accept_dispute_claim');
    const validate = (value: unknown) => accept.inputSchema?.['~standard'].validate(value);
    expect(await validate(realNote)).toEqual({ value: realNote });
    expect(await validate(traversal)).toMatchObject({
      issues: [{ message: 'Invalid PayPal Dispute ID', path: ['dispute_id'] }],
    });
    const error = await rejection(provider().execute('accept_dispute_claim', traversal, context));
    expect(error.path).toBe('parameters.dispute_id');
    expect(paypal.state.requests).toEqual([]);
  });

  it('accepts a claim end to end: the dispute closes and the buyer is refunded', async () => {
    const result = await provider().execute('accept_dispute_claim', realNote, context);
    expect(result).toMatchObject({ links: [{ rel: 'self' }] });
    const dispute = paypal.state.disputes.get(realNote.dispute_id);
    expect(dispute?.status).toBe('RESOLVED');
    const capture = paypal.state.captures.get(paypal.state.ids.partlyRefundedCaptureId);
    expect(capture?.status).toBe('REFUNDED');
  });
});

describe('environment and credentials', () => {
  it('defaults to sandbox', () => {
    expect(createPayPalToolProvider({ accessToken: SIMULATED_ACCESS_TOKEN }).environment).toBe(
      'sandbox',
    );
  });

  it("refuses a toolkit left on the toolkit's live default", () => {
    const toolkit = new PayPalMCPToolkit({
      accessToken: 'A21AA-live',
      configuration: { actions: PAYPAL_ALL_ACTIONS },
    });
    expect(() => createPayPalToolProvider({ toolkit })).toThrow(
      /talks to PayPal live .* pass environment: 'live' to confirm/,
    );
    expect(createPayPalToolProvider({ toolkit, environment: 'live' }).environment).toBe('live');
  });

  it('uses a sandbox toolkit you built', async () => {
    const toolkit = new PayPalMCPToolkit({
      accessToken: SIMULATED_ACCESS_TOKEN,
      configuration: { actions: PAYPAL_ALL_ACTIONS, context: { sandbox: true } },
    });
    const p = createPayPalToolProvider({ toolkit });
    expect(() => createPayPalToolProvider({ toolkit, environment: 'live' })).toThrow(TypeError);
    await expect(
      p.execute('get_refund', { refund_id: paypal.state.ids.refundId }, context),
    ).resolves.toMatchObject({ amount: { value: '10.99' } });
  });

  it('needs exactly one way to reach PayPal', () => {
    expect(() => createPayPalToolProvider({})).toThrow(TypeError);
    expect(() =>
      createPayPalToolProvider({ accessToken: 'A21AA', clientId: 'id', clientSecret: 's' }),
    ).toThrow(TypeError);
    expect(() => createPayPalToolProvider({ clientId: 'id' })).toThrow(TypeError);
  });

  it('fetches an access token with client credentials and renews it before it expires', async () => {
    const p = createPayPalToolProvider({
      clientId: SIMULATED_CLIENT_ID,
      clientSecret: SIMULATED_CLIENT_SECRET,
      clock,
    });
    const oauthCalls = () =>
      paypal.state.requests.filter((request) => request.url.endsWith('/v1/oauth2/token')).length;
    const read = () => p.execute('get_refund', { refund_id: paypal.state.ids.refundId }, context);

    await read();
    await read();
    expect(oauthCalls()).toBe(1);
    // The token lives 600 s; it is renewed at half its life (5 min margin, capped at half).
    now += 290_000;
    await read();
    expect(oauthCalls()).toBe(1);
    now += 20_000;
    await read();
    expect(oauthCalls()).toBe(2);
    expect(paypal.state.requests.every((request) => request.status < 300)).toBe(true);
  });

  it('reports refused client credentials without repeating them', async () => {
    const p = createPayPalToolProvider({ clientId: 'someone', clientSecret: 'wrong-secret' });
    const error = await rejection(
      p.execute('get_refund', { refund_id: paypal.state.ids.refundId }, context),
    );
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toBe(
      'PayPal refused the client credentials with HTTP 401: POST https://api-m.sandbox.paypal.com/v1/oauth2/token',
    );
    expect(error.message).not.toContain('wrong-secret');
  });
});
