// Bundles the functions into dist/src/handler.mjs, one file for every function, with the
// files it reads beside it: the approval console's page and msw's WebAssembly parser.
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });

await build({
  entryPoints: ['src/handler.ts'],
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  conditions: ['@handshake/source'],
  outfile: 'dist/src/handler.mjs',
  // Bundled CommonJS dependencies call require(); ES modules have none of their own.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// The simulated PayPal (PAYPAL_MODE=simulated) intercepts HTTP with msw, whose parser
// loads a WebAssembly file next to the bundle.
const fromPaypal = createRequire(
  createRequire(import.meta.url).resolve('@handshake/paypal/package.json'),
);
const fromMsw = createRequire(fromPaypal.resolve('msw/package.json'));
// The package exports no package.json: find its folder from its main entry.
let interceptors = dirname(fromMsw.resolve('@mswjs/interceptors'));
while (!existsSync(join(interceptors, 'package.json'))) interceptors = dirname(interceptors);
mkdirSync('dist/src/llhttp', { recursive: true });
copyFileSync(join(interceptors, 'lib/node/llhttp/llhttp.wasm'), 'dist/src/llhttp/llhttp.wasm');

// The console's files, where the service looks for them (`../console/` from its module).
const server = dirname(createRequire(import.meta.url).resolve('@handshake/server/package.json'));
cpSync(join(server, 'console'), 'dist/console', {
  recursive: true,
  filter: (path) => !path.endsWith('.test.ts'),
});
