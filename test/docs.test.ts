// The documentation a new user reads must be true: every relative link (and its
// anchor) resolves, every error code is explained in the troubleshooting guide, code
// shown from the examples is the examples' code, and the docs' TypeScript compiles.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../packages/protocol/src/errors/codes.js';
import { repo, virtualDiagnostics, virtualProgram } from './support/virtual-program.js';

const read = (path: string) => readFileSync(join(repo, path), 'utf8');
const mdIn = (dir: string) =>
  existsSync(join(repo, dir))
    ? readdirSync(join(repo, dir))
        .filter((name) => name.endsWith('.md'))
        .map((name) => join(dir, name))
    : [];
const readmesUnder = (dir: string) =>
  readdirSync(join(repo, dir))
    .map((name) => join(dir, name, 'README.md'))
    .filter((path) => existsSync(join(repo, path)));

const documents = [
  'README.md',
  'CHANGELOG.md',
  ...mdIn('docs'),
  ...readmesUnder('packages'),
  ...readmesUnder('examples'),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = slug(match[1] ?? '');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

/** Markdown without its fenced code blocks, where link syntax means nothing. */
const prose = (markdown: string) => markdown.replace(/^```[\s\S]*?^```/gm, '');

describe('links', () => {
  it.each(documents)('%s links only to files and headings that exist', (document) => {
    const broken: string[] = [];
    for (const match of prose(read(document)).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] ?? '';
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? document : join(dirname(document), path);
      if (!existsSync(join(repo, file))) {
        broken.push(`${target}: no ${file}`);
        continue;
      }
      if (anchor && file.endsWith('.md') && !anchors(read(file)).has(anchor)) {
        broken.push(`${target}: no heading #${anchor} in ${file}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('docs/README.md indexes every guide in docs/', () => {
    const index = read('docs/README.md');
    const unlisted = mdIn('docs')
      .map((path) => relative('docs', path))
      .filter((name) => name !== 'README.md' && !index.includes(`](${name})`));
    expect(unlisted).toEqual([]);
  });
});

describe('troubleshooting', () => {
  const guide = read('docs/troubleshooting.md');
  const explained = [...guide.matchAll(/^### ([A-Z_]+)$/gm)].map((match) => match[1]);

  it('explains every error code, once, and no code that does not exist', () => {
    expect([...explained].sort()).toEqual([...ERROR_CODES].sort());
  });

  it.each([...ERROR_CODES])('%s says what it means and what to do', (code) => {
    const section = guide.split(`### ${code}\n`)[1]?.split(/^#{2,3} /m)[0] ?? '';
    expect(section).toMatch(/What to do/);
  });
});

// `<!-- file: path -->` or `<!-- file: path#region -->` before a code block: the block
// must be that file, or the lines between `// #region name` and `// #endregion name`.
function shownFrom(source: string): string {
  const [path = '', region] = source.split('#');
  const text = read(path);
  if (!region) return text.trimEnd();
  const match = new RegExp(
    `^([ \\t]*)// #region ${region}\\n([\\s\\S]*?)^[ \\t]*// #endregion ${region}\\n`,
    'm',
  ).exec(text);
  if (!match) throw new Error(`no region ${region} in ${path}`);
  const indent = match[1] ?? '';
  return (match[2] ?? '')
    .split('\n')
    .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
    .join('\n')
    .trimEnd();
}

const shown = documents.flatMap((document) =>
  [...read(document).matchAll(/<!-- file: (\S+) -->\n(`{3,})\w*\n([\s\S]*?)\n\2\n/g)].map(
    (match) => ({
      document,
      source: match[1] ?? '',
      block: (match[3] ?? '').trimEnd(),
    }),
  ),
);

describe('code shown from the examples', () => {
  it('is shown somewhere', () => {
    expect(shown.length).toBeGreaterThan(0);
  });

  it.each(shown.map((entry) => [`${entry.document} ← ${entry.source}`, entry] as const))(
    '%s is identical',
    (_, entry) => {
      expect(entry.block).toBe(shownFrom(entry.source));
    },
  );
});

// Every ```ts block of the docs is type-checked. It is placed in the first workspace
// folder whose dependencies cover its imports, so that they resolve as for a user.
const folders = ['packages', 'examples'].flatMap((parent) =>
  readdirSync(join(repo, parent)).flatMap((name) => {
    const manifestPath = join(repo, parent, name, 'package.json');
    if (!existsSync(manifestPath)) return [];
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const names = new Set<string>([
      manifest.name,
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.devDependencies ?? {}),
    ]);
    return [{ dir: join(repo, parent, name, 'src'), names }];
  }),
);

const packageOf = (specifier: string): string =>
  specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : (specifier.split('/')[0] ?? specifier);

const blocks = documents.flatMap((document) =>
  [...read(document).matchAll(/(<!-- file: \S+ -->\n)?(`{3,})ts\n([\s\S]*?)\n\2\n/g)]
    // Blocks shown from an example are checked with the example itself.
    .filter((match) => match[1] === undefined)
    .map((match, index) => {
      const code = match[3] ?? '';
      const imports = [...code.matchAll(/from '([^'.][^']*)'/g)]
        .map((found) => packageOf(found[1] ?? ''))
        .filter((name) => !name.startsWith('node:'));
      const local = [...code.matchAll(/from '(\.[^']*)\.js'/g)].map((found) => `${found[1]}.ts`);
      const folder = folders.find(
        (candidate) =>
          imports.every((name) => candidate.names.has(name)) &&
          local.every((file) => existsSync(join(candidate.dir, file))),
      );
      const name = `${document} #${index + 1}`;
      const path = join(
        folder?.dir ?? repo,
        `__docs__${document.replace(/[/.]/g, '_')}_${index}.ts`,
      );
      // Relative imports (`./ledger-tools.js`) pick the example whose src holds them.
      return { name, path, code: `${code}\nexport {};\n`, placed: folder !== undefined };
    }),
);

describe('TypeScript in the docs', () => {
  const virtual = new Map(blocks.map((block) => [block.path, block.code]));
  const diagnostics = virtualDiagnostics(virtualProgram([], virtual), virtual);

  it.each(blocks.map((block) => [block.name, block] as const))('%s compiles', (_, block) => {
    expect(block.placed, 'a workspace folder depends on everything it imports').toBe(true);
    expect(diagnostics.get(block.path) ?? []).toEqual([]);
  });
});
