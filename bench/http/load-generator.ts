// The HTTP load generator, run in a child process (its own core) so the server's
// process measures only the server. A closed loop: `concurrency` virtual clients, each
// sending one pair after another over keep-alive connections; a pair is the floor's
// two trivial requests, or a full handshake (authorize, then execute). It answers
// pairs completed, the time they took and pair latencies, over IPC.
import { createPrivateKey, sign } from 'node:crypto';
import { Agent, request } from 'node:http';

/** What kind of pair the virtual clients send. */
export type Scenario = 'floor' | 'public' | 'internal' | 'confidential';

/** A run the parent asks for. */
export interface LoadRequest {
  url: string;
  scenario: Scenario;
  concurrency: number;
  /** Pairs sent before the measured window, to warm both processes up. */
  warmupMs: number;
  durationMs: number;
  /** Run exactly this many pairs one at a time instead (for counting store commands). */
  count?: number;
  /** Session credentials, one per user; pairs go round-robin over them. */
  sessions: string[];
  /** The 32-byte Ed25519 seed registered for every user, base64url. */
  signingSeed: string;
  keyId: string;
  client: 'http' | 'fetch';
}

/** What the generator answers. */
export interface LoadResult {
  pairs: number;
  elapsedMs: number;
  /** Latency of each pair in the window, ms. */
  latencies: number[];
  errors: number;
  firstError?: string;
  /** Pairs completed from the first request to the last, warmup included. */
  totalPairs: number;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

interface Reply {
  status: number;
  body: string;
}

type Send = (
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<Reply>;

function httpClient(base: URL, concurrency: number): Send {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  return (method, path, body, headers = {}) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method,
          path,
          headers: {
            ...headers,
            ...(payload === undefined
              ? {}
              : {
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(payload),
                }),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}

function fetchClient(base: URL): Send {
  return async (method, path, body, headers = {}) => {
    const response = await fetch(new URL(path, base), {
      method,
      headers: {
        ...headers,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.text() };
  };
}

function pairOf(request: LoadRequest, send: Send): (user: number) => Promise<void> {
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(request.signingSeed, 'base64url')]),
    format: 'der',
    type: 'pkcs8',
  });
  const expect = (reply: Reply, status: number, what: string) => {
    if (reply.status !== status) throw new Error(`${what} answered ${reply.status}: ${reply.body}`);
    return JSON.parse(reply.body) as Record<string, string>;
  };
  const call = (tool: string, parameters: Record<string, unknown>, signed: boolean) => {
    return async (user: number) => {
      const session = request.sessions[user % request.sessions.length]!;
      // PUBLIC calls carry a session too: anonymous calls share one user's rate limit.
      const auth: Record<string, string> = { authorization: `Bearer ${session}` };
      const answer = expect(
        await send('POST', '/authorize', { tool, parameters }, auth),
        200,
        'authorize',
      );
      const execute: Record<string, unknown> = {
        ephemeralToken: answer.ephemeralToken,
        tool,
        parameters,
      };
      if (signed) {
        // The signed payload is canonicalize({ tool, paramsHash, transactionId }): three
        // string members, written in sorted order.
        const payload = JSON.stringify({
          paramsHash: answer.paramsHash,
          tool,
          transactionId: answer.transactionId,
        });
        execute.transactionId = answer.transactionId;
        execute.signature = {
          keyId: request.keyId,
          value: sign(null, Buffer.from(payload), key).toString('base64url'),
        };
      }
      expect(await send('POST', '/execute', execute, auth), 200, 'execute');
    };
  };
  switch (request.scenario) {
    case 'floor':
      return async () => {
        expect(await send('GET', '/health'), 200, 'health');
        expect(await send('GET', '/health'), 200, 'health');
      };
    case 'public':
      return call('get_exchange_rate', { from: 'EUR', to: 'USD' }, false);
    case 'internal':
      return call('get_balance', {}, true);
    case 'confidential':
      return call(
        'create_invoice',
        {
          recipient_email: 'bill-me@example.com',
          amount: { value: '120.00', currency: 'USD' },
          note: 'Thank you for your business.',
        },
        true,
      );
  }
}

async function run(request: LoadRequest): Promise<LoadResult> {
  const base = new URL(request.url);
  const send =
    request.client === 'fetch' ? fetchClient(base) : httpClient(base, request.concurrency);
  const pair = pairOf(request, send);
  let user = 0;
  let errors = 0;
  let firstError: string | undefined;
  const once = async () => {
    try {
      await pair(user++);
    } catch (error) {
      errors += 1;
      firstError ??= (error as Error).message.slice(0, 300);
    }
  };
  if (request.count !== undefined) {
    const started = performance.now();
    for (let i = 0; i < request.count; i += 1) await once();
    return {
      pairs: request.count,
      elapsedMs: performance.now() - started,
      latencies: [],
      errors,
      totalPairs: request.count,
      ...(firstError ? { firstError } : {}),
    };
  }
  const latencies: number[] = [];
  const warmupEnds = performance.now() + request.warmupMs;
  const ends = warmupEnds + request.durationMs;
  let totalPairs = 0;
  const client = async () => {
    for (;;) {
      const started = performance.now();
      if (started >= ends) return;
      await once();
      totalPairs += 1;
      const finished = performance.now();
      // A pair counts in the window it finishes in.
      if (finished >= warmupEnds && finished <= ends) latencies.push(finished - started);
    }
  };
  await Promise.all(Array.from({ length: request.concurrency }, client));
  return {
    pairs: latencies.length,
    elapsedMs: request.durationMs,
    latencies,
    errors,
    totalPairs,
    ...(firstError ? { firstError } : {}),
  };
}

process.on('message', (message: LoadRequest | 'exit') => {
  if (message === 'exit') process.exit(0);
  run(message).then(
    (result) => process.send?.(result),
    (error: unknown) =>
      process.send?.({
        pairs: 0,
        elapsedMs: 0,
        latencies: [],
        errors: 1,
        totalPairs: 0,
        firstError: String(error),
      }),
  );
});
