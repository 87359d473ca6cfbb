import { rmSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

// The configurations below build in parallel, so none may clean the output of another:
// clear dist once, when the config loads.
rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });

const shared: Options = {
  sourcemap: true,
  target: 'es2023',
  format: 'esm',
  // The PayPal toolkit, the MCP SDK, msw and ioredis are the user's installed copies.
  external: ['@paypal/agent-toolkit', '@modelcontextprotocol/sdk', 'msw', 'ioredis'],
};

export default defineConfig([
  { ...shared, entry: { index: 'src/index.ts' }, dts: true },
  // The `handshake-server` command: plain JavaScript, started by Node directly.
  { ...shared, entry: { main: 'src/main.ts' }, banner: { js: '#!/usr/bin/env node' } },
]);
