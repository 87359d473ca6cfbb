// Every pending changeset opens with front matter naming packages of this repository, so
// `changeset version` releases what it describes (a formatter once turned a package line
// into a Markdown heading, and the changeset then applied to nothing).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo } from './support/virtual-program.js';

const dir = join(repo, '.changeset');
const changesets = readdirSync(dir).filter((name) => name.endsWith('.md') && name !== 'README.md');
const packages = new Set(
  readdirSync(join(repo, 'packages')).map(
    (name) =>
      (
        JSON.parse(readFileSync(join(repo, 'packages', name, 'package.json'), 'utf8')) as {
          name: string;
        }
      ).name,
  ),
);

describe('pending changesets', () => {
  it('are found', () => {
    expect(changesets.length).toBeGreaterThan(0);
  });

  it.each(changesets)('%s names packages and bumps in its front matter', (name) => {
    const text = readFileSync(join(dir, name), 'utf8');
    const match = /^---\n([\s\S]*?)\n---\n/.exec(text);
    expect(match, 'front matter between two --- lines').not.toBeNull();
    const lines = match![1]!.split('\n').filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const entry = /^"(@handshake\/[a-z-]+)": (major|minor|patch)$/.exec(line);
      expect(entry, line).not.toBeNull();
      expect(packages.has(entry![1]!), `${entry![1]} is a package of this repository`).toBe(true);
    }
  });
});
