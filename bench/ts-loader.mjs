// Lets Node run the benchmarks and the workspace's TypeScript sources as they are,
// without a build (see the `bench` script in the root package.json):
//
//   node --conditions=@handshake/source --experimental-transform-types \
//     --import ./bench/ts-loader.mjs bench/run.ts
//
// Two resolution rules are added, each used only when Node's own resolution fails:
// - the sources import each other with `.js` extensions (NodeNext); a relative `.js`
//   import is mapped to the `.ts` file beside it;
// - `bench/` is not a workspace package, so the packages it imports by name
//   (`@handshake/*`, `zod`) are resolved as the reference service resolves them, then
//   as @handshake/core and @handshake/protocol do (`@noble/curves`).
import { registerHooks } from 'node:module';

const workspacePackages = [
  '../packages/server/package.json',
  '../packages/core/package.json',
  '../packages/protocol/package.json',
].map((path) => new URL(path, import.meta.url).href);

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
      const relative = specifier.startsWith('./') || specifier.startsWith('../');
      if (relative && specifier.endsWith('.js')) {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      }
      if (!relative && !specifier.startsWith('node:') && context.parentURL?.includes('/bench/')) {
        for (const parentURL of workspacePackages) {
          try {
            return nextResolve(specifier, { ...context, parentURL });
          } catch {
            // try the next package
          }
        }
      }
      throw error;
    }
  },
});
