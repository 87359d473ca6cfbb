// The exported handler invoked as Lambda invokes it, with events shaped like AWS's
// documented samples (core's fixtures): every step of a handshake goes to a different
// "function" — a service built from the environment alone, as in a fresh execution
// environment — and the functions share nothing but the DynamoDB table (dynalite).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type {
  ApiGatewayProxyEventV1,
  ApiGatewayProxyEventV2,
  LambdaStreamingRuntime,
} from '@handshake/core/aws-lambda';
import { awsLambdaStreamingHandler } from '@handshake/core/aws-lambda';
import { generateSigningKey, hashParams, signExecute } from '@handshake/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dynaliteGate,
  freshTable,
  testClient,
  within,
} from '../../../packages/dynamodb/src/test-support.js';
import { createLambdaService, type LambdaService } from './handler.js';

const fixtures = new URL('../../../packages/core/src/aws-lambda/fixtures/', import.meta.url);
const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(name, fixtures), 'utf8')) as T;

const SESSION = 'lambda-session-alice-0001';
const APPROVER = 'lambda-approver-token-0001';
const key = generateSigningKey();

/** A REST API (payload 1.0) event for `method path`, with a JSON body. */
function rest(method: string, path: string, body?: unknown, credential = SESSION) {
  const event = fixture<ApiGatewayProxyEventV1>('rest-api-v1.json');
  event.httpMethod = method;
  event.path = path;
  const auth = { Authorization: [`Bearer ${credential}`], 'Content-Type': ['application/json'] };
  event.multiValueHeaders = { ...event.multiValueHeaders, ...auth };
  if (body !== undefined) event.body = JSON.stringify(body);
  return event;
}

/** An HTTP API or Function URL (payload 2.0) event, the body base64-encoded. */
function v2(
  name: 'http-api-v2.json' | 'function-url.json',
  method: string,
  path: string,
  body?: unknown,
  credential = SESSION,
) {
  const event = fixture<ApiGatewayProxyEventV2>(name);
  const [rawPath = '', query = ''] = path.split('?');
  event.rawPath = rawPath;
  event.rawQueryString = query;
  event.requestContext.http.method = method;
  event.headers = {
    ...event.headers,
    authorization: `Bearer ${credential}`,
    'content-type': 'application/json',
  };
  if (body !== undefined) {
    event.body = Buffer.from(JSON.stringify(body)).toString('base64');
    event.isBase64Encoded = true;
  }
  return event;
}

const server = await dynaliteGate();

describe.skipIf(!server)('the reference service as Lambda functions on one DynamoDB table', () => {
  // Three functions, each with its service built from the environment alone at its first
  // invocation (building one loads PayPal's toolkit: seconds on a busy machine).
  const functions: LambdaService[] = [];
  let env: NodeJS.ProcessEnv;
  let a: LambdaService;
  let b: LambdaService;
  let c: LambdaService;

  beforeAll(async () => {
    const admin = testClient(server?.endpoint ?? '');
    const table = await freshTable(admin, 'lambda');
    admin.destroy();
    // The AWS SDK's standard variables, as Lambda sets them (the endpoint for dynalite).
    process.env.AWS_ENDPOINT_URL_DYNAMODB = server?.endpoint;
    process.env.AWS_REGION = 'us-east-2';
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    env = {
      HANDSHAKE_STORE: `dynamodb://${table}`,
      HANDSHAKE_SESSIONS: `alice:${SESSION}`,
      HANDSHAKE_KEYS: `alice:laptop:${key.publicKey}`,
      HANDSHAKE_APPROVER_TOKEN: APPROVER,
      HANDSHAKE_OUTCOME_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      HANDSHAKE_LIMITS: '{"currency":"USD","daily":"1000.00","transaction":"100.00"}',
    };
    [a, b, c] = [0, 1, 2].map(() => createLambdaService(env)) as [
      LambdaService,
      LambdaService,
      LambdaService,
    ];
    functions.push(a, b, c);
  });
  afterAll(async () => {
    await Promise.all(functions.map((f) => f.close()));
    await server?.kill();
  });

  const sign = (tool: string, parameters: unknown, transactionId: string) => ({
    transaction_id: transactionId,
    signature: {
      keyId: 'laptop',
      value: signExecute(key.privateKey, {
        tool,
        paramsHash: hashParams(parameters),
        transactionId,
      }),
    },
  });
  const json = (result: { body: string }) => JSON.parse(result.body) as Record<string, unknown>;

  it('authorizes on one function and executes on another, then replays on a third', async () => {
    const parameters = { name: 'Travel mug', type: 'PHYSICAL' };
    const authorized = await a.handle(
      rest('POST', '/authorize', { tool: 'create_product', parameters }),
    );
    expect(authorized.statusCode).toBe(200);
    const { ephemeralToken, transactionId } = json(authorized) as {
      ephemeralToken: string;
      transactionId: string;
    };
    const { signature } = sign('create_product', parameters, transactionId);
    const body = { ephemeralToken, tool: 'create_product', parameters, transactionId, signature };
    const executed = await b.handle(v2('http-api-v2.json', 'POST', '/execute', body));
    expect(executed.statusCode).toBe(200);
    expect(json(executed)).toMatchObject({ status: 'completed', transactionId });
    const replayed = await c.handle(v2('function-url.json', 'POST', '/execute', body));
    expect(json(replayed)).toMatchObject({ status: 'completed', transactionId, replayed: true });
  }, 120_000);

  it('waits for a person across functions: SSE where the function streams, polling where it buffers', async () => {
    const purchase = { merchant_name: 'Acme Books', amount: { value: '150.00', currency: 'USD' } };
    // Over the 100.00 per-transaction limit: a buffered function answers the first event.
    const validation = await a.handle(
      rest('POST', '/api/mcp/validate-transaction', {
        merchant: { name: 'Acme Books' },
        amount: '150.00',
        currency: 'USD',
      }),
    );
    expect(validation.statusCode).toBe(200);
    expect(validation.headers['content-type']).toMatch(/^text\/event-stream/);
    const pending = JSON.parse(/data: (.*)/.exec(validation.body)?.[1] ?? '{}') as {
      status: string;
      authorization_id: string;
      transaction_id: string;
    };
    expect(pending.status).toBe('pending');

    // A streaming Function URL holds an SSE waiter open.
    const chunks: string[] = [];
    let heard = () => {};
    const decisionHeard = new Promise<void>((resolve) => {
      heard = resolve;
    });
    const sink = {
      write(chunk: Uint8Array) {
        chunks.push(new TextDecoder().decode(chunk));
        if (chunks.join('').includes('"approved"')) heard();
        return true;
      },
      end() {},
      once() {
        return sink;
      },
    };
    const runtime: LambdaStreamingRuntime = {
      streamifyResponse: (h) => (event: unknown) => h(event, sink, {}),
      HttpResponseStream: { from: (target) => target },
    };
    const streamer = c;
    const stream = (
      awsLambdaStreamingHandler(streamer.web, { runtime }) as (event: unknown) => Promise<void>
    )({
      ...v2('function-url.json', 'GET', `/approvals/${pending.authorization_id}`),
      headers: {
        ...fixture<ApiGatewayProxyEventV2>('function-url.json').headers,
        authorization: `Bearer ${SESSION}`,
        accept: 'text/event-stream',
      },
    });

    // The approver lists and decides on other functions.
    const listed = await b.handle(
      v2('http-api-v2.json', 'GET', '/approvals?status=pending', undefined, APPROVER),
    );
    const ids = (json(listed).approvals as { approvalId: string }[]).map((a) => a.approvalId);
    expect(ids).toContain(pending.authorization_id);
    const decided = await a.handle(
      rest(
        'POST',
        `/approvals/${pending.authorization_id}/decision`,
        { decision: 'approve' },
        APPROVER,
      ),
    );
    expect(decided.statusCode).toBe(200);
    await within(decisionHeard, 10_000, 'the streaming function heard no decision');
    await stream;

    // The agent polls on yet another function and spends the approval once.
    const status = await b.handle(
      v2(
        'function-url.json',
        'GET',
        `/api/mcp/authorization-status?id=${pending.authorization_id}`,
      ),
    );
    const approved = json(status) as { status: string; validation_token?: string };
    expect(approved.status).toBe('approved');
    expect(approved.validation_token).toBeTruthy();
    const card = await c.handle(
      rest('POST', '/api/mcp/create-virtual-card', {
        validation_token: approved.validation_token,
        merchant_name: 'Acme Books',
        transaction_amount: '150.00',
        transaction_currency: 'USD',
        card_amount: '150.00',
        card_currency: 'USD',
        ...sign('create_virtual_card', purchase, pending.transaction_id),
      }),
    );
    expect(card.statusCode).toBe(200);
    expect(json(card).spendingLimit).toBe('150.00');
    const limits = await a.handle(v2('http-api-v2.json', 'GET', '/api/mcp/limits'));
    expect(json(limits).daily).toMatchObject({ used: '150.00' });
  }, 120_000);

  it('answers malformed events and oversized bodies with the error envelope', async () => {
    const f = b;
    const broken = await f.handle({ httpMethod: 'POST' } as ApiGatewayProxyEventV1);
    expect(broken.statusCode).toBe(400);
    expect(json(broken)).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    const huge = await f.handle(
      rest('POST', '/authorize', {
        tool: 'create_product',
        parameters: { name: 'x'.repeat(70_000) },
      }),
    );
    expect(huge.statusCode).toBe(413);
    expect(json(huge)).toMatchObject({ success: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
  });
});
