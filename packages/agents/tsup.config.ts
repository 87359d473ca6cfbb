import { rmSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

// The configurations below build in parallel, so none may clean the output of another:
// clear dist once, when the config loads.
rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });

const shared: Options = {
  entry: {
    index: 'src/index.ts',
    'ai-sdk': 'src/ai-sdk/index.ts',
    'openai-agents': 'src/openai-agents/index.ts',
    langchain: 'src/langchain/index.ts',
    testing: 'src/testing/index.ts',
  },
  sourcemap: true,
  target: 'es2023',
  // The frameworks are the user's own copies (optional peers).
  external: ['ai', '@openai/agents', '@langchain/core', '@langchain/langgraph', 'zod'],
};

export default defineConfig([
  // One declaration pass writes both `.d.ts` (for `import`) and `.d.cts` (for `require`).
  { ...shared, format: ['esm', 'cjs'], dts: { only: true } },
  { ...shared, format: ['esm', 'cjs'] },
]);
