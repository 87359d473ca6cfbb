import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type RunningServer, serve } from '@handshake/core/node';
import { generateSigningKey, hashParams, signExecute } from '@handshake/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { createService, type Service } from './service.js';

const here = fileURLToPath(new URL('.', import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: the test reads arbitrary JSON answers field by field
type Body = Record<string, any>;

describe('configuration', () => {
  const bad: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ HANDSHAKE_STORE: 'postgres://x' }, 'HANDSHAKE_STORE'],
    [{ HANDSHAKE_SESSIONS: 'alice' }, 'HANDSHAKE_SESSIONS'],
    [{ HANDSHAKE_JWT_SECRET: 'short' }, 'HANDSHAKE_JWT_SECRET'],
    [{ HANDSHAKE_JWT_MAX_LIFETIME_SECONDS: '0' }, 'HANDSHAKE_JWT_MAX_LIFETIME_SECONDS'],
    [{ HANDSHAKE_KEYS: 'alice:key' }, 'HANDSHAKE_KEYS'],
    [{ HANDSHAKE_OUTCOME_KEYS: 'k1:c2hvcnQ=' }, 'HANDSHAKE_OUTCOME_KEYS'],
    [
      { HANDSHAKE_OUTCOME_KEYS: `k1:${'A'.repeat(43)}=,k1:${'A'.repeat(43)}=` },
      'HANDSHAKE_OUTCOME_KEYS',
    ],
    [{ HANDSHAKE_APPROVER_TOKEN: 'x' }, 'HANDSHAKE_APPROVER_TOKEN'],
    [{ HANDSHAKE_TOKEN_TTL_SECONDS: '0' }, 'HANDSHAKE_TOKEN_TTL_SECONDS'],
    [{ HANDSHAKE_TRUSTED_PROXIES: '-1' }, 'HANDSHAKE_TRUSTED_PROXIES'],
    [{ HANDSHAKE_REPLAY_WINDOW_SECONDS: '0' }, 'HANDSHAKE_REPLAY_WINDOW_SECONDS'],
    [{ HANDSHAKE_REPLAY_WINDOW_SECONDS: '10m' }, 'HANDSHAKE_REPLAY_WINDOW_SECONDS'],
    [{ HANDSHAKE_REPLAY_WINDOW_SECONDS: '86401' }, 'HANDSHAKE_REPLAY_WINDOW_SECONDS'],
    [{ HANDSHAKE_LIMITS: '{"currency":"usd"}' }, 'HANDSHAKE_LIMITS'],
    [{ HANDSHAKE_LIMITS: '{"currency":"USD","daily":"10.001"}' }, 'HANDSHAKE_LIMITS'],
    [{ HANDSHAKE_LIMITS: '{"currency":"USD","hourly":"1"}' }, 'HANDSHAKE_LIMITS'],
    [{ HANDSHAKE_LIMITS: 'not json' }, 'HANDSHAKE_LIMITS'],
    [
      { HANDSHAKE_STORE: 'redis://127.0.0.1:6379', HANDSHAKE_REDIS_TOKEN_FORM: 'short' },
      'HANDSHAKE_REDIS_TOKEN_FORM',
    ],
    [{ PAYPAL_MODE: 'prod' }, 'PAYPAL_MODE'],
    [{ PAYPAL_MODE: 'live' }, 'PAYPAL_MODE'],
  ];
  it.each(bad)('refuses %j naming %s', (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message.startsWith(`${variable}:`)).toBe(true);
  });

  it('writes Redis tokens compact unless HANDSHAKE_REDIS_TOKEN_FORM says verbose', () => {
    const url = 'redis://127.0.0.1:6379';
    expect(loadConfig({ HANDSHAKE_STORE: url }).store).toEqual({ kind: 'redis', url });
    expect(
      loadConfig({ HANDSHAKE_STORE: url, HANDSHAKE_REDIS_TOKEN_FORM: 'verbose' }).store,
    ).toEqual({ kind: 'redis', url, tokenForm: 'verbose' });
  });

  it('refuses a malformed public key at start, naming HANDSHAKE_KEYS', async () => {
    await expect(
      createService(loadConfig({ HANDSHAKE_KEYS: 'alice:k:AAAA' })),
    ).rejects.toMatchObject({
      variable: 'HANDSHAKE_KEYS',
    });
  });

  it('gives JWT sessions the configured maximum lifetime', async () => {
    const secret = 'a-32-byte-or-longer-shared-secret!!';
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const jwt = (claims: Record<string, unknown>) => {
      const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
      return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
    };
    const service = await createService(
      loadConfig({ HANDSHAKE_JWT_SECRET: secret, HANDSHAKE_JWT_MAX_LIFETIME_SECONDS: '600' }),
    );
    try {
      const now = Math.floor(Date.now() / 1000);
      expect(await service.engine.identify(jwt({ sub: 'alice', exp: now + 300 }))).toMatchObject({
        userId: 'alice',
      });
      await expect(
        service.engine.identify(jwt({ sub: 'alice', exp: now + 3600 })),
      ).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
      });
      await expect(service.engine.identify(jwt({ sub: 'alice' }))).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
      });
    } finally {
      await service.close();
    }
  });

  it('reads the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8787,
      store: { kind: 'memory' },
      tokenTtlSeconds: 30,
      trustedProxies: 0,
      jwtMaxLifetimeSeconds: 86_400,
      replayWindowSeconds: 600,
      paypalMode: 'simulated',
    });
    expect(config.limits).toBeUndefined();
  });

  it('fails at start with the variable named, and starts with good configuration', async () => {
    const run = (env: Record<string, string>, until: RegExp) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', '--conditions=@handshake/source', `${here}main.ts`],
          {
            cwd: `${here}..`,
            env: { ...process.env, ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let output = '';
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (until.test(output)) child.kill('SIGTERM');
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => resolve({ code, output }));
      });
    const failed = await run({ HANDSHAKE_LIMITS: '{"currency":"XYZ"}' }, /$^/);
    expect(failed.code).toBe(1);
    expect(failed.output).toContain('Configuration error: HANDSHAKE_LIMITS');
    const started = await run(
      { PORT: '0', HANDSHAKE_SESSIONS: 'alice:dev-token-alice-123' },
      /listening on/,
    );
    expect(started.output).toMatch(/listening on http:\/\/localhost:\d+/);
    expect(started.output).not.toContain('dev-token-alice-123');
  }, 30_000);
});

describe('the reference service answers an outside client as docs/protocol.md says', () => {
  const key = generateSigningKey();
  const session = 'outside-client-session-0001';
  const approver = 'outside-approver-token-0001';
  let service: Service;
  let server: RunningServer;

  beforeAll(async () => {
    service = await createService(
      loadConfig({
        HANDSHAKE_SESSIONS: `alice:${session}`,
        HANDSHAKE_KEYS: `alice:laptop:${key.publicKey}`,
        HANDSHAKE_APPROVER_TOKEN: approver,
        HANDSHAKE_LIMITS: '{"currency":"USD","daily":"1000.00","transaction":"500.00"}',
      }),
    );
    server = await serve(service.handler, { port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await service.close();
  });

  const call = async (method: string, path: string, body?: unknown, credential = session) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(credential ? { authorization: `Bearer ${credential}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const type = response.headers.get('content-type') ?? '';
    const answer: Body = type.includes('json')
      ? await response.json()
      : { text: await response.text() };
    return { status: response.status, type, body: answer };
  };
  const sign = (tool: string, parameters: unknown, transactionId: string) => ({
    transactionId,
    signature: {
      keyId: 'laptop',
      value: signExecute(key.privateKey, {
        tool,
        paramsHash: hashParams(parameters),
        transactionId,
      }),
    },
  });

  it('lists its tools with tiers, including the PUBLIC get_exchange_rate', async () => {
    const { body } = await call('GET', '/tools');
    const tiers = Object.fromEntries(
      (body as { tools: Array<{ name: string; tier: string }> }).tools.map((t) => [t.name, t.tier]),
    );
    expect(tiers.get_exchange_rate).toBe('PUBLIC');
    expect(tiers.create_virtual_card).toBe('CONFIDENTIAL');
    // PayPal's toolkit, simulated by default, with DESIGN.md's tiers.
    expect(tiers.get_order).toBe('INTERNAL');
    expect(tiers.create_invoice).toBe('CONFIDENTIAL');
    expect(tiers.create_refund).toBe('RESTRICTED');
    expect(tiers.pay_order).toBe('RESTRICTED');
    expect(Object.keys(tiers).length).toBeGreaterThan(25);
  });

  it('runs authorize → execute with the documented shapes', async () => {
    const parameters = { name: 'Travel mug', type: 'PHYSICAL' };
    const a = await call('POST', '/authorize', { tool: 'create_product', parameters });
    expect(a.status).toBe(200);
    expect(Object.keys(a.body).sort()).toEqual([
      'ephemeralToken',
      'expiresAt',
      'paramsHash',
      'status',
      'tier',
      'transactionId',
    ]);
    expect(a.body.paramsHash).toBe(hashParams(parameters));
    const e = await call('POST', '/execute', {
      ephemeralToken: a.body.ephemeralToken,
      tool: 'create_product',
      parameters,
      ...sign('create_product', parameters, a.body.transactionId),
    });
    expect(e.status).toBe(200);
    expect(e.body).toMatchObject({ status: 'completed', transactionId: a.body.transactionId });
  });

  it('goes limits → validate → card → checkout', async () => {
    const limits = await call('GET', '/api/mcp/limits');
    expect(limits.status).toBe(200);
    expect(limits.body.daily).toMatchObject({ amount: '1000.00', currency: 'USD' });
    const validation = await call('POST', '/api/mcp/validate-transaction', {
      merchant: { name: 'Acme Books' },
      amount: 42.5,
      currency: 'USD',
    });
    expect(validation.status).toBe(200);
    expect(validation.body).toMatchObject({ status: 'auto_approved' });
    const purchase = { merchant_name: 'Acme Books', amount: { value: '42.50', currency: 'USD' } };
    const card = await call('POST', '/api/mcp/create-virtual-card', {
      validation_token: validation.body.validation_token,
      merchant_name: 'Acme Books',
      transaction_amount: '42.50',
      transaction_currency: 'USD',
      card_amount: '42.50',
      card_currency: 'USD',
      transaction_id: validation.body.transaction_id,
      signature: sign('create_virtual_card', purchase, validation.body.transaction_id).signature,
    });
    expect(card.status).toBe(200);
    expect(card.body.spendingLimit).toBe('42.50');
    const after = await call('GET', '/api/mcp/limits');
    expect(after.body.daily.remaining).toBe('957.50');
    const checkout = await call('POST', '/api/mcp/mock-checkout', {
      card_details: {
        card_number: card.body.cardNumber,
        cvc: card.body.cvc,
        exp_month: card.body.expMonth,
        exp_year: card.body.expYear,
      },
      customer_details: card.body.customer,
      amount: '42.50',
      currency: 'USD',
    });
    expect(checkout.status).toBe(200);
    expect(checkout.body.status).toBe('confirmed');
  });

  it('serves the approval console with its CSP', async () => {
    const page = await fetch(`${server.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});

describe('an approved refund on the reference service runs once, whatever the lifetimes', () => {
  it('with HANDSHAKE_TOKEN_TTL_SECONDS=3600 and a 60 s replay window', async () => {
    const key = generateSigningKey();
    let now = Date.parse('2026-11-21T12:00:00Z');
    const service = await createService(
      loadConfig({
        HANDSHAKE_SESSIONS: 'alice:refund-client-session-01',
        HANDSHAKE_KEYS: `alice:laptop:${key.publicKey}`,
        HANDSHAKE_APPROVER_TOKEN: 'refund-approver-token-01',
        HANDSHAKE_LIMITS: '{"currency":"USD","daily":"1000.00"}',
        HANDSHAKE_TOKEN_TTL_SECONDS: '3600',
        HANDSHAKE_REPLAY_WINDOW_SECONDS: '60',
      }),
      { clock: { now: () => now } },
    );
    const server = await serve(service.handler, { port: 0 });
    const call = async (method: string, path: string, body?: unknown, approver = false) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${approver ? 'refund-approver-token-01' : 'refund-client-session-01'}`,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Body };
    };
    try {
      const parameters = {
        capture_id: '3C679366HH908993F',
        amount: { currency_code: 'USD', value: '5.00' },
      };
      const pending = await call('POST', '/authorize', { tool: 'create_refund', parameters });
      expect(pending.status).toBe(202);
      const { approvalId, transactionId } = pending.body;
      await call('POST', `/approvals/${approvalId}/decision`, { decision: 'approve' }, true);
      const signed = {
        tool: 'create_refund',
        parameters,
        transactionId,
        signature: {
          keyId: 'laptop',
          value: signExecute(key.privateKey, {
            tool: 'create_refund',
            paramsHash: hashParams(parameters),
            transactionId,
          }),
        },
      };
      const token = (await call('GET', `/approvals/${approvalId}`)).body.ephemeralToken;
      const first = await call('POST', '/execute', { ...signed, ephemeralToken: token });
      expect(first.status).toBe(200);
      now += 61_000; // the replay window lapsed; the token lifetime has not
      const view = await call('GET', `/approvals/${approvalId}`);
      expect(view.body).toMatchObject({ status: 'approved', executed: true });
      expect(view.body.ephemeralToken).toBeUndefined();
      const again = await call('POST', '/execute', { ...signed, ephemeralToken: token });
      expect(again.status).toBe(401);
      const limits = await call('GET', '/api/mcp/limits');
      expect(limits.body.daily.used).toBe('5.00');
    } finally {
      await server.close();
      await service.close();
    }
  });
});
