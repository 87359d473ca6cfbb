import { describe, expect, it } from 'vitest';
import { ApprovalListeners } from './approval-listeners.js';
import type { ApprovalEvent } from './store-v1.js';

const event = (approvalId: string, version: number): ApprovalEvent => ({
  approvalId,
  status: version > 1 ? 'approved' : 'pending',
  version,
});
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ApprovalListeners', () => {
  it('delivers each approval version once when it remembers, and in order of delivery', async () => {
    const listeners = new ApprovalListeners({ remember: 10 });
    const heard: ApprovalEvent[] = [];
    listeners.add((e) => heard.push(e));
    listeners.deliver(event('a', 1));
    listeners.deliver(event('a', 2));
    listeners.deliver(event('a', 2));
    listeners.deliver(event('a', 1));
    listeners.deliver(event('b', 1));
    await settle();
    expect(heard).toEqual([event('a', 1), event('a', 2), event('b', 1)]);
  });

  it('delivers everything when it remembers nothing', async () => {
    const listeners = new ApprovalListeners();
    const heard: ApprovalEvent[] = [];
    listeners.add((e) => heard.push(e));
    listeners.deliver(event('a', 2));
    listeners.deliver(event('a', 2));
    await settle();
    expect(heard).toHaveLength(2);
  });

  it('forgets the oldest approval beyond its bound', async () => {
    const listeners = new ApprovalListeners({ remember: 2 });
    const heard: string[] = [];
    listeners.add((e) => heard.push(`${e.approvalId}@${e.version}`));
    for (const id of ['a', 'b', 'c']) listeners.deliver(event(id, 1));
    listeners.deliver(event('a', 1)); // forgotten: delivered again
    listeners.deliver(event('c', 1)); // remembered: not again
    await settle();
    expect(heard).toEqual(['a@1', 'b@1', 'c@1', 'a@1']);
  });

  it('keeps a throwing listener from the others and from the caller, and reports it', async () => {
    const errors: unknown[] = [];
    const listeners = new ApprovalListeners({ onError: (error) => errors.push(error) });
    const heard: ApprovalEvent[] = [];
    listeners.add(() => {
      throw new Error('listener failed');
    });
    listeners.add((e) => heard.push(e));
    expect(() => listeners.deliver(event('a', 1))).not.toThrow();
    await settle();
    expect(heard).toEqual([event('a', 1)]);
    expect(errors).toEqual([new Error('listener failed')]);
  });

  it('stops delivering to an unsubscribed listener, and to all after clear', async () => {
    const listeners = new ApprovalListeners();
    const heard: string[] = [];
    const stop = listeners.add(() => heard.push('first'));
    listeners.add(() => heard.push('second'));
    expect(listeners.size).toBe(2);
    stop();
    listeners.deliver(event('a', 1));
    await settle();
    expect(heard).toEqual(['second']);
    listeners.clear();
    listeners.deliver(event('a', 2));
    await settle();
    expect(heard).toEqual(['second']);
    expect(listeners.size).toBe(0);
  });
});
