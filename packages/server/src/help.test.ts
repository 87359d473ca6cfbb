import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { helpText, VARIABLES } from './help.js';

// `handshake-server --help` and the deployment guide's table list the same variables, and
// every variable the configuration reads is among them.
const guide = readFileSync(new URL('../../../docs/deployment.md', import.meta.url), 'utf8');
const config = readFileSync(new URL('./config.ts', import.meta.url), 'utf8');

describe('handshake-server --help', () => {
  it('lists the variables of the deployment guide, and only those', () => {
    const documented = [...guide.matchAll(/^\| `([A-Z][A-Z0-9_]+)` +\|/gm)].map(
      (match) => match[1],
    );
    expect(documented.length).toBeGreaterThan(5);
    expect(VARIABLES.map((variable) => variable.name).sort()).toEqual(
      [...new Set(documented)].sort(),
    );
  });

  it('lists every variable the configuration reads', () => {
    const read = new Set(
      [...config.matchAll(/\b(?:env\.|env, |ConfigError\()'?([A-Z][A-Z0-9_]+)'?/g)].map(
        (m) => m[1],
      ),
    );
    const listed = new Set(VARIABLES.map((variable) => variable.name));
    expect([...read].filter((name) => !listed.has(name as string))).toEqual([]);
  });

  it('prints each with its default', () => {
    const text = helpText();
    for (const variable of VARIABLES) {
      expect(text).toMatch(
        new RegExp(
          `^  ${variable.name} +.+ \\[${variable.fallback.replace(/[[\]]/g, '\\$&')}\\]$`,
          'm',
        ),
      );
    }
  });
});
