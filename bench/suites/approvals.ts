import { setTimeout as sleep } from 'node:timers/promises';
import { createHandshakeClient, type WaiterEvent } from '@handshake/client';
import { RedisStore } from '@handshake/redis';
import { APPROVER_TOKEN, percentile, startService } from '../http/harness.js';
import { KEY_ID, SIGNING_SEED } from '../lib/fixtures.js';
import { REDIS_URL, redisUp } from '../lib/redis-info.js';
import { ms, printLine, printTable, times } from '../lib/report.js';
import { recordTarget } from '../lib/targets.js';

const SSE_SAMPLES = 40;
const POLL_SAMPLES = 16;
const POLL_INTERVAL_MS = 250;

/** Median delivery with SSE, for the targets table. */
export const approvalResults: { sseP50?: number; sseP99?: number } = {};

/**
 * (5) Approval delivery: from the approver's decision (POST /approvals/{id}/decision)
 * to the moment the waiting client's `waitForApproval` resolves with the approved
 * view, over loopback: Server-Sent Events against polling every 250 ms.
 */
export async function approvalsSuite(): Promise<void> {
  const running = await startService();
  try {
    const sse: number[] = [];
    const poll: number[] = [];
    for (let i = 0; i < SSE_SAMPLES; i += 1) sse.push(await deliver(running, i, 'auto'));
    for (let i = 0; i < POLL_SAMPLES; i += 1) poll.push(await deliver(running, 100 + i, 'poll'));
    await acrossInstances();
    approvalResults.sseP50 = percentile(sse, 50);
    approvalResults.sseP99 = percentile(sse, 99);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const row = (label: string, values: number[]) => [
      label,
      String(values.length),
      ms(percentile(values, 50)),
      ms(mean(values)),
      ms(Math.max(...values)),
      times(mean(values) / mean(sse)),
    ];
    printTable({
      title: '5. Approval delivery: decision to the waiting client resuming',
      columns: ['waiter', 'samples', 'p50', 'mean', 'max', 'ratio to SSE'],
      rows: [
        row('SSE (`waitForApproval`, default)', sse),
        row(`polling every ${POLL_INTERVAL_MS} ms (\`mode: 'poll'\`)`, poll),
      ],
      notes: [
        'Time from sending POST /approvals/{id}/decision (approver credential) until',
        '`waitForApproval` resolves with the approved view and its ephemeral token, in one',
        'process over loopback against the reference service (memory store). Polling',
        `decisions land at a random moment of the ${POLL_INTERVAL_MS} ms interval, so its mean is about`,
        'half the interval plus one status read; SSE is bounded by one store notification,',
        'one status read (which issues the token) and one event on an open connection.',
      ],
    });
  } finally {
    await running.close();
  }
}

type Running = Awaited<ReturnType<typeof startService>>;

/**
 * (5b) The same delivery across two instances of the service sharing one Redis: the
 * requester authorizes and waits on one, the approver decides on the other, so the
 * decision reaches the waiting stream through Redis's pub/sub. Polling every 250 ms on
 * the waiting instance is the baseline.
 */
async function acrossInstances(): Promise<void> {
  if (!(await redisUp())) {
    printLine(`(Redis is not answering at ${REDIS_URL}: delivery across instances is skipped.)\n`);
    return;
  }
  const keyPrefix = `hsdeliver${process.pid}x${Date.now()}`;
  const waiting = await startService(new RedisStore({ url: REDIS_URL, keyPrefix }));
  const deciding = await startService(new RedisStore({ url: REDIS_URL, keyPrefix }));
  try {
    const sse: number[] = [];
    const poll: number[] = [];
    // Alternated, so both meet the same load.
    for (let i = 0; i < SSE_SAMPLES; i += 1) {
      sse.push(await deliver(waiting, 200 + i, 'auto', deciding));
      if (i < POLL_SAMPLES) poll.push(await deliver(waiting, 300 + i, 'poll', deciding));
    }
    const p50 = percentile(sse, 50);
    const p99 = percentile(sse, 99);
    const row = (label: string, values: number[]) => [
      label,
      String(values.length),
      ms(percentile(values, 50)),
      ms(percentile(values, 90)),
      ms(percentile(values, 99)),
      ms(Math.max(...values)),
    ];
    printTable({
      title: '5b. Approval delivery across two instances sharing one Redis',
      columns: ['waiter', 'samples', 'p50', 'p90', 'p99', 'max'],
      rows: [
        row('SSE (`waitForApproval`, default)', sse),
        row(`polling every ${POLL_INTERVAL_MS} ms (\`mode: 'poll'\`)`, poll),
      ],
      notes: [
        'Two services in this process, each with its own Redis connections and the same key',
        'prefix: the client authorizes and waits on the first, the approver decides on the',
        "second. SSE is bounded by Redis's pub/sub notification, one status read on the first",
        'instance (which issues the token in Redis) and one event on the open connection.',
      ],
    });
    recordTarget({
      measure: 'decision → waiting client, two instances on Redis (p50 / p99)',
      baseline: `polling every ${POLL_INTERVAL_MS} ms: ${ms(percentile(poll, 50))} / ${ms(percentile(poll, 99))}`,
      ours: `${ms(p50)} / ${ms(p99)}`,
      ratio: times(p50 / percentile(poll, 50)),
      target: 'p50 < 5 ms, p99 < 20 ms',
      met: p50 < 5 && p99 < 20,
    });
  } finally {
    await waiting.close();
    await deciding.close();
  }
}

/**
 * One delivery: authorize and wait on `running`, decide on `decider` (the same service
 * unless given), and answer the milliseconds from sending the decision to the wait
 * resolving.
 */
async function deliver(
  running: Running,
  user: number,
  mode: 'auto' | 'poll',
  decider: Running = running,
): Promise<number> {
  const client = createHandshakeClient({
    baseUrl: running.url,
    session: running.sessions[user]!,
    signer: { keyId: KEY_ID, privateKey: SIGNING_SEED },
  });
  const answer = await client.authorize('create_refund', {
    capture_id: `CAPTURE-${user}`,
    amount: { value: '25.00', currency: 'USD' },
  });
  if (answer.status !== 'pending') throw new Error('create_refund should wait for approval');
  let started: () => void = () => {};
  const waiting = new Promise<void>((resolve) => {
    started = resolve;
  });
  const onEvent = (event: WaiterEvent) => {
    if (event.status === 'streaming' || event.status === 'polling') started();
  };
  let resumedAt = 0;
  const resumed = client
    .waitForApproval(answer.approvalId, {
      mode,
      pollIntervalMs: POLL_INTERVAL_MS,
      timeoutMs: 30_000,
      onEvent,
    })
    .then((view) => {
      resumedAt = performance.now();
      if (view.status !== 'approved' || !view.ephemeralToken) throw new Error('not approved');
    });
  await waiting;
  // Let the stream deliver its first (pending) status, or land the decision at a random
  // point of the polling interval.
  await sleep(mode === 'poll' ? POLL_INTERVAL_MS + Math.random() * POLL_INTERVAL_MS : 20);
  const decidedAt = performance.now();
  const response = await fetch(`${decider.url}/approvals/${answer.approvalId}/decision`, {
    method: 'POST',
    headers: { authorization: `Bearer ${APPROVER_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ decision: 'approve' }),
  });
  if (response.status !== 200) throw new Error(`decision answered ${response.status}`);
  await response.arrayBuffer();
  await resumed;
  return resumedAt - decidedAt;
}
