import type { AbandonedSweep, HandshakeEngine, TimerScheduler } from '@handshake/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { scheduleSweep } from './sweep.js';

/** Timers the test fires by hand. */
function manualTimers() {
  const due = new Map<number, { callback: () => void; ms: number }>();
  let next = 0;
  const timers: TimerScheduler = {
    setTimeout(callback, ms) {
      next += 1;
      due.set(next, { callback, ms });
      return next;
    },
    clearTimeout(handle) {
      due.delete(handle as number);
    },
  };
  const fire = async () => {
    const [id, timer] = [...due][0] ?? [];
    if (id === undefined || !timer) throw new Error('no timer is due');
    due.delete(id);
    timer.callback();
    // Let the sweep's promise settle and schedule the next run.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { timers, due, fire };
}

function logged() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

const engineAnswering = (answers: Array<AbandonedSweep | Error>) => {
  let runs = 0;
  const engine = {
    async sweepAbandoned() {
      const answer = answers[Math.min(runs, answers.length - 1)]!;
      runs += 1;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as HandshakeEngine;
  return { engine, runs: () => runs };
};

describe('the reference service sweep', () => {
  it('runs at each interval, logs what it resolved, survives a failure and stops when told', async () => {
    const { timers, due, fire } = manualTimers();
    const { log, lines } = logged();
    const { engine, runs } = engineAnswering([
      { supported: true, resolved: [] },
      new Error('store down'),
      { supported: true, resolved: [{ transactionId: 'tx_1', userId: 'alice', tool: 'buy' }] },
    ]);
    const stop = scheduleSweep(engine, 60_000, timers, log);
    expect([...due.values()].map((t) => t.ms)).toEqual([60_000]);
    await fire();
    await fire();
    expect(lines.at(-1)).toMatchObject({
      msg: 'the abandoned-execution sweep failed',
      error: 'store down',
    });
    await fire();
    expect(lines.at(-1)).toMatchObject({ count: 1, transactions: ['tx_1'] });
    expect(runs()).toBe(3);
    expect(due.size).toBe(1);
    stop();
    expect(due.size).toBe(0);
  });

  it('stops, saying why, with a store that cannot list abandoned executions', async () => {
    const { timers, due, fire } = manualTimers();
    const { log, lines } = logged();
    const { engine, runs } = engineAnswering([{ supported: false, resolved: [] }]);
    scheduleSweep(engine, 1_000, timers, log);
    await fire();
    expect(runs()).toBe(1);
    expect(due.size).toBe(0);
    expect(lines.at(-1)?.msg).toMatch(/cannot list abandoned executions/);
  });
});
