// Type-checks snippets (TSDoc examples, code blocks of the docs) as modules of their own,
// each placed as a virtual file in a real folder of the workspace so that its imports
// resolve exactly as they would for a user of that folder.

import { join } from 'node:path';
import ts from 'typescript';

export const repo = join(import.meta.dirname, '..', '..');

/** The compiler options every package shares (core's tsconfig stands for all). */
export function workspaceCompilerOptions(): ts.CompilerOptions {
  const configPath = join(repo, 'packages', 'core', 'tsconfig.json');
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
  if (!config) throw new Error(`cannot read ${configPath}`);
  return { ...config.options, noEmit: true };
}

/** A program over real root files plus virtual ones (path → source). */
export function virtualProgram(roots: readonly string[], virtual: Map<string, string>): ts.Program {
  const options = workspaceCompilerOptions();
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file) ?? readFile.call(host, file);
  host.getSourceFile = (file, language, onError, create) => {
    const code = virtual.get(file);
    return code === undefined
      ? getSourceFile.call(host, file, language, onError, create)
      : ts.createSourceFile(file, code, language, true);
  };
  return ts.createProgram([...roots, ...virtual.keys()], options, host);
}

/** Diagnostics of the virtual files, by path. */
export function virtualDiagnostics(
  program: ts.Program,
  virtual: Map<string, string>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file;
    if (!file || !virtual.has(file.fileName)) continue;
    const list = out.get(file.fileName) ?? [];
    const where =
      diagnostic.start === undefined
        ? ''
        : ` (line ${file.getLineAndCharacterOfPosition(diagnostic.start).line + 1})`;
    list.push(`${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}${where}`);
    out.set(file.fileName, list);
  }
  return out;
}
