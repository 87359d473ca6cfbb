import { HandshakeError } from '@handshake/protocol';
import { PayPalAPI } from '@paypal/agent-toolkit/mcp';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SIMULATED_ACCESS_TOKEN, startPayPalSimulator } from '../testing/index.js';
import { interpretToolkitResult } from './result.js';
import { safeMessage } from './safe-message.js';

const paypal = startPayPalSimulator();
afterAll(() => paypal.close());
beforeEach(() => paypal.reset());

function failure(run: () => unknown): HandshakeError {
  try {
    run();
  } catch (error) {
    if (HandshakeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a HandshakeError');
}

describe('interpretToolkitResult on what the real run() answers', () => {
  const api = () => new PayPalAPI(SIMULATED_ACCESS_TOKEN, { sandbox: true });

  it('parses a successful answer', async () => {
    const raw = await api().run('get_order', { id: paypal.state.ids.capturedOrderId });
    expect(typeof raw).toBe('string');
    expect(interpretToolkitResult('get_order', raw)).toMatchObject({
      id: paypal.state.ids.capturedOrderId,
      status: 'COMPLETED',
    });
  });

  it('turns the LlmError string of an HTTP failure into PROVIDER_ERROR', async () => {
    const raw = await api().run('get_order', { id: 'ABCDEFGHJKLMNPQRS' });
    // run() did not throw: the failure is a string.
    expect(JSON.parse(raw)).toMatchObject({ ok: false, status: 404 });
    const error = failure(() => interpretToolkitResult('get_order', raw));
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toBe(
      'PayPal answered get_order with HTTP 404 (PAYPAL_API_HTTP_ERROR): The specified resource does not exist.: Specified resource ID does not exist. Please check the resource ID and try again.',
    );
  });

  it('turns the { error } string of a local failure into PROVIDER_ERROR', async () => {
    const raw = await api().run('update_product', { product_id: 'PROD-1', operations: [] });
    const error = failure(() => interpretToolkitResult('update_product', raw));
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toBe(
      'update_product failed in the PayPal toolkit: Invalid method: update_product',
    );
  });

  it('reports a refused access token without repeating it', async () => {
    const token = `A21AA${'x'.repeat(80)}`;
    const raw = await new PayPalAPI(token, { sandbox: true }).run('get_order', {
      id: paypal.state.ids.capturedOrderId,
    });
    const error = failure(() => interpretToolkitResult('get_order', raw));
    expect(error.message).toContain('HTTP 401');
    expect(error.message).not.toContain(token);
  });

  it('treats update_plan saying it did nothing as a failure', async () => {
    const raw = await api().run('update_plan', { plan_id: paypal.state.ids.planId });
    expect(JSON.parse(raw)).toBe('No params to patch');
    expect(failure(() => interpretToolkitResult('update_plan', raw)).message).toBe(
      'update_plan changed nothing: No params to patch',
    );
  });

  it('answers null for an empty 204 body', async () => {
    const raw = await api().run('send_invoice_reminder', {
      invoice_id: paypal.state.ids.sentInvoiceId,
    });
    expect(interpretToolkitResult('send_invoice_reminder', raw)).toBeNull();
  });

  it('refuses a string that is not JSON', () => {
    expect(failure(() => interpretToolkitResult('get_order', '<html>')).message).toBe(
      'get_order returned a result that is not JSON',
    );
  });
});

describe('safeMessage', () => {
  it('redacts credentials, Handshake tokens and card numbers', () => {
    const text =
      'Bearer abc.def fails; token A21AAxyz_123 and hset_abcDEF123 for card 4242 4242 4242 4242';
    const safe = safeMessage(text);
    expect(safe).toBe(
      'Bearer [redacted] fails; token [redacted] and [redacted] for card [redacted]',
    );
  });

  it('keeps ordinary numbers and shortens long text', () => {
    expect(safeMessage('order 5O190127TN364715T of 100.00 USD')).toBe(
      'order 5O190127TN364715T of 100.00 USD',
    );
    expect(safeMessage('a '.repeat(300)).length).toBe(200);
  });
});
