import { rmSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

// The configurations below build in parallel, so none may clean the output of another:
// clear dist once, when the config loads.
rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });

const shared: Options = {
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    opentelemetry: 'src/opentelemetry/index.ts',
  },
  sourcemap: true,
  target: 'es2023',
  // An optional peer: the user's own copy is used.
  external: ['@opentelemetry/api'],
};

export default defineConfig([
  // One declaration pass writes both `.d.ts` (for `import`) and `.d.cts` (for `require`).
  { ...shared, format: ['esm', 'cjs'], dts: { only: true } },
  { ...shared, format: 'esm' },
  // @noble/hashes publishes ES modules only. Node 22.0–22.11 cannot `require()` an ES
  // module without a flag, so the CommonJS build carries its own copy of it.
  { ...shared, format: 'cjs', noExternal: [/^@noble\//] },
]);
