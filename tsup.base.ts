// The build every published package shares: its `tsup.config.ts` names the entry points
// and what to leave to the user's install or to carry along.
import { rmSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

interface PackageBuild {
  /** Entry points: source files, or source files by output name. */
  entry: Options['entry'];
  /** Dependencies that are the user's own copies (peers): never bundled. */
  external?: Options['external'];
  /**
   * Dependencies that publish ES modules only. Node 22.0–22.11 cannot `require()` an ES
   * module without a flag, so the CommonJS build carries its own copy of them.
   */
  requireBundles?: Options['noExternal'];
}

/**
 * ES modules and CommonJS for ES2023 with source maps, and their declarations, in `dist`
 * of the package being built.
 */
export function packageBuild({ entry, external, requireBundles }: PackageBuild) {
  // The configurations below build in parallel, so none may clean the output of another:
  // clear dist once, when the config loads.
  rmSync('dist', { recursive: true, force: true });
  const shared: Options = {
    entry,
    sourcemap: true,
    target: 'es2023',
    ...(external && { external }),
  };
  const code: Options[] = requireBundles
    ? [
        { ...shared, format: 'esm' },
        { ...shared, format: 'cjs', noExternal: requireBundles },
      ]
    : [{ ...shared, format: ['esm', 'cjs'] }];
  return defineConfig([
    // One declaration pass writes both `.d.ts` (for `import`) and `.d.cts` (for `require`).
    { ...shared, format: ['esm', 'cjs'], dts: { only: true } },
    ...code,
  ]);
}
