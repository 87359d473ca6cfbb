import type { Reporter, TestModule } from 'vitest/node';

// Vitest counts tests, not files: a test file that cannot load (a missing fixture, a
// syntax error) has no tests, so "Tests N passed (N)" stays green while the run fails.
// This reporter, listed after the default one, ends the summary with the files that did
// not load, in red, so a run with such a file never reads as all passed.

/** The modules that failed before any of their tests ran. */
export function modulesThatDidNotLoad(modules: ReadonlyArray<TestModule>): TestModule[] {
  return modules.filter(
    (module) => module.state() === 'failed' && module.errors().length > 0 && isEmpty(module),
  );
}

function isEmpty(module: TestModule): boolean {
  for (const _ of module.children.allTests()) return false;
  return true;
}

const red = (text: string) => (process.stdout.isTTY ? `\x1b[1;31m${text}\x1b[0m` : text);

/** Prints, after the summary, how many test files failed to load and which. */
export default class LoadFailuresReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const failed = modulesThatDidNotLoad(modules);
    if (failed.length === 0) return;
    const lines = [
      red(
        ` Not loaded  ${failed.length} test file${failed.length === 1 ? '' : 's'} failed to load; their tests did not run and are not counted above`,
      ),
      ...failed.map(
        (module) => `   ✗ ${module.relativeModuleId}: ${module.errors()[0]?.message ?? ''}`,
      ),
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
