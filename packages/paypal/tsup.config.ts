import { rmSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

// The configurations below build in parallel, so none may clean the output of another:
// clear dist once, when the config loads.
rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });

const shared: Options = {
  entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' },
  sourcemap: true,
  target: 'es2023',
  // Peers: the user's own copies are used.
  external: ['@paypal/agent-toolkit', '@modelcontextprotocol/sdk', 'msw'],
};

export default defineConfig([
  // One declaration pass writes both `.d.ts` (for `import`) and `.d.cts` (for `require`).
  { ...shared, format: ['esm', 'cjs'], dts: { only: true } },
  { ...shared, format: ['esm', 'cjs'] },
  // The `handshake-paypal-mcp` command: plain JavaScript, started by Node directly.
  {
    ...shared,
    entry: { 'mcp-server': 'src/mcp-server/bin.ts' },
    format: 'esm',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
