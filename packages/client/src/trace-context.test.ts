// The caller's trace context on every request: authorize, the approval stream, the status
// read and execute each carry the `traceparent` (and `tracestate`) the option writes.

import { afterEach, describe, expect, it } from 'vitest';
import {
  KEY_ID,
  recordingFetch,
  SESSION,
  type Service,
  startService,
  statusWatcher,
} from '../test/harness.js';
import { type CallStatus, createHandshakeClient } from './client.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

let service: Service | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

/** Runs a RESTRICTED call that a person approves while the client streams. */
async function approvedCall(traceContext: (headers: Record<string, string>) => void) {
  service = await startService();
  const svc = service;
  const recorder = recordingFetch();
  const watcher = statusWatcher<CallStatus>();
  const client = createHandshakeClient({
    baseUrl: svc.url,
    session: SESSION,
    signer: { keyId: KEY_ID, privateKey: svc.privateKey },
    fetch: recorder.fetch,
    traceContext,
  });
  const approve = async () => {
    const pending = await watcher.next('pending');
    await watcher.next('streaming');
    if (pending.status !== 'pending') throw new Error('unreachable');
    expect((await svc.decide(pending.approvalId, 'approve')).status).toBe(200);
  };
  const [result] = await Promise.all([
    client.call('pay_order', { order_id: 'O-9', amount: '25.00' }, { onStatus: watcher.on }),
    approve(),
  ]);
  return { result, requests: recorder.requests };
}

describe('traceContext', () => {
  it('sends the trace context it writes on every request, and nothing else it writes', async () => {
    const { result, requests } = await approvedCall((headers) => {
      headers.traceparent = TRACEPARENT;
      headers.tracestate = 'vendor=1';
      headers.authorization = 'Bearer not-from-here';
      headers['x-extra'] = 'ignored';
    });
    expect(result).toBeDefined();
    const paths = requests.map((request) => new URL(request.url).pathname);
    expect(paths).toEqual(
      expect.arrayContaining(['/authorize', '/execute', expect.stringMatching(/^\/approvals\//)]),
    );
    expect(requests.some((request) => request.headers.get('accept') === 'text/event-stream')).toBe(
      true,
    );
    for (const request of requests) {
      expect(request.headers.get('traceparent'), request.url).toBe(TRACEPARENT);
      expect(request.headers.get('tracestate'), request.url).toBe('vendor=1');
      expect(request.headers.get('authorization')).toBe(`Bearer ${SESSION}`);
      expect(request.headers.has('x-extra')).toBe(false);
    }
  });

  it('sends no trace context when the function writes none or throws, and the call goes on', async () => {
    let calls = 0;
    const { result, requests } = await approvedCall(() => {
      calls += 1;
      if (calls % 2 === 0) throw new Error('no tracer');
    });
    expect(result).toBeDefined();
    expect(calls).toBeGreaterThan(2);
    for (const request of requests) expect(request.headers.has('traceparent')).toBe(false);
  });
});
