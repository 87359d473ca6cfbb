import { describe, expect, it } from 'vitest';
import { eventStreamResponse } from './event-stream.js';

describe('eventStreamResponse', () => {
  it('streams what is written and runs each clean-up once when finished', async () => {
    let runs = 0;
    const response = eventStreamResponse((channel) => {
      channel.onClose(() => {
        runs += 1;
      });
      channel.write('retry: 1000\n\n');
      channel.finish();
      channel.finish();
      channel.write('ignored\n\n');
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await response.text()).toBe('retry: 1000\n\n');
    expect(runs).toBe(1);
  });

  it('runs a clean-up registered after the stream ended at once', () => {
    let ran = false;
    eventStreamResponse((channel) => {
      channel.finish();
      channel.onClose(() => {
        ran = true;
      });
    });
    expect(ran).toBe(true);
  });

  it('cleans up when the client cancels the stream', async () => {
    let ran = false;
    const response = eventStreamResponse((channel) => {
      channel.onClose(() => {
        ran = true;
      });
    });
    await response.body?.cancel();
    expect(ran).toBe(true);
  });
});
