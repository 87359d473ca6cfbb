// Hostile input at every endpoint, over real HTTP: a corpus of known-bad bodies, then
// properties checked on generated input (fast-check). Every answer must be a 4xx with
// exactly the error envelope, never a stack or an internal path, and the service must
// keep serving.

import { connect } from 'node:net';
import { hashParams } from '@handshake/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  CREDENTIALS,
  expectRefusal,
  type Harness,
  INTERNAL_DETAIL,
  startHarness,
} from '../harness.js';
import {
  ABSURD_AMOUNTS,
  ABSURD_CURRENCIES,
  type BadBody,
  INVALID_UTF8,
  MALFORMED,
  nested,
  truncations,
} from './corpus.js';

let h: Harness;
let approvalId: string;

beforeAll(async () => {
  h = await startHarness();
  const pending = await h.request('POST', '/authorize', {
    body: {
      tool: 'create_refund',
      parameters: { capture_id: 'CAP-1', amount: { value: '25.00', currency: 'USD' } },
    },
    credential: CREDENTIALS.alice,
  });
  approvalId = (pending.json as { approvalId: string }).approvalId;
});
afterAll(async () => {
  // Nothing reached the handler's catch-all.
  expect(h.unexpected).toEqual([]);
  await h.close();
});

/** The endpoints that read a body, with who may call them and a valid body. */
const POSTS = () =>
  [
    {
      path: '/authorize',
      credential: CREDENTIALS.alice,
      valid: '{"tool":"get_order","parameters":{"order_id":"O-1"}}',
    },
    {
      path: '/execute',
      credential: CREDENTIALS.alice,
      valid: '{"ephemeralToken":"hset_x","tool":"get_order","parameters":{}}',
    },
    {
      path: `/approvals/${approvalId}/decision`,
      credential: CREDENTIALS.approver,
      valid: '{"decision":"deny","reason":"no"}',
    },
    {
      path: '/api/mcp/validate-transaction',
      credential: CREDENTIALS.alice,
      valid: '{"merchant":{"name":"Shop"},"amount":"1.00","currency":"USD"}',
    },
    {
      path: '/api/mcp/create-virtual-card',
      credential: CREDENTIALS.alice,
      valid:
        '{"validation_token":"hset_x","merchant_name":"Shop","transaction_amount":"1.00","transaction_currency":"USD","card_amount":"1.00","card_currency":"USD"}',
    },
    {
      path: '/api/mcp/mock-checkout',
      credential: undefined,
      valid:
        '{"card_details":{"card_number":"4000000000000002","cvc":"123","exp_month":1,"exp_year":2030},"customer_details":{"name":"A"}}',
    },
  ] as const;

const GETS = () => [
  '/approvals',
  `/approvals/${approvalId}`,
  '/api/mcp/limits',
  '/api/mcp/authorization-status',
];

async function expectServing() {
  const health = await h.request('GET', '/health');
  expect(health.status).toBe(200);
}

async function refuseAll(path: string, credential: string | undefined, bodies: readonly BadBody[]) {
  for (const bad of bodies) {
    const answer = await h.request('POST', path, {
      body: bad.body,
      ...(credential ? { credential } : {}),
    });
    expectRefusal(answer, `${path} with ${bad.name}`);
  }
  await expectServing();
}

describe('a corpus of known-bad bodies', () => {
  it('malformed and truncated JSON, and invalid UTF-8, at every endpoint that reads a body', async () => {
    for (const { path, credential, valid } of POSTS()) {
      await refuseAll(path, credential, [...MALFORMED, ...INVALID_UTF8, ...truncations(valid)]);
    }
  });

  it('the same bodies without a credential, or with a made-up one, are refused before they are read', async () => {
    for (const { path, credential } of POSTS()) {
      if (!credential) continue;
      for (const who of [undefined, 'made-up-credential']) {
        for (const bad of MALFORMED.slice(0, 8)) {
          const answer = await h.request('POST', path, {
            body: bad.body,
            ...(who ? { credential: who } : {}),
          });
          // Authorize and execute read the body first (PUBLIC tools need no session).
          const code = expectRefusal(answer, `${path} as ${who ?? 'nobody'}`);
          if (path.startsWith('/approvals') || path.startsWith('/api/mcp')) {
            expect(code).toBe('UNAUTHORIZED');
          }
        }
      }
    }
    await expectServing();
  });

  it('wrong content types are refused with 415', async () => {
    const types = [
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      'application/json-patch+json',
      'text/json',
      'application/xml',
    ];
    for (const { path, credential, valid } of POSTS()) {
      for (const type of types) {
        const answer = await h.request('POST', path, {
          body: valid,
          ...(credential ? { credential } : {}),
          headers: type === undefined ? { 'content-type': '' } : { 'content-type': type },
        });
        expect(expectRefusal(answer, `${path} as ${type}`)).toBe('UNSUPPORTED_MEDIA_TYPE');
        expect(answer.status).toBe(415);
      }
    }
    await expectServing();
  });

  it('oversized bodies are refused with 413, declared or streamed', async () => {
    const big = `{"tool":"get_order","parameters":{"blob":"${'x'.repeat(70_000)}"}}`;
    for (const { path, credential } of POSTS()) {
      const declared = await h.request('POST', path, {
        body: big,
        ...(credential ? { credential } : {}),
      });
      expect(expectRefusal(declared, path)).toBe('PAYLOAD_TOO_LARGE');
      // Streamed without a length: the limit holds while reading.
      const chunks = new TextEncoder().encode(big);
      const streamed = await fetch(`${h.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(credential ? { authorization: `Bearer ${credential}` } : {}),
        },
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < chunks.length; i += 8_192)
              controller.enqueue(chunks.slice(i, i + 8_192));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      const text = await streamed.text();
      expect(streamed.status).toBe(413);
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    }
    // Uploads far over the limit, still being sent when the answer is ready: the client
    // reads the 413 rather than a reset connection.
    for (const size of [1, 4, 16]) {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const chunk = new Uint8Array(64 * 1024).fill(0x20);
        const upload = await fetch(`${h.url}/authorize`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: new ReadableStream({
            start(controller) {
              for (let i = 0; i < size * 16; i += 1) controller.enqueue(chunk);
              controller.close();
            },
          }),
          duplex: 'half',
        } as RequestInit);
        expect(upload.status, `${size} MiB`).toBe(413);
        expect(await upload.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
      }
    }
    await expectServing();
  });

  it('deeply nested values: 100 000 levels are refused as too large, 30 000 levels as too deep, and nothing overflows the stack', async () => {
    for (const { path, credential } of POSTS()) {
      for (const [levels, code] of [
        [100_000, 'PAYLOAD_TOO_LARGE'],
        [30_000, 'VALIDATION_ERROR'],
      ] as const) {
        for (const kind of ['array', 'object'] as const) {
          const inner = nested(kind === 'object' ? Math.floor(levels / 5) : levels, kind);
          // In the field each endpoint reads most loosely (the spend API's free-form
          // `product` context is a recursive JSON schema).
          const body = path.startsWith('/api/mcp/validate')
            ? `{"merchant":{"name":"Shop"},"amount":"1.00","currency":"USD","product":{"deep":${inner}}}`
            : `{"tool":"get_order","parameters":{"deep":${inner}}}`;
          const answer = await h.request('POST', path, {
            body,
            ...(credential ? { credential } : {}),
          });
          const expected = body.length > 65_536 ? 'PAYLOAD_TOO_LARGE' : code;
          expect(expectRefusal(answer, `${path} ${levels} ${kind}`)).toBe(expected);
        }
      }
    }
    // In-process callers get a refusal too, not a stack overflow.
    const deep = JSON.parse(nested(100_000));
    await expect(
      h.engine.authorize({ tool: 'get_order', parameters: { deep } }, CREDENTIALS.alice),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expectServing();
  });

  it('absurd amounts and currencies are refused with the field named, or counted exactly', async () => {
    const usedBefore = Number((await h.engine.limits(CREDENTIALS.alice))!.windows[0]!.used);
    const answers: Answer[] = [];
    for (const amount of ABSURD_AMOUNTS) {
      answers.push(
        await h.request('POST', '/api/mcp/validate-transaction', {
          body: { merchant: { name: 'Shop' }, amount, currency: 'USD' },
          credential: CREDENTIALS.alice,
        }),
      );
      for (const tool of ['buy', 'create_refund']) {
        answers.push(
          await h.request('POST', '/authorize', {
            body: {
              tool,
              parameters: { capture_id: 'C', amount: { value: amount, currency: 'USD' } },
            },
            credential: CREDENTIALS.alice,
          }),
        );
      }
      answers.push(
        await h.request('POST', '/api/mcp/mock-checkout', {
          body: {
            card_details: {
              card_number: '4000000000000002',
              cvc: '123',
              exp_month: 1,
              exp_year: 2030,
            },
            customer_details: { name: 'A' },
            amount,
          },
        }),
      );
    }
    for (const currency of ABSURD_CURRENCIES) {
      answers.push(
        await h.request('POST', '/api/mcp/validate-transaction', {
          body: { merchant: { name: 'Shop' }, amount: '1.00', currency },
          credential: CREDENTIALS.alice,
        }),
      );
      answers.push(
        await h.request('POST', '/authorize', {
          body: { tool: 'buy', parameters: { amount: { value: '1.00', currency } } },
          credential: CREDENTIALS.alice,
        }),
      );
    }
    for (const answer of answers) {
      if (answer.status < 300) {
        // Only a plain positive amount may pass, and it is counted to the cent.
        const echoed = (answer.json as { amount?: { value: string } }).amount?.value;
        if (echoed !== undefined) expect(echoed).toMatch(/^\d{1,15}\.\d{2}$/);
        continue;
      }
      expect(expectRefusal(answer)).toMatch(/^(VALIDATION_ERROR|TOOL_NOT_ALLOWED)$/);
    }
    // Nothing absurd was reserved, and nothing negative gave limit back.
    const used = (await h.engine.limits(CREDENTIALS.alice))!.windows[0]!.used;
    expect(used).toMatch(/^\d+\.\d{2}$/);
    expect(Number(used) - usedBefore).toBeGreaterThanOrEqual(0);
    expect(Number(used) - usedBefore).toBeLessThan(10);
    await expectServing();
  });
});

describe('prototype keys', () => {
  it('__proto__, constructor and prototype in parameters are data: hashed as sent, executed as sent, shown to approvers as sent, and Object.prototype is untouched', async () => {
    const parameters =
      '{"__proto__":{"polluted":"yes","amount":{"value":"999.00","currency":"USD"}},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"},"amount":{"value":"600.00","currency":"USD"}}';
    const sent = JSON.parse(parameters) as Record<string, unknown>;
    for (const tool of ['get_order', 'buy']) {
      const answer = await h.request('POST', '/authorize', {
        body: `{"tool":"${tool}","parameters":${parameters},"metadata":{"__proto__":{"polluted":"yes"}}}`,
        credential: CREDENTIALS.alice,
      });
      expect(answer.status, answer.text).toBeLessThan(300);
      expect((answer.json as { paramsHash: string }).paramsHash).toBe(hashParams(sent));
      if (tool === 'get_order') {
        const { ephemeralToken, transactionId } = answer.json as {
          ephemeralToken: string;
          transactionId: string;
        };
        const done = await h.request('POST', '/execute', {
          body: `{"ephemeralToken":"${ephemeralToken}","tool":"get_order","parameters":${parameters},${JSON.stringify(h.sign('get_order', sent, transactionId)).slice(1)}`,
          credential: CREDENTIALS.alice,
        });
        expect(done.status, done.text).toBe(200);
        // The tool received the members as own data.
        expect(JSON.stringify((done.json as { result: { echo: unknown } }).result.echo)).toBe(
          JSON.stringify(sent),
        );
      } else {
        // 600.00 is over the per-transaction limit: an approver reads the parameters.
        expect(answer.status).toBe(202);
        const { approvalId: id } = answer.json as { approvalId: string };
        const list = await h.request('GET', '/approvals?status=pending', {
          credential: CREDENTIALS.approver,
        });
        const shown = (
          list.json as { approvals: Array<{ approvalId: string; parameters: unknown }> }
        ).approvals.find((a) => a.approvalId === id);
        expect(JSON.stringify(shown?.parameters)).toBe(JSON.stringify(sent));
        // Counted at the amount sent, not one smuggled through the prototype.
        expect((answer.json as { paramsHash: string }).paramsHash).toBe(hashParams(sent));
      }
    }
    for (const probe of [{}, Object.create(Object.prototype), []]) {
      expect((probe as Record<string, unknown>).polluted).toBeUndefined();
    }
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('amount');
    await expectServing();
  });
});

describe('hostile paths, queries, methods and headers', () => {
  it('paths, queries and methods nobody should send', async () => {
    const attempts: Array<[string, string, Record<string, string>?]> = [
      ['GET', '/approvals/%E0%A4%A'],
      ['GET', `/approvals/${'a'.repeat(5_000)}`],
      ['GET', '/approvals/..%2F..%2Fetc%2Fpasswd'],
      ['GET', '/approvals?status=<script>'],
      ['GET', '/approvals?limit=1e999'],
      ['GET', '/approvals?limit=-1'],
      ['GET', '/approvals?limit=2.5'],
      ['GET', '/api/mcp/authorization-status?id='],
      ['GET', `/api/mcp/authorization-status?id=${'x'.repeat(300)}`],
      ['GET', '/api/mcp/authorization-status?id=%00'],
      ['DELETE', '/authorize'],
      ['PUT', '/execute'],
      ['PATCH', '/approvals'],
      ['GET', '/authorize'],
      ['GET', '/../../etc/passwd'],
      ['GET', '/%2e%2e/%2e%2e/etc/passwd'],
      ['GET', '/node_modules/.bin'],
      [
        'GET',
        `/approvals/${approvalId}`,
        { 'last-event-id': '1e309', accept: 'text/event-stream' },
      ],
    ];
    for (const [method, path, headers] of attempts) {
      const answer = await h.request(method, path, {
        credential: path.startsWith('/api/mcp') ? CREDENTIALS.alice : CREDENTIALS.approver,
        ...(headers ? { headers } : {}),
      });
      expectRefusal(answer, `${method} ${path}`);
    }
    for (const header of [
      'Bearer',
      'Bearer ',
      `Bearer ${'a'.repeat(15_000)}`,
      'Basic YWxpY2U6c2VjcmV0',
      `Bearer ${CREDENTIALS.alice} extra`,
      'bearer\tsomething',
    ]) {
      for (const path of GETS()) {
        const answer = await h.request('GET', path, { headers: { authorization: header } });
        expect(expectRefusal(answer, `${path} with ${header.slice(0, 20)}`)).toBe('UNAUTHORIZED');
      }
    }
    const twoTokens = await h.request('POST', '/execute', {
      body: { ephemeralToken: 'hset_a', tool: 'get_order', parameters: {} },
      credential: CREDENTIALS.alice,
      headers: { 'x-ephemeral-token': 'hset_b' },
    });
    expect(expectRefusal(twoTokens)).toBe('TOKEN_INVALID');
    await expectServing();
  });

  /** Sends raw bytes on a socket and returns everything the server answered. */
  function raw(request: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(Number(new URL(h.url).port), '127.0.0.1');
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => {
        answer += chunk;
      });
      socket.on('end', () => resolve(answer));
      socket.on('error', (error) => (answer ? resolve(answer) : reject(error)));
      socket.write(request);
    });
  }

  function envelopeOf(answer: string) {
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/content-type: application\/json/i);
    expect(body).not.toMatch(INTERNAL_DETAIL);
    return { status: Number(head!.split(' ')[1]), body: JSON.parse(body!) as unknown };
  }

  it('huge headers are answered 431 with the envelope by the Node adapter, malformed HTTP 400, and the service keeps serving', async () => {
    const huge = envelopeOf(
      await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    );
    expect(huge).toMatchObject({
      status: 431,
      body: { success: false, error: { code: 'PAYLOAD_TOO_LARGE' } },
    });
    const many = envelopeOf(
      await raw(
        `GET /health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 2_000 }, (_, i) => `X-H${i}: ${'v'.repeat(10)}`).join('\r\n')}\r\n\r\n`,
      ),
    );
    expect(many.status).toBe(431);
    for (const garbage of [
      'GARBAGE\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n',
      'POST /authorize HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
      'POST /authorize HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
    ]) {
      const answer = envelopeOf(await raw(garbage));
      expect(answer.status, garbage).toBe(400);
      expect(answer.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    }
    // Through fetch, as a client would see it.
    const viaFetch = await fetch(`${h.url}/health`, { headers: { 'x-big': 'b'.repeat(20_000) } });
    expect(viaFetch.status).toBe(431);
    expect(await viaFetch.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    await expectServing();
  });
});

describe('properties on generated input', () => {
  const credentials = fc.constantFrom(
    undefined,
    CREDENTIALS.alice,
    CREDENTIALS.approver,
    'made-up',
  );
  const endpoint = fc.integer({ min: 0, max: 5 });
  const path = (index: number) => POSTS()[index]!.path;
  /** An answer to generated input: a success, or a clean refusal; never a 5xx. */
  const judge = (answer: Answer, context: string) => {
    expect(answer.status, `${context} → ${answer.text.slice(0, 200)}`).toBeLessThan(500);
    if (answer.status >= 400) expectRefusal(answer, context);
    else expect(answer.text).not.toMatch(INTERNAL_DETAIL);
  };

  it('any JSON value, at any endpoint, with any credential', async () => {
    await fc.assert(
      fc.asyncProperty(
        endpoint,
        fc.jsonValue({ maxDepth: 6 }),
        credentials,
        async (p, value, credential) => {
          const answer = await h.request('POST', path(p), {
            body: JSON.stringify(value),
            ...(credential ? { credential } : {}),
          });
          judge(answer, `${p} ${JSON.stringify(value).slice(0, 100)}`);
        },
      ),
      { numRuns: 300 },
    );
    await expectServing();
  });

  it('any bytes, at any endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        endpoint,
        fc.uint8Array({ maxLength: 512 }),
        credentials,
        async (p, bytes, credential) => {
          const answer = await h.request('POST', path(p), {
            body: bytes,
            ...(credential ? { credential } : {}),
          });
          judge(answer, `${p} bytes`);
        },
      ),
      { numRuns: 200 },
    );
    await expectServing();
  });

  it('bodies shaped like requests, with hostile members, at any endpoint', async () => {
    const key = fc.oneof(
      fc.constantFrom(
        '__proto__',
        'constructor',
        'prototype',
        'toString',
        'hasOwnProperty',
        'tool',
        'parameters',
        'amount',
        'currency',
        'decision',
      ),
      fc.string({ maxLength: 12 }),
    );
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom(...ABSURD_AMOUNTS, ...ABSURD_CURRENCIES),
      fc.string({ unit: 'binary', maxLength: 20 }),
    );
    const members = fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength: 6 });
    const object = (entries: Array<[string, unknown]>) =>
      `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
    await fc.assert(
      fc.asyncProperty(
        endpoint,
        fc.constantFrom(
          'get_order',
          'buy',
          'create_refund',
          'create_invoice',
          'create_virtual_card',
          'nope',
        ),
        members,
        members,
        credentials,
        async (p, tool, top, parameters, credential) => {
          const body = `{"tool":${JSON.stringify(tool)},"parameters":${object(parameters)}${top.length ? ',' : ''}${object(top).slice(1, -1)}}`;
          const answer = await h.request('POST', path(p), {
            body,
            ...(credential ? { credential } : {}),
          });
          judge(answer, `${p} ${body.slice(0, 120)}`);
        },
      ),
      { numRuns: 300 },
    );
    expect(Object.prototype).not.toHaveProperty('polluted');
    await expectServing();
  });

  it('parameters are hashed exactly as sent, whatever their keys', async () => {
    const key = fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'prototype', '', ' ', 'é', '\u0000'),
      fc.string({ maxLength: 8 }),
    );
    const members = fc.uniqueArray(fc.tuple(key, fc.jsonValue({ maxDepth: 3 })), {
      selector: ([k]) => k,
      maxLength: 8,
    });
    await fc.assert(
      fc.asyncProperty(members, async (entries) => {
        const text = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
        const answer = await h.request('POST', '/authorize', {
          body: `{"tool":"get_order","parameters":${text}}`,
          credential: CREDENTIALS.alice,
        });
        judge(answer, text);
        if (answer.status === 200) {
          expect((answer.json as { paramsHash: string }).paramsHash).toBe(
            hashParams(JSON.parse(text)),
          );
        } else {
          expect(expectRefusal(answer)).toBe('VALIDATION_ERROR');
        }
      }),
      { numRuns: 300 },
    );
    expect(Object.prototype).not.toHaveProperty('polluted');
    await expectServing();
  });
});
