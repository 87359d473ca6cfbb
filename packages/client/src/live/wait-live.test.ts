// The shared live wait with hand-fired timers: a lost heartbeat reconnects with
// Last-Event-ID, a wait that does not resume falls back to polling, the deadline fires
// on the injected timers, and an abort leaves no timer, stream or listener behind.

import type { EventSourceMessage } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { handFiredTimers } from '../../test/harness.js';
import type { PollRead } from './poll.js';
import { reconnectWithBackoff } from './reconnect.js';
import type { LiveListener } from './stream-reader.js';
import { type Connection, type WaitLiveOptions, waitLive } from './wait-live.js';

/** Hand-fired timers whose `fire` insists that a timer of that delay is scheduled. */
function manualTimers() {
  const hand = handFiredTimers();
  return {
    ...hand.timers,
    pending: hand.pending,
    fire(ms: number): void {
      if (hand.fire(ms) === 0) throw new Error(`no timer of ${ms} ms is scheduled`);
    },
  };
}

/** Lets promise chains and stream reads run (no time passes on the injected timers). */
async function settled(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i += 1) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(condition()).toBe(true);
}

type Decision = { status: string };

/** `status` events whose data is `{"status": …}`; anything but `pending` decides. */
function statusListener(): LiveListener<Decision> {
  let decided: Decision | undefined;
  let serverError = false;
  return {
    onEvent(event: EventSourceMessage) {
      if (event.event === 'error') serverError = true;
      if (event.event !== 'status') return;
      const data = JSON.parse(event.data) as Decision;
      if (data.status !== 'pending') decided = data;
    },
    onParseError() {},
    get decided() {
      return decided;
    },
    fatal: undefined,
    get serverError() {
      return serverError;
    },
  };
}

/** A stream body the test writes to; `cancelled` turns true when the reader gives up. */
function openBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const state = { cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return {
    body,
    state,
    send: (text: string) => controller.enqueue(new TextEncoder().encode(text)),
  };
}

function options(
  timers: ReturnType<typeof manualTimers>,
  overrides: Partial<WaitLiveOptions<Decision, string, Decision>>,
): WaitLiveOptions<Decision, string, Decision> {
  return {
    timers,
    signal: undefined,
    abortError: (reason) => new Error(`aborted: ${String(reason)}`),
    timeoutMs: 900_000,
    timeoutError: (lastError) => new Error('timed out', { cause: lastError }),
    heartbeatTimeoutMs: 45_000,
    watch: 'request',
    mode: 'stream',
    connect: async () => {
      throw new Error('no connection expected');
    },
    afterBreak: (broken) => ({ fallback: broken.reason }),
    onFallback: () => {},
    poll: {
      read: async () => {
        throw new Error('no poll expected');
      },
      delayMs: () => 2_000,
    },
    settle: async (value) => value,
    ...overrides,
  };
}

describe('waitLive', () => {
  it('replaces a stream whose heartbeat is lost, resuming after the last event id', async () => {
    const timers = manualTimers();
    const asked: Array<string | undefined> = [];
    const bodies: Array<ReturnType<typeof openBody>> = [];
    const reconnects: string[] = [];
    const waiting = waitLive(
      options(timers, {
        connect: async ({ lastEventId }): Promise<Connection<Decision, string>> => {
          asked.push(lastEventId);
          const stream = openBody();
          bodies.push(stream);
          return { kind: 'stream', body: stream.body, listener: statusListener() };
        },
        afterBreak: reconnectWithBackoff({
          delayMs: 1_000,
          maxDelayMs: 30_000,
          silentLimit: 3,
          onReconnect: (_attempt, _delay, reason) => reconnects.push(reason),
        }),
      }),
    );
    await settled(() => bodies.length === 1);
    bodies[0]?.send('id: 7\nevent: status\ndata: {"status":"pending"}\n\n');
    // The watchdog hears the bytes; then silence for the whole heartbeat timeout.
    await settled(() => timers.pending().includes(45_000));
    timers.fire(45_000);
    await settled(() => reconnects.length === 1);
    expect(reconnects).toEqual(['heartbeat']);
    expect(bodies[0]?.state.cancelled).toBe(true);
    timers.fire(1_000);
    await settled(() => bodies.length === 2);
    expect(asked).toEqual([undefined, '7']);
    bodies[1]?.send('id: 8\nevent: status\ndata: {"status":"approved"}\n\n');
    await expect(waiting).resolves.toEqual({ status: 'approved' });
    expect(timers.pending()).toEqual([]);
  });

  it('falls back to polling when the stream breaks and the wait does not resume', async () => {
    const timers = manualTimers();
    const fallbacks: string[] = [];
    const reads: Array<PollRead<Decision>> = [
      { kind: 'failed', error: new TypeError('fetch failed') },
      { kind: 'pending' },
      { kind: 'decided', value: { status: 'denied' } },
    ];
    let stream: ReturnType<typeof openBody> | undefined;
    const waiting = waitLive(
      options(timers, {
        watch: 'body',
        connect: async () => {
          stream = openBody();
          return { kind: 'stream', body: stream.body, listener: statusListener() };
        },
        onFallback: (reason) => fallbacks.push(reason),
        poll: {
          read: async () => reads.shift() ?? { kind: 'pending' },
          delayMs: (failures) => (failures === 0 ? 2_000 : 4_000),
        },
      }),
    );
    await settled(() => stream !== undefined);
    stream?.send('event: status\ndata: {"status":"pending"}\n\n');
    await settled(() => timers.pending().includes(45_000));
    timers.fire(45_000);
    await settled(() => timers.pending().includes(4_000));
    expect(fallbacks).toEqual(['heartbeat']);
    timers.fire(4_000);
    await settled(() => timers.pending().includes(2_000));
    timers.fire(2_000);
    await expect(waiting).resolves.toEqual({ status: 'denied' });
    expect(timers.pending()).toEqual([]);
  });

  it('ends at its deadline on the injected timers, with the last failure as the cause', async () => {
    const timers = manualTimers();
    let attempts = 0;
    const waiting = waitLive(
      options(timers, {
        timeoutMs: 30_000,
        connect: async () => {
          attempts += 1;
          return { kind: 'failed', reason: 'network', error: new TypeError(`cut ${attempts}`) };
        },
        afterBreak: () => ({ reconnectAfterMs: 5_000 }),
      }),
    ).catch((error: unknown) => error);
    await settled(() => timers.pending().includes(5_000));
    timers.fire(5_000);
    await settled(() => attempts === 2 && timers.pending().includes(5_000));
    timers.fire(30_000);
    const error = await waiting;
    expect(error).toMatchObject({ message: 'timed out' });
    expect((error as Error).cause).toMatchObject({ message: 'cut 2' });
    expect(timers.pending()).toEqual([]);
  });

  it('on abort, cancels the stream and leaves no timer or listener behind', async () => {
    const timers = manualTimers();
    const controller = new AbortController();
    const added: string[] = [];
    const removed: string[] = [];
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((type: string, ...rest: [never]) => {
      added.push(type);
      add(type, ...rest);
    }) as typeof signal.addEventListener;
    signal.removeEventListener = ((type: string, ...rest: [never]) => {
      removed.push(type);
      remove(type, ...rest);
    }) as typeof signal.removeEventListener;
    let stream: ReturnType<typeof openBody> | undefined;
    let connectionSignal: AbortSignal | undefined;
    const waiting = waitLive(
      options(timers, {
        signal,
        connect: async ({ signal: connection }) => {
          connectionSignal = connection;
          stream = openBody();
          return { kind: 'stream', body: stream.body, listener: statusListener() };
        },
      }),
    ).catch((error: unknown) => error);
    await settled(() => stream !== undefined && timers.pending().length === 2);
    controller.abort('enough');
    expect(await waiting).toMatchObject({ message: 'aborted: enough' });
    expect(stream?.state.cancelled).toBe(true);
    expect(connectionSignal?.aborted).toBe(true);
    expect(timers.pending()).toEqual([]);
    expect(removed).toEqual(added);
  });
});
