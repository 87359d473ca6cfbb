import { afterEach, describe, expect, it, vi } from 'vitest';
import { CREDENTIALS } from '../../test/fixtures.js';
import { inMemoryTelemetry, instrumentedEngine } from '../../test/telemetry.js';
import { type RunningServer, serve } from '../node/serve.js';

let telemetry: ReturnType<typeof inMemoryTelemetry>;
let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await telemetry?.close();
});

const refund = (value: string) => ({ capture_id: 'CAP-9', amount: { value, currency: 'USD' } });

async function start() {
  telemetry = inMemoryTelemetry();
  const setup = instrumentedEngine(telemetry);
  server = await serve(setup.handler);
  const url = server.url;
  const ask = async (value: string) => {
    const answer = await setup.engine.authorize(
      { tool: 'create_refund', parameters: refund(value) },
      CREDENTIALS.alice,
    );
    if (answer.status !== 'pending') throw new Error('expected a pending approval');
    return answer.approvalId;
  };
  /** Opens an event stream and reads it until it ends; `close` leaves it. */
  const open = async (path: string, credential: string) => {
    const controller = new AbortController();
    const response = await fetch(`${url}${path}`, {
      headers: { authorization: `Bearer ${credential}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    let text = '';
    const ended = (async () => {
      const decoder = new TextDecoder();
      try {
        const reader = response.body!.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
        }
      } catch {
        // Left by the client.
      }
    })();
    return { ended, text: () => text, close: () => controller.abort() };
  };
  return { ...setup, url, ask, open };
}

/** The open streams by kind, as the up-down counter reads now. */
async function openStreams() {
  const out: Record<string, unknown> = {};
  for (const point of await telemetry.points('handshake.live_streams.open')) {
    expect(Object.keys(point.attributes)).toEqual(['handshake.stream.kind']);
    out[String(point.attributes['handshake.stream.kind'])] = point.value;
  }
  return out;
}

/** The waits recorded, as `outcome channel: count × sum seconds`. */
async function waits() {
  return (await telemetry.points('handshake.approval.wait.duration')).map((point) => {
    expect(Object.keys(point.attributes).sort()).toEqual([
      'handshake.outcome',
      'handshake.wait.channel',
    ]);
    const value = point.value as { count: number; sum: number };
    return `${point.attributes['handshake.outcome']} ${point.attributes['handshake.wait.channel']}: ${value.count} × ${value.sum}`;
  });
}

describe('live stream metrics', () => {
  it('counts the streams open now by who listens, and a requester’s SSE wait from request to decision', async () => {
    const { ask, open, clock, engine } = await start();
    const approvalId = await ask('25.00');
    const approvers = await open('/approvals', CREDENTIALS.approver);
    const requester = await open(`/approvals/${approvalId}`, CREDENTIALS.alice);
    await vi.waitFor(async () =>
      expect(await openStreams()).toEqual({ approver: 1, requester: 1 }),
    );

    clock.advance(42_000);
    await engine.decide(approvalId, { decision: 'approve' }, CREDENTIALS.approver);
    await requester.ended;
    expect(requester.text()).toContain('"status":"approved"');
    await vi.waitFor(async () =>
      expect(await openStreams()).toEqual({ approver: 1, requester: 0 }),
    );
    expect(await waits()).toEqual(['approved sse: 1 × 42']);

    approvers.close();
    await vi.waitFor(async () =>
      expect(await openStreams()).toEqual({ approver: 0, requester: 0 }),
    );
  });

  it('counts a poll that reads the decision as a poll wait, by outcome', async () => {
    const { ask, url, clock, engine } = await start();
    const approvalId = await ask('10.00');
    const read = () =>
      fetch(`${url}/approvals/${approvalId}`, {
        headers: { authorization: `Bearer ${CREDENTIALS.alice}` },
      }).then((response) => response.json() as Promise<{ status: string }>);
    expect((await read()).status).toBe('pending');
    clock.advance(7_000);
    await engine.decide(approvalId, { decision: 'deny' }, CREDENTIALS.approver);
    expect((await read()).status).toBe('denied');
    await vi.waitFor(async () => expect(await waits()).toEqual(['denied poll: 1 × 7']));
    // A pending read counted nothing, and no stream was opened.
    expect(await openStreams()).toEqual({});
  });

  it('counts an approval that expired while its requester listened', async () => {
    const { ask, open, clock, engine } = await start();
    const approvalId = await ask('5.00');
    const requester = await open(`/approvals/${approvalId}`, CREDENTIALS.alice);
    await vi.waitFor(async () => expect(await openStreams()).toEqual({ requester: 1 }));
    clock.advance(300_000);
    // Reading the list expires it, and the store tells the stream.
    await engine.listApprovals({ status: 'pending' }, CREDENTIALS.approver);
    await requester.ended;
    expect(await waits()).toEqual(['expired sse: 1 × 300']);
    expect(await openStreams()).toEqual({ requester: 0 });
  });
});
