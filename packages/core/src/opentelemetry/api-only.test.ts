import { trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREDENTIALS, testEngine, testTools } from '../../test/fixtures.js';
import { MemoryStore } from '../store/memory-store.js';
import type { ToolProviderV1 } from '../tools/tool-provider.js';
import { instrumentEngine } from './engine.js';
import { engineObserver } from './observer.js';
import { instrumentStore } from './store.js';
import { instrumentToolProvider } from './tool-provider.js';

// No SDK registered, whatever ran before in this process; none left behind.
beforeEach(() => trace.disable());
afterEach(() => trace.disable());

describe('with only @opentelemetry/api installed', () => {
  it('calls straight through each wrapper: the answer is the wrapped one’s own', async () => {
    const answer = Promise.resolve({ ok: true });
    const provider: ToolProviderV1 = {
      specificationVersion: 'v1',
      listTools: () => [],
      execute: () => answer as never,
    };
    const tools = instrumentToolProvider(provider);
    expect(tools.execute('t', {}, {} as never)).toBe(answer);
    const store = new MemoryStore();
    const read = Promise.resolve(undefined) as never;
    store.getApproval = () => read;
    expect(instrumentStore(store, { name: 'memory' }).getApproval('p', 'a')).toBe(read);
    const work = Promise.resolve(7);
    expect(engineObserver().step!({ kind: 'policy', check: 'amount' }, () => work)).toBe(work);
  });

  it('traces once an SDK registers its tracer provider later, and runs the same calls', async () => {
    const setup = testEngine({
      tools: instrumentToolProvider(testTools().provider),
      store: instrumentStore(new MemoryStore(), { name: 'memory' }),
      observer: engineObserver(),
    });
    const engine = instrumentEngine(setup.engine);
    const call = { tool: 'get_exchange_rate', parameters: { from: 'EUR' } };
    const before = await engine.authorize(call, CREDENTIALS.alice);
    expect(before.status).toBe('authorized');

    const spans = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }),
    );
    const after = await engine.authorize(call, CREDENTIALS.alice);
    expect(after.status).toBe('authorized');
    const names = spans.getFinishedSpans().map((span) => span.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'handshake.authorize',
        'handshake.store authorize',
        'handshake.policy parameters',
      ]),
    );
  });
});
