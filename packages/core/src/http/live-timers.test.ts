import { describe, expect, it } from 'vitest';
import { Deadlines, Ticker, type TimerEntry, type TimerScheduler } from './live-timers.js';

/** A clock and timers the test moves together: `advance` fires what falls due. */
function virtualTime() {
  let now = 0;
  let next = 1;
  const pending = new Map<number, { callback: () => void; at: number; ms: number }>();
  const timers: TimerScheduler = {
    setTimeout(callback, ms) {
      const id = next++;
      pending.set(id, { callback, at: now + ms, ms });
      return id;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };
  return {
    timers,
    now: () => now,
    pending: () => [...pending.values()].map((t) => t.ms),
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = [...pending.entries()]
          .filter(([, t]) => t.at <= end)
          .sort(([, a], [, b]) => a.at - b.at)[0];
        if (!due) break;
        pending.delete(due[0]);
        now = due[1].at;
        due[1].callback();
      }
      now = end;
    },
  };
}

describe('Ticker', () => {
  it('beats each member once per period from when it joined, with one timer', () => {
    const time = virtualTime();
    const ticker = new Ticker(1_000, time.timers, time.now);
    const beats: string[] = [];
    ticker.add(() => beats.push(`a@${time.now()}`));
    time.advance(500);
    const leaveB = ticker.add(() => beats.push(`b@${time.now()}`));
    expect(time.pending()).toHaveLength(1);
    time.advance(2_100);
    expect(beats).toEqual(['a@1000', 'b@1500', 'a@2000', 'b@2500']);
    leaveB();
    time.advance(1_000);
    expect(beats.slice(4)).toEqual(['a@3000']);
    expect(time.pending()).toHaveLength(1);
  });

  it('runs members due together in slices of 64, and holds no timer once empty', () => {
    const time = virtualTime();
    const ticker = new Ticker(1_000, time.timers, time.now);
    let beats = 0;
    const leaves = Array.from({ length: 600 }, () => ticker.add(() => (beats += 1)));
    expect(time.pending()).toEqual([1_000]);
    time.advance(1_000);
    // 64 in the first callback, then the rest on the next turns (delay 0).
    expect(beats).toBe(600);
    expect(time.pending()).toEqual([1_000]);
    for (const leave of leaves) leave();
    expect(ticker.size).toBe(0);
    expect(time.pending()).toEqual([]);
  });

  it('a member that leaves from its own beat, or joins another, keeps the timer right', () => {
    const time = virtualTime();
    const ticker = new Ticker(1_000, time.timers, time.now);
    const beats: string[] = [];
    const leave = ticker.add(() => {
      beats.push('once');
      leave();
      ticker.add(() => beats.push(`later@${time.now()}`));
    });
    time.advance(2_000);
    expect(beats).toEqual(['once', 'later@2000']);
    expect(time.pending()).toEqual([1_000]);
  });
});

describe('Deadlines', () => {
  it('fires each callback once at its time, earliest first, with one timer', () => {
    const time = virtualTime();
    const deadlines = new Deadlines(time.timers, time.now);
    const fired: string[] = [];
    deadlines.after(3_000, () => fired.push(`c@${time.now()}`));
    deadlines.after(1_000, () => fired.push(`a@${time.now()}`));
    const cancelB = deadlines.after(2_000, () => fired.push('b'));
    expect(time.pending()).toEqual([1_000]);
    cancelB();
    time.advance(5_000);
    expect(fired).toEqual(['a@1000', 'c@3000']);
    expect(deadlines.size).toBe(0);
    expect(time.pending()).toEqual([]);
  });

  it('cancelling the earliest re-arms for the next; cancelling all clears the timer', () => {
    const time = virtualTime();
    const deadlines = new Deadlines(time.timers, time.now);
    const fired: number[] = [];
    const cancelFirst = deadlines.after(1_000, () => fired.push(1));
    const cancelSecond = deadlines.after(4_000, () => fired.push(4));
    cancelFirst();
    expect(time.pending()).toEqual([4_000]);
    cancelSecond();
    expect(time.pending()).toEqual([]);
    time.advance(10_000);
    expect(fired).toEqual([]);
  });

  it('waits out a deadline beyond the longest timer delay instead of firing early', () => {
    const time = virtualTime();
    const deadlines = new Deadlines(time.timers, time.now);
    const fired: number[] = [];
    const far = 3_000_000_000;
    deadlines.after(far, () => fired.push(time.now()));
    expect(time.pending()).toEqual([2_147_483_647]);
    time.advance(2_147_483_647);
    expect(fired).toEqual([]);
    time.advance(far);
    expect(fired).toEqual([far]);
  });

  it('cancels the very entry asked for among entries due at the same time', () => {
    const time = virtualTime();
    const deadlines = new Deadlines(time.timers, time.now);
    const fired: string[] = [];
    const entry = (name: string): TimerEntry => ({ due: 0, fire: () => fired.push(name) });
    const [a, b, c, d] = [entry('a'), entry('b'), entry('c'), entry('d')];
    deadlines.schedule(1_000, a);
    deadlines.schedule(1_000, b);
    deadlines.schedule(1_000, c);
    deadlines.schedule(500, d);
    deadlines.cancel(b);
    deadlines.cancel(b);
    // Never scheduled: nothing happens.
    deadlines.cancel(entry('e'));
    expect(deadlines.size).toBe(3);
    time.advance(1_000);
    expect(fired).toEqual(['d', 'a', 'c']);
    // Fired already: nothing to cancel, no timer left.
    deadlines.cancel(a);
    expect(time.pending()).toEqual([]);
  });
});

describe('Ticker and Deadlines with entries their owners keep', () => {
  it('a ticker calls a joined entry every period until it leaves', () => {
    const time = virtualTime();
    const ticker = new Ticker(1_000, time.timers, time.now);
    const beats: number[] = [];
    const member: TimerEntry = { due: 0, fire: () => beats.push(time.now()) };
    ticker.join(member);
    expect(member.due).toBe(1_000);
    time.advance(2_000);
    expect(beats).toEqual([1_000, 2_000]);
    // Joining again is still one membership.
    ticker.join(member);
    expect(ticker.size).toBe(1);
    time.advance(1_000);
    expect(beats).toEqual([1_000, 2_000, 3_000]);
    ticker.leave(member);
    ticker.leave(member);
    expect(ticker.size).toBe(0);
    expect(time.pending()).toEqual([]);
  });
});
