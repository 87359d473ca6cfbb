import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { generateSigningKey, hashParams, signExecute } from '@handshake/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { dynaliteGate } from '../../dynamodb/src/test-support.js';
import { ConfigError, loadConfig } from './config.js';

const here = fileURLToPath(new URL('.', import.meta.url));

describe('HANDSHAKE_STORE=dynamodb://<table>', () => {
  it('reads the table name and the create flag', () => {
    expect(loadConfig({ HANDSHAKE_STORE: 'dynamodb://handshake-prod' }).store).toEqual({
      kind: 'dynamodb',
      tableName: 'handshake-prod',
      createTable: false,
      approvalPollMs: 1_000,
    });
    expect(
      loadConfig({
        HANDSHAKE_STORE: 'dynamodb://hs.dev_1',
        HANDSHAKE_DYNAMODB_CREATE_TABLE: '1',
        HANDSHAKE_DYNAMODB_POLL_MS: '250',
      }).store,
    ).toEqual({ kind: 'dynamodb', tableName: 'hs.dev_1', createTable: true, approvalPollMs: 250 });
  });

  it.each([
    [{ HANDSHAKE_STORE: 'dynamodb://' }, 'HANDSHAKE_STORE'],
    [{ HANDSHAKE_STORE: 'dynamodb://ab' }, 'HANDSHAKE_STORE'],
    [{ HANDSHAKE_STORE: 'dynamodb://has/slash' }, 'HANDSHAKE_STORE'],
    [
      { HANDSHAKE_STORE: 'dynamodb://handshake', HANDSHAKE_DYNAMODB_CREATE_TABLE: 'yes' },
      'HANDSHAKE_DYNAMODB_CREATE_TABLE',
    ],
    [
      { HANDSHAKE_STORE: 'dynamodb://handshake', HANDSHAKE_DYNAMODB_POLL_MS: '10' },
      'HANDSHAKE_DYNAMODB_POLL_MS',
    ],
  ])('refuses %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(`${variable}:`);
  });
});

const server = await dynaliteGate();

/** The service as a user starts it, configured by environment only. */
function start(env: Record<string, string>) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@handshake/source', `${here}main.ts`],
    {
      cwd: `${here}..`,
      env: {
        ...process.env,
        PORT: '0',
        AWS_ENDPOINT_URL_DYNAMODB: server?.endpoint ?? '',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        HANDSHAKE_SESSIONS: `alice:${SESSION}`,
        HANDSHAKE_KEYS: `alice:laptop:${KEY.publicKey}`,
        // Instances sharing a store share the key sealing stored outcomes (card numbers).
        HANDSHAKE_OUTCOME_KEYS: OUTCOME_KEYS,
        HANDSHAKE_LIMITS: '{"currency":"USD","daily":"1000.00"}',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = new Promise<string | undefined>((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/localhost:\d+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => resolve(undefined));
  });
  return {
    url,
    exited,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

const SESSION = 'dynamodb-service-session-0001';
const KEY = generateSigningKey();
const OUTCOME_KEYS = `k1:${randomBytes(32).toString('base64')}`;

describe.skipIf(!server)('the reference service on DynamoDB', () => {
  const running: Array<ReturnType<typeof start>> = [];
  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()));
    await server?.kill();
  });

  it('refuses to start on a missing table, naming it', async () => {
    const service = start({ HANDSHAKE_STORE: 'dynamodb://hs-no-such-table' });
    running.push(service);
    expect(await service.exited).toBe(1);
    expect(service.output()).toContain(
      'Configuration error: HANDSHAKE_STORE: The DynamoDB table "hs-no-such-table" does not exist',
    );
  }, 30_000);

  it('creates the table when asked, and two instances share it', async () => {
    const table = `hs-service-${process.pid}`;
    const first = start({
      HANDSHAKE_STORE: `dynamodb://${table}`,
      HANDSHAKE_DYNAMODB_CREATE_TABLE: '1',
    });
    running.push(first);
    const a = await first.url;
    expect(a, first.output()).toBeDefined();
    // The second instance finds the table the first one created.
    const second = start({ HANDSHAKE_STORE: `dynamodb://${table}` });
    running.push(second);
    const b = await second.url;
    expect(b, second.output()).toBeDefined();

    const call = async (base: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${SESSION}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    // Validate on one instance, spend the validation on the other, once.
    const validation = await call(a as string, '/api/mcp/validate-transaction', {
      merchant: { name: 'Acme Books' },
      amount: '42.50',
      currency: 'USD',
    });
    expect(validation.body).toMatchObject({ status: 'auto_approved' });
    const transactionId = validation.body.transaction_id as string;
    const purchase = { merchant_name: 'Acme Books', amount: { value: '42.50', currency: 'USD' } };
    const card = {
      validation_token: validation.body.validation_token,
      merchant_name: 'Acme Books',
      transaction_amount: '42.50',
      transaction_currency: 'USD',
      card_amount: '42.50',
      card_currency: 'USD',
      transaction_id: transactionId,
      signature: {
        keyId: 'laptop',
        value: signExecute(KEY.privateKey, {
          tool: 'create_virtual_card',
          paramsHash: hashParams(purchase),
          transactionId,
        }),
      },
    };
    const issued = await call(b as string, '/api/mcp/create-virtual-card', card);
    expect(issued.status).toBe(200);
    // The same request again, on the other instance: the same card, replayed, not a second.
    const again = await call(a as string, '/api/mcp/create-virtual-card', card);
    expect(again.body).toMatchObject({ cardId: issued.body.cardId, replayed: true });
    for (const base of [a, b]) {
      const limits = await call(base as string, '/api/mcp/limits');
      expect(limits.body.daily).toMatchObject({ used: '42.50' });
    }
  }, 60_000);
});
