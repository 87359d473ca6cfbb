// Measures what the client costs a browser: its main entry bundled with everything it
// imports, for the browser, minified, then gzipped. `pnpm size` prints the numbers;
// src/bundle-size.test.ts keeps them under a ceiling. docs/performance.md records them.

import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** Bytes of the minified browser bundle, raw and gzipped, and the largest inputs. */
export interface BundleSize {
  raw: number;
  gzip: number;
  /** Bytes each package contributes to the minified output, largest first. */
  packages: [name: string, bytes: number][];
}

export async function measureClientBundle(): Promise<BundleSize> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
    // Inputs are named relative to this package wherever the measurement runs from.
    absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['@handshake/source'],
    target: 'es2022',
    minify: true,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  const perPackage = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      perPackage.set(name, (perPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return {
    raw: code.byteLength,
    gzip: gzipSync(code, { level: 9 }).byteLength,
    packages: [...perPackage].sort((a, b) => b[1] - a[1]),
  };
}

function packageOf(input: string): string {
  const modules = input.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const [scope, name] = input.slice(modules + 'node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? input);
  }
  // Workspace sources are named relative to this package: `src/…` or `../protocol/src/…`.
  const sibling = /^\.\.\/([^/]+)\//.exec(input);
  return sibling ? `@handshake/${sibling[1]}` : '@handshake/client';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const size = await measureClientBundle();
  console.log(`@handshake/client, browser, minified: ${size.raw} B raw, ${size.gzip} B gzip`);
  for (const [name, bytes] of size.packages) console.log(`  ${name.padEnd(28)} ${bytes} B`);
}
