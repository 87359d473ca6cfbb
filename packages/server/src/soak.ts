// The soak test: the reference service under mixed load for a chosen time.
//
//   pnpm soak -- --minutes 10 [--agents 16] [--users 500] [--report-every 30]
//                [--store memory|redis://…] [--replay-window 60] [--audit-file path]
//
// It starts the service in this process on a loopback port (with the demo tools in
// place of PayPal's simulated API, whose state would grow) and runs agents against it
// over HTTP: authorize/execute on every tier, RESTRICTED calls waiting over SSE for a
// simulated approver, spend validations with cards and checkouts (some over a limit,
// waiting for the approver), replays of lost answers, and refusals (tampering, forged
// signatures, strangers, bad bodies). Every answer is checked against what the protocol
// promises; anything else is an error. At the end it prints the errors, the latency
// percentiles per operation and the memory at start, middle and end (after a forced
// garbage collection), verifies the audit chain, and exits with 1 on any error or
// when memory grew between the middle and the end.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createEventStreamDecoder, readEventStream } from '@handshake/client';
import { type AuditEvent, MemoryStore, verifyAuditChain } from '@handshake/core';
import { serve } from '@handshake/core/node';
import { generateSigningKey } from '@handshake/protocol';
import { loadConfig } from './config.js';
import { demoShopTools, exchangeRateTool } from './demo-tools.js';
import { createService } from './service.js';
import { sendRequest, signedExecute, type WireAnswer } from './wire-requests.js';

// --- options ---------------------------------------------------------------------------

function parseArgs(argv: readonly string[]) {
  const options = {
    minutes: 10,
    agents: 16,
    users: 500,
    reportEvery: 30,
    store: 'memory',
    replayWindow: 60,
    auditFile: undefined as string | undefined,
  };
  const args = argv.filter((arg) => arg !== '--');
  for (let i = 0; i < args.length; i += 1) {
    const name = args[i];
    const value = args[i + 1];
    const number = () => {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} needs a positive number`);
      i += 1;
      return n;
    };
    if (name === '--minutes') options.minutes = number();
    else if (name === '--agents') options.agents = Math.round(number());
    else if (name === '--users') options.users = Math.round(number());
    else if (name === '--report-every') options.reportEvery = number();
    else if (name === '--replay-window') options.replayWindow = number();
    else if (name === '--store' && value) {
      options.store = value;
      i += 1;
    } else if (name === '--audit-file' && value) {
      options.auditFile = value;
      i += 1;
    } else throw new Error(`unknown option ${name}`);
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));

// A forced collection before each memory reading, so the figures are live memory only.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// --- figures ---------------------------------------------------------------------------

/** Latencies in logarithmic buckets (5 % wide): constant memory however long the run. */
class Histogram {
  static readonly RATIO = 1.05;
  readonly #buckets = new Map<number, number>();
  count = 0;
  max = 0;
  add(ms: number) {
    const index = Math.max(
      0,
      Math.ceil(Math.log(Math.max(ms, 0.01) / 0.01) / Math.log(Histogram.RATIO)),
    );
    this.#buckets.set(index, (this.#buckets.get(index) ?? 0) + 1);
    this.count += 1;
    if (ms > this.max) this.max = ms;
  }
  percentile(p: number): number {
    const target = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (const index of [...this.#buckets.keys()].sort((a, b) => a - b)) {
      seen += this.#buckets.get(index)!;
      if (seen >= target) return 0.01 * Histogram.RATIO ** index;
    }
    return this.max;
  }
}

const latency = new Map<string, Histogram>();
const outcomes = new Map<string, number>();
const errors = new Map<string, { count: number; sample: string }>();

function time(operation: string, ms: number) {
  let histogram = latency.get(operation);
  if (!histogram) {
    histogram = new Histogram();
    latency.set(operation, histogram);
  }
  histogram.add(ms);
}
const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
function error(kind: string, sample: string) {
  const entry = errors.get(kind) ?? { count: 0, sample: sample.slice(0, 300) };
  entry.count += 1;
  errors.set(kind, entry);
}

// --- the service -----------------------------------------------------------------------

const users = Array.from({ length: options.users }, (_, i) => {
  const key = generateSigningKey();
  return {
    id: `user-${i}`,
    session: `soak-session-${i}-${key.publicKey.slice(0, 12)}`,
    otherDevice: `soak-device-${i}-${key.publicKey.slice(12, 24)}`,
    keyId: `key-${i}`,
    ...key,
  };
});
const APPROVER = `soak-approver-${generateSigningKey().publicKey.slice(0, 16)}`;
const folder = await mkdtemp(join(tmpdir(), 'handshake-soak-'));
const auditFile = options.auditFile ?? join(folder, 'audit.jsonl');
const config = loadConfig({
  PORT: '0',
  HANDSHAKE_STORE: options.store,
  HANDSHAKE_SESSIONS: users
    .flatMap((u) => [`${u.id}:${u.session}`, `${u.id}:${u.otherDevice}`])
    .join(','),
  HANDSHAKE_KEYS: users.map((u) => `${u.id}:${u.keyId}:${u.publicKey}`).join(','),
  HANDSHAKE_APPROVER_TOKEN: APPROVER,
  HANDSHAKE_LIMITS: JSON.stringify({
    currency: 'USD',
    daily: '100000000.00',
    transaction: '500.00',
  }),
  HANDSHAKE_AUDIT_FILE: auditFile,
});
const windowMs = options.replayWindow * 1000;
const memoryStore =
  config.store.kind === 'memory' ? new MemoryStore({ approvalRetentionMs: windowMs }) : undefined;
// PayPal's simulated API keeps every order, product and refund it is sent, and a capture
// can be refunded only so far: under hours of load it would measure itself. The demo
// tools have the same tiers (and what they do costs nothing), so the figures are the
// service's own.
const service = await createService(config, {
  tools: [exchangeRateTool(), demoShopTools()],
  ...(memoryStore ? { store: memoryStore } : {}),
  engine: { replayWindowMs: windowMs, approvalTtlMs: windowMs },
});
const running = await serve(service.handler, { port: 0 });
const base = running.url;

// --- HTTP ------------------------------------------------------------------------------

async function call(
  operation: string,
  method: string,
  path: string,
  body?: unknown,
  credential?: string,
): Promise<WireAnswer> {
  const started = performance.now();
  const answer = await sendRequest(`${base}${path}`, method, body, credential);
  time(operation, performance.now() - started);
  return answer;
}

/** Reads an SSE response until an event whose data satisfies `done`; returns that data. */
async function waitForEvent(
  operation: string,
  response: Response,
  started: number,
  done: (event: string | undefined, data: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown> | undefined> {
  let found: Record<string, unknown> | undefined;
  const decoder = createEventStreamDecoder({
    onEvent: (event) => {
      if (found) return;
      const data = JSON.parse(event.data) as Record<string, unknown>;
      if (!done(event.event, data)) return;
      time(operation, performance.now() - started);
      found = data;
    },
  });
  try {
    await readEventStream(response.body!, decoder, { shouldStop: () => found !== undefined });
    return found;
  } finally {
    await response.body!.cancel().catch(() => {});
  }
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const code = (answer: WireAnswer) => (answer.body.error as { code?: string } | undefined)?.code;

function expectStatus(
  what: string,
  answer: WireAnswer,
  status: number,
  errorCode?: string,
): boolean {
  if (answer.status === status && (errorCode === undefined || code(answer) === errorCode)) {
    count(what);
    return true;
  }
  error(
    `${what}: expected ${status}${errorCode ? ` ${errorCode}` : ''}, got ${answer.status} ${code(answer) ?? ''}`,
    JSON.stringify(answer.body),
  );
  return false;
}

// --- scenarios -------------------------------------------------------------------------

type User = (typeof users)[number];

/** Authorizes `tool` for `user` (without one, anonymously); the answer, if it has `status`. */
async function authorize(
  user: User | undefined,
  tool: string,
  parameters: Record<string, unknown>,
  status = 200,
) {
  const auth = await call('authorize', 'POST', '/authorize', { tool, parameters }, user?.session);
  return expectStatus(`authorize ${tool}`, auth, status) ? auth : undefined;
}

async function authorizeAndExecute(
  user: User | undefined,
  tool: string,
  parameters: Record<string, unknown>,
) {
  const auth = await authorize(user, tool, parameters);
  if (!auth) return undefined;
  const token = auth.body.ephemeralToken as string;
  const transactionId = auth.body.transactionId as string;
  const request = {
    ephemeralToken: token,
    tool,
    parameters,
    ...(user ? signedExecute(user, tool, parameters, transactionId) : {}),
  };
  const done = await call('execute', 'POST', '/execute', request, user?.session);
  if (!expectStatus(`execute ${tool}`, done, 200)) return undefined;
  return { request, done };
}

const scenarios: Array<[number, (user: User) => Promise<void>]> = [
  [
    10,
    async (user) => {
      // PUBLIC needs no session; agents send theirs, so each has its own rate limit
      // (anonymous callers share one).
      await authorizeAndExecute(user, 'get_exchange_rate', {
        from: pick(['EUR', 'GBP', 'JPY']),
        to: 'USD',
      });
    },
  ],
  [
    15,
    async (user) => {
      await authorizeAndExecute(user, 'get_balance', {});
    },
  ],
  [
    12,
    async (user) => {
      await authorizeAndExecute(user, 'create_invoice', {
        recipient_email: `${user.id}@example.com`,
        amount: { value: `${1 + Math.floor(Math.random() * 500)}.00`, currency: 'USD' },
      });
    },
  ],
  // A lost answer: the same session re-sends the identical execute; another device cannot.
  [
    10,
    async (user) => {
      const first = await authorizeAndExecute(user, 'get_balance', { replay: true });
      if (!first) return;
      const replay = await call(
        'execute (replay)',
        'POST',
        '/execute',
        first.request,
        user.session,
      );
      if (expectStatus('replay', replay, 200) && replay.body.replayed !== true)
        error('replay without replayed: true', JSON.stringify(replay.body));
      const stranger = await call(
        'execute (replay)',
        'POST',
        '/execute',
        first.request,
        user.otherDevice,
      );
      expectStatus('replay from another device', stranger, 409, 'TOKEN_ALREADY_USED');
    },
  ],
  // RESTRICTED: wait over SSE for the approver, then execute when approved.
  [
    10,
    async (user) => {
      const parameters = {
        capture_id: `CAP-${Math.random().toString(36).slice(2, 10)}`,
        amount: { value: '12.50', currency: 'USD' },
      };
      const pending = await authorize(user, 'create_refund', parameters, 202);
      if (!pending) return;
      const started = performance.now();
      const stream = await fetch(`${base}/approvals/${pending.body.approvalId as string}`, {
        headers: { authorization: `Bearer ${user.session}`, accept: 'text/event-stream' },
      });
      const final = await waitForEvent(
        'approval wait (SSE)',
        stream,
        started,
        (_, data) => data.status !== 'pending',
      );
      if (!final) return error('approval stream ended without a decision', '');
      if (final.status === 'denied') return void count('refund denied');
      if (final.status !== 'approved' || typeof final.ephemeralToken !== 'string')
        return error('approval stream', JSON.stringify(final));
      const done = await call(
        'execute',
        'POST',
        '/execute',
        {
          ephemeralToken: final.ephemeralToken,
          tool: 'create_refund',
          parameters,
          ...signedExecute(user, 'create_refund', parameters, pending.body.transactionId as string),
        },
        user.session,
      );
      expectStatus('execute create_refund', done, 200);
    },
  ],
  // The spend API: validate, card, checkout; one purchase in five is over the
  // per-transaction limit and waits for the approver over SSE.
  [
    18,
    async (user) => {
      const big = Math.random() < 0.2;
      const amount = big ? '600.00' : `${5 + Math.floor(Math.random() * 45)}.00`;
      const merchant = `Shop ${Math.floor(Math.random() * 20)}`;
      const started = performance.now();
      const response = await fetch(`${base}/api/mcp/validate-transaction`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.session}` },
        body: JSON.stringify({
          merchant: { name: merchant },
          amount,
          currency: 'USD',
          timeout: 60,
        }),
      });
      let validation: Record<string, unknown> | undefined;
      if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
        if (!big) error('validation within limits waited for a person', amount);
        validation = await waitForEvent(
          'validate (waiting, SSE)',
          response,
          started,
          (event) => event !== 'pending',
        );
        if (!validation) return error('validation stream ended without a decision', '');
        if (validation.status === 'denied') return void count('purchase denied');
        if (validation.status !== 'approved')
          return error('validation stream', JSON.stringify(validation));
      } else {
        validation = (await response.json()) as Record<string, unknown>;
        time('validate', performance.now() - started);
        if (response.status !== 200 || validation.status !== 'auto_approved')
          return error(`validate: ${response.status}`, JSON.stringify(validation));
        if (big) error('validation over the limit was approved automatically', amount);
      }
      const transactionId = validation.transaction_id as string;
      const purchase = { merchant_name: merchant, amount: { value: amount, currency: 'USD' } };
      const card = await call(
        'create card',
        'POST',
        '/api/mcp/create-virtual-card',
        {
          validation_token: validation.validation_token,
          merchant_name: merchant,
          transaction_amount: amount,
          transaction_currency: 'USD',
          card_amount: amount,
          card_currency: 'USD',
          signature: signedExecute(user, 'create_virtual_card', purchase, transactionId).signature,
          transaction_id: transactionId,
        },
        user.session,
      );
      if (!expectStatus('create card', card, 200)) return;
      const checkout = await call('checkout', 'POST', '/api/mcp/mock-checkout', {
        card_details: {
          card_number: card.body.cardNumber,
          cvc: card.body.cvc,
          exp_month: card.body.expMonth,
          exp_year: card.body.expYear,
        },
        customer_details: card.body.customer,
      });
      expectStatus('checkout', checkout, 200);
    },
  ],
  // Refusals the service must give, cleanly.
  [
    15,
    async (user) => {
      const kind = pick([
        'tampered',
        'forged signature',
        'unknown tool',
        'bad body',
        'stranger',
        'wrong user',
      ]);
      /** Sends what the service must refuse with `status` and `errorCode`. */
      const refused = async (
        path: string,
        body: unknown,
        credential: string,
        status: number,
        errorCode: string,
      ) => {
        const answer = await call('refusal', 'POST', path, body, credential);
        expectStatus(`refusal: ${kind}`, answer, status, errorCode);
      };
      if (kind === 'unknown tool') {
        const body = { tool: 'wire_money', parameters: {} };
        return refused('/authorize', body, user.session, 403, 'TOOL_NOT_ALLOWED');
      }
      if (kind === 'bad body') {
        const body = '{"tool":"get_balance","parameters":';
        return refused('/authorize', body, user.session, 400, 'VALIDATION_ERROR');
      }
      if (kind === 'stranger') {
        const body = { tool: 'get_balance', parameters: {} };
        return refused('/authorize', body, 'not-a-session', 401, 'UNAUTHORIZED');
      }
      const parameters = { account: user.id };
      const auth = await authorize(user, 'get_balance', parameters);
      if (!auth) return;
      const transactionId = auth.body.transactionId as string;
      /** Executes the token with `sent`, signed with `key`, as `credential`. */
      const execute = (
        sent: Record<string, unknown>,
        key: { keyId: string; privateKey: string },
        credential: string,
        status: number,
        errorCode: string,
      ) => {
        const body = {
          ephemeralToken: auth.body.ephemeralToken,
          tool: 'get_balance',
          parameters: sent,
          ...signedExecute(key, 'get_balance', sent, transactionId),
        };
        return refused('/execute', body, credential, status, errorCode);
      };
      if (kind === 'tampered') {
        const tampered = { account: 'someone-else' };
        return execute(tampered, user, user.session, 403, 'TRANSACTION_MISMATCH');
      }
      if (kind === 'forged signature') {
        const forger = { keyId: user.keyId, privateKey: generateSigningKey().privateKey };
        return execute(parameters, forger, user.session, 403, 'SIGNATURE_INVALID');
      }
      const other = pick(users.filter((u) => u !== user));
      return execute(parameters, other, other.session, 401, 'TOKEN_INVALID');
    },
  ],
];
const totalWeight = scenarios.reduce((sum, [weight]) => sum + weight, 0);
function scenario() {
  let roll = Math.random() * totalWeight;
  for (const [weight, run] of scenarios) {
    roll -= weight;
    if (roll < 0) return run;
  }
  return scenarios[0]![1];
}

// --- the run ---------------------------------------------------------------------------

const durationMs = options.minutes * 60_000;
const startedAt = Date.now();
const stopAt = startedAt + durationMs;
let stopping = false;
let operations = 0;

async function agent() {
  while (!stopping && Date.now() < stopAt) {
    const user = pick(users);
    try {
      await scenario()(user);
    } catch (failure) {
      error(`exception: ${(failure as Error).name}`, String((failure as Error).message));
    }
    operations += 1;
  }
}

/** Decides pending approvals: 85 % approved, 15 % denied. */
async function approver() {
  while (!stopping && Date.now() < stopAt + 5_000) {
    const list = await call(
      'list approvals',
      'GET',
      '/approvals?status=pending&limit=200',
      undefined,
      APPROVER,
    );
    if (list.status !== 200) error(`list approvals: ${list.status}`, JSON.stringify(list.body));
    const approvals = (list.body.approvals as Array<{ approvalId: string }> | undefined) ?? [];
    for (const approval of approvals) {
      const decision = Math.random() < 0.85 ? 'approve' : 'deny';
      const answer = await call(
        'decide',
        'POST',
        `/approvals/${approval.approvalId}/decision`,
        { decision },
        APPROVER,
      );
      // Another approver loop may have decided it first; nothing else is acceptable.
      if (answer.status !== 200 && code(answer) !== 'APPROVAL_PENDING')
        error(`decide: ${answer.status} ${code(answer)}`, JSON.stringify(answer.body));
    }
    await new Promise((resolve) => setTimeout(resolve, approvals.length === 0 ? 50 : 0));
  }
}

interface MemoryReading {
  label: string;
  atSeconds: number;
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  tokens?: number;
}
const readings: MemoryReading[] = [];
function readMemory(label: string): MemoryReading {
  gc();
  const usage = process.memoryUsage();
  const reading: MemoryReading = {
    label,
    atSeconds: Math.round((Date.now() - startedAt) / 1000),
    rssMb: usage.rss / 2 ** 20,
    heapUsedMb: usage.heapUsed / 2 ** 20,
    externalMb: (usage.external + usage.arrayBuffers) / 2 ** 20,
    ...(memoryStore ? { tokens: memoryStore.size } : {}),
  };
  readings.push(reading);
  return reading;
}

const mb = (n: number) => `${n.toFixed(1)} MB`;
function progress() {
  const seconds = Math.round((Date.now() - startedAt) / 1000);
  const memory = readMemory(`t+${seconds}s`);
  const errorCount = [...errors.values()].reduce((sum, e) => sum + e.count, 0);
  console.log(
    `[${String(seconds).padStart(5)} s] ${operations} scenarios, ${errorCount} errors, ` +
      `rss ${mb(memory.rssMb)}, heap ${mb(memory.heapUsedMb)}` +
      (memory.tokens !== undefined ? `, ${memory.tokens} token records` : '') +
      `, audit backlog ${service.engine.auditBacklog().length}`,
  );
}

console.log(
  `Soak: ${options.minutes} min, ${options.agents} agents, ${options.users} users, store ${options.store}, ` +
    `replay window ${options.replayWindow} s, service at ${base}`,
);
const start = readMemory('start');
const middleTimer = setTimeout(() => readMemory('middle'), durationMs / 2);
const ticker = setInterval(progress, options.reportEvery * 1000);
await Promise.all([...Array.from({ length: options.agents }, agent), approver(), approver()]);
stopping = true;
clearInterval(ticker);
clearTimeout(middleTimer);
const end = readMemory('end');
const middle = readings.find((r) => r.label === 'middle') ?? end;

// --- the report ------------------------------------------------------------------------

const seconds = (Date.now() - startedAt) / 1000;
const requests = [...latency.values()].reduce((sum, h) => sum + h.count, 0);
console.log(
  `\nDone: ${operations} scenarios, ${requests} timed operations in ${seconds.toFixed(0)} s (${(requests / seconds).toFixed(0)}/s).`,
);
console.log('\nLatency (ms):');
console.log(
  `${'operation'.padEnd(26)} ${'count'.padStart(8)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'p99.9'.padStart(8)} ${'max'.padStart(8)}`,
);
for (const [operation, histogram] of [...latency].sort((a, b) => b[1].count - a[1].count)) {
  const f = (n: number) => n.toFixed(1).padStart(8);
  console.log(
    `${operation.padEnd(26)} ${String(histogram.count).padStart(8)} ${f(histogram.percentile(50))} ${f(histogram.percentile(90))} ${f(histogram.percentile(99))} ${f(histogram.percentile(99.9))} ${f(histogram.max)}`,
  );
}
console.log('\nOutcomes checked:');
for (const [outcome, n] of [...outcomes].sort((a, b) => b[1] - a[1]))
  console.log(`  ${String(n).padStart(8)}  ${outcome}`);

await running.close();
await service.close();
const lines = (await readFile(auditFile, 'utf8')).trim().split('\n');
const events = lines.map((line) => JSON.parse(line) as AuditEvent);
const chain = verifyAuditChain(events);
if (!chain.ok) error('audit chain broken', `${chain.index}: ${chain.reason}`);
const backlog = service.engine.auditBacklog().length;
if (backlog > 0) error('audit events not written', String(backlog));
console.log(
  `\nAudit: ${events.length} events, chain ${chain.ok ? 'verified' : 'BROKEN'}, backlog ${backlog}.`,
);
if (!options.auditFile) await rm(folder, { recursive: true, force: true });

console.log('\nMemory (after a forced GC):');
for (const r of [start, middle, end]) {
  console.log(
    `  ${r.label.padEnd(7)} t+${String(r.atSeconds).padStart(4)} s  rss ${mb(r.rssMb).padStart(9)}  heap ${mb(r.heapUsedMb).padStart(9)}  external ${mb(r.externalMb).padStart(8)}` +
      (r.tokens !== undefined ? `  ${r.tokens} token records` : ''),
  );
}
// Flat: between the middle and the end (both past the retention windows), the heap may
// move by at most 10 % or 10 MB, whichever is larger.
const growth = end.heapUsedMb - middle.heapUsedMb;
const flat = growth <= Math.max(10, middle.heapUsedMb * 0.1);
console.log(
  `  heap growth middle → end: ${growth >= 0 ? '+' : ''}${mb(growth)} (${flat ? 'flat' : 'GROWING'})`,
);

const errorCount = [...errors.values()].reduce((sum, e) => sum + e.count, 0);
console.log(`\nErrors: ${errorCount}`);
for (const [kind, entry] of errors)
  console.log(`  ${String(entry.count).padStart(6)}  ${kind}\n          e.g. ${entry.sample}`);
process.exit(errorCount === 0 && flat ? 0 : 1);
