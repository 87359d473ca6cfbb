// Runs json-parse-escaped-keys.mjs (see README.md in this folder): 20,000 random JSON
// texts, from a fixed seed, whose object keys contain escape sequences, each parsed by
// the runtime's own JSON.parse and compared with the value it was written from. Node
// 24.21.0 and 26.10.0 misread some of them; the Node this repository pins does not.
// The service does not depend on it (escaped texts take `parseJsonText`, tested in
// src/http/json-text.test.ts), but every other JSON.parse in the process does.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./json-parse-escaped-keys.mjs', import.meta.url));
const pinned = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    devDependencies: { node: string };
  }
).devDependencies.node;

describe('JSON.parse of texts with escaped object keys, on this runtime', () => {
  it('runs on the Node version the repository pins', () => {
    expect(process.version).toBe(`v${pinned}`);
  });

  it('parses all 20 000 texts of the reproduction as they were written', async () => {
    const { stdout } = await run(process.execPath, [script], { timeout: 60_000 });
    expect(stdout.trim()).toBe(`${process.version}: 0 of 20000 texts parsed wrongly`);
  }, 90_000);
});
