// One competitor of the cross-process race in sqlite-store.test.ts: opens the shared
// database, says "ready", waits for "go" on stdin, then tries to consume every token and
// prints the indexes it won. Not part of the example's API.

import { createInterface } from 'node:readline';
import { SqliteStore } from './sqlite-store.js';

const [path, spec] = process.argv.slice(2);
if (!path || !spec) throw new Error('usage: race-child <db> <json>');
const race = JSON.parse(spec) as {
  partition: string;
  digests: string[];
  expect: { userId: string; tool: string; paramsHash: string };
  now: number;
};

const store = new SqliteStore({ path, busyTimeoutMs: 10_000 });
const lines = createInterface({ input: process.stdin });
console.log('ready');
for await (const line of lines) {
  if (line !== 'go') continue;
  const won: number[] = [];
  const answers: Record<string, number> = {};
  for (const [index, digest] of race.digests.entries()) {
    const outcome = store.consume({
      partition: race.partition,
      digest,
      now: race.now,
      expect: race.expect,
      sessionId: `s:${process.pid}`,
      retainMs: 600_000,
    });
    answers[outcome.status] = (answers[outcome.status] ?? 0) + 1;
    if (outcome.status === 'ok') won.push(index);
  }
  console.log(JSON.stringify({ won, answers }));
  break;
}
lines.close();
store.close();
