// The install and run commands the README and the guides give users, read from the
// documents themselves so that the registry test runs what a user pastes.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from './virtual-program.js';

const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(repo, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name)),
  ...['packages', 'examples'].flatMap((parent) =>
    readdirSync(join(repo, parent))
      .map((name) => join(parent, name, 'README.md'))
      .filter((path) => existsSync(join(repo, path))),
  ),
];

/** Every command line of the documents' `sh` blocks, comments removed, with its document. */
function commandLines(): Array<{ document: string; line: string }> {
  return DOCUMENTS.flatMap((document) => {
    const text = readFileSync(join(repo, document), 'utf8');
    return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) =>
      (block[1] ?? '')
        .split('\n')
        .map((line) => line.replace(/\s+#.*$/, '').trim())
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => ({ document, line })),
    );
  });
}

/** `npm install …` of packages from the registry (not of tarball paths). */
export function documentedInstalls(): string[][] {
  const installs = commandLines()
    .map(({ line }) => line.split(/\s+/))
    .filter(
      (words) =>
        words[0] === 'npm' && words[1] === 'install' && !words.some((w) => w.endsWith('.tgz')),
    )
    .map((words) => words.slice(2));
  return [...new Map(installs.map((names) => [names.join(' '), names])).values()];
}

/** `npx handshake-… --help` and `keygen` lines: commands that run and exit by themselves. */
export function documentedCommands(): string[][] {
  const commands = commandLines()
    .map(({ line }) => line.split(/\s+/))
    .filter(
      (words) =>
        words[0] === 'npx' &&
        /^handshake-/.test(words[1] ?? '') &&
        (words.includes('--help') || words[2] === 'keygen'),
    )
    .map((words) => words.slice(1));
  return [...new Map(commands.map((words) => [words.join(' '), words])).values()];
}
