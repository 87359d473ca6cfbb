// Every ```ts block in the TSDoc of this package's sources is type-checked as a module
// of its own, importing `@handshake/paypal` as a user would, so no example can rot.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const sourceRoot = join(packageRoot, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

interface Example {
  name: string;
  path: string;
  code: string;
}

const examples: Example[] = sources(sourceRoot).flatMap((file) => {
  const text = readFileSync(file, 'utf8');
  const found: Example[] = [];
  for (const comment of text.match(/\/\*\*[\s\S]*?\*\//g) ?? []) {
    const body = comment
      .split('\n')
      .map((line) => line.replace(/^\s*\/?\*+\/?\s?/, ''))
      .join('\n');
    for (const match of body.matchAll(/```ts\n([\s\S]*?)```/g)) {
      const index = found.length;
      const name = `${relative(sourceRoot, file)} #${index + 1}`;
      // A virtual file beside the package's sources, so imports resolve as they would for a user.
      const path = join(
        sourceRoot,
        '__tsdoc__',
        `${relative(sourceRoot, file).replace(/[/.]/g, '_')}_${index}.ts`,
      );
      found.push({ name, path, code: `${match[1] ?? ''}\nexport {};\n` });
    }
  }
  return found;
});

function check(): Map<string, string[]> {
  const configPath = join(packageRoot, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('no tsconfig');
  const virtual = new Map(examples.map((example) => [example.path, example.code]));
  const host = ts.createCompilerHost(config.options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file) ?? readFile.call(host, file);
  host.getSourceFile = (file, language, onError, create) => {
    const code = virtual.get(file);
    return code === undefined
      ? getSourceFile.call(host, file, language, onError, create)
      : ts.createSourceFile(file, code, language, true);
  };
  host.directoryExists = (directory) =>
    directory === dirname(examples[0]?.path ?? '') || ts.sys.directoryExists(directory);
  const program = ts.createProgram([...virtual.keys()], { ...config.options, noEmit: true }, host);
  const out = new Map<string, string[]>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file?.fileName;
    if (!file || !virtual.has(file)) continue;
    const list = out.get(file) ?? [];
    list.push(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    out.set(file, list);
  }
  return out;
}

describe('TSDoc examples', () => {
  const diagnostics = examples.length > 0 ? check() : new Map<string, string[]>();

  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThan(40);
  });

  it.each(examples.map((example) => [example.name, example] as const))(
    '%s compiles',
    (_, example) => {
      expect(diagnostics.get(example.path) ?? []).toEqual([]);
    },
  );
});
