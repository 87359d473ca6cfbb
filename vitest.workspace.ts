import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { SlowestFirst } from './test/support/sequencer.js';

// Vitest 4+ no longer reads workspace files; this file keeps the project's
// conventional name and defines `test.projects`. Scripts point at it with
// `--config vitest.workspace.ts`.
const source = { conditions: ['@handshake/source'] };

export default defineConfig({
  resolve: source,
  ssr: {
    resolve: { conditions: ['@handshake/source'], externalConditions: ['@handshake/source'] },
  },
  test: {
    // `test` holds the repository-wide checks: the packed tarballs, the docs, the TSDoc examples.
    projects: ['packages/*', 'examples/*', 'test'].map((glob) => ({
      extends: true,
      test: {
        name: { label: glob },
        dir: glob.replace('/*', ''),
        include: ['**/*.test.ts'],
        exclude: ['**/node_modules/**', '**/dist/**'],
      },
    })),
    // After the summary, name any test file that failed to load (its tests are not counted).
    reporters: [
      'default',
      fileURLToPath(new URL('./test/support/load-failures-reporter.ts', import.meta.url)),
    ],
    // One worker per core, and at least two: the registry test spends minutes waiting on
    // builds and npm while the other files run beside it. Each file runs once.
    maxWorkers: Math.max(2, availableParallelism()),
    sequence: { sequencer: SlowestFirst },
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
