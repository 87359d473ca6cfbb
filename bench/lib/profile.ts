import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

// BENCH_PROFILE=<dir>: a CPU profile of this process over each measured run that asks
// for one (each HTTP run; the idle window of the SSE waiters).
const PROFILE_DIR = process.env.BENCH_PROFILE;

/** Runs `run`, writing a V8 CPU profile of it to `<BENCH_PROFILE>/<name>.cpuprofile` when asked. */
export async function profiled<T>(name: string, run: () => Promise<T>): Promise<T> {
  if (!PROFILE_DIR) return run();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await run();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(join(PROFILE_DIR, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}
