import { TIERS } from '@handshake/protocol';
import { ALL_TOOLS_ENABLED } from '@paypal/agent-toolkit/ai-sdk';
import { PayPalMCPToolkit } from '@paypal/agent-toolkit/mcp';
import { describe, expect, it } from 'vitest';
import { paypalToolAnnotations } from './annotations.js';
import { paypalToolTiers } from './tiers.js';
import { PAYPAL_ALL_ACTIONS, PAYPAL_TOOL_NAMES } from './tool-names.js';

// Every product and every action switched on, whatever their names: the toolkit's
// isToolAllowed only asks `actions[product][action]`.
const everyAction = new Proxy({}, { get: () => new Proxy({}, { get: () => true }) }) as Record<
  string,
  Record<string, boolean>
>;

function installedTools(actions: Record<string, Record<string, boolean>>) {
  return new PayPalMCPToolkit({
    accessToken: '',
    configuration: { actions, context: { sandbox: true } },
  })
    .getTools()
    .map((tool) => tool.method);
}

describe('paypalToolTiers', () => {
  it('gives every tool of the installed toolkit a tier, and names no other', () => {
    const installed = installedTools(everyAction);
    expect(installed.length).toBeGreaterThan(0);
    const untiered = installed.filter((name) => !Object.hasOwn(paypalToolTiers, name));
    expect(untiered, 'toolkit tools without a tier').toEqual([]);
    const unknown = Object.keys(paypalToolTiers).filter((name) => !installed.includes(name));
    expect(unknown, 'tiers for tools the toolkit lacks').toEqual([]);
    expect([...installed].sort()).toEqual([...PAYPAL_TOOL_NAMES].sort());
  });

  it('uses only known tiers, and none is PUBLIC', () => {
    for (const tier of Object.values(paypalToolTiers)) {
      expect(TIERS).toContain(tier);
      expect(tier).not.toBe('PUBLIC');
    }
  });

  it('makes reads INTERNAL and money movement RESTRICTED', () => {
    const reads = PAYPAL_TOOL_NAMES.filter((name) => /^(list|get|show)_/.test(name));
    expect(reads.length).toBe(14);
    for (const name of [...reads, 'generate_invoice_qr_code'] as const) {
      expect(paypalToolTiers[name], name).toBe('INTERNAL');
    }
    const restricted = Object.entries(paypalToolTiers)
      .filter(([, tier]) => tier === 'RESTRICTED')
      .map(([name]) => name)
      .sort();
    expect(restricted).toEqual([
      'accept_dispute_claim',
      'create_refund',
      'pay_order',
      'update_subscription',
    ]);
  });

  it('cannot be lowered at run time', () => {
    expect(() => {
      (paypalToolTiers as Record<string, string>).create_refund = 'INTERNAL';
    }).toThrow(TypeError);
    expect(paypalToolTiers.create_refund).toBe('RESTRICTED');
  });

  it('annotates every tool, marking only reads read-only', () => {
    for (const name of PAYPAL_TOOL_NAMES) {
      const annotations = paypalToolAnnotations[name];
      expect(annotations.openWorldHint, name).toBe(true);
      expect(annotations.readOnlyHint, name).toBe(paypalToolTiers[name] === 'INTERNAL');
      if (paypalToolTiers[name] === 'RESTRICTED') {
        expect(annotations.destructiveHint, name).toBe(true);
        expect(annotations.idempotentHint, name).toBe(false);
      }
    }
  });
});

describe('PAYPAL_ALL_ACTIONS', () => {
  it("equals the toolkit's own ALL_TOOLS_ENABLED", () => {
    expect(PAYPAL_ALL_ACTIONS).toEqual(ALL_TOOLS_ENABLED);
  });

  it('enables every tool', () => {
    expect(installedTools(PAYPAL_ALL_ACTIONS)).toEqual(installedTools(everyAction));
  });
});
