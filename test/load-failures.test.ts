// A test file that cannot load fails the summary loudly, not only the exit code: the
// reporters of the repository's vitest configuration are run on two fixtures, one of
// which cannot load.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repo } from './support/virtual-program.js';

const run = promisify(execFile);

describe('a test file that cannot load', () => {
  it('is named after the summary, and the run fails', async () => {
    const fixtures = join(repo, 'test', 'fixtures', 'load-failure');
    const result = await run(
      process.execPath,
      [
        join(repo, 'node_modules', 'vitest', 'vitest.mjs'),
        'run',
        '--config',
        join(fixtures, 'vitest.config.ts'),
        '--root',
        fixtures,
      ],
      { cwd: fixtures, env: { ...process.env, CI: 'true', NO_COLOR: '1' } },
    ).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Tests\s+1 passed \(1\)/);
    expect(result.stdout).toMatch(
      /Not loaded {2}1 test file failed to load; their tests did not run/,
    );
    expect(result.stdout).toContain('✗ broken.check.ts: ENOENT');
  }, 60_000);
});
