// docs/paypal.md carries the tier table generated from `paypalToolTiers` and the reason
// comment above each entry in tiers.ts; this test fails when they drift apart. Run it with
// UPDATE_DOCS=1 to rewrite the table.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPayPalToolProvider } from '../provider/provider.js';
import { paypalToolTiers } from './tiers.js';
import { PAYPAL_TOOL_NAMES, type PayPalToolName } from './tool-names.js';

const source = readFileSync(new URL('./tiers.ts', import.meta.url), 'utf8');
const docsUrl = new URL('../../../../docs/paypal.md', import.meta.url);
const START = '<!-- tiers:start (generated from paypalToolTiers; see tiers-doc.test.ts) -->';
const END = '<!-- tiers:end -->';

/** The comment lines right above each entry of the map. */
function reasons(): Map<string, string> {
  const out = new Map<string, string>();
  let comment: string[] = [];
  for (const line of source.slice(source.indexOf('export const paypalToolTiers')).split('\n')) {
    const text = line.trim();
    const entry = /^([a-z_]+): '([A-Z]+)',$/.exec(text);
    if (text.startsWith('//') && !text.endsWith('---')) comment.push(text.slice(2).trim());
    else if (entry?.[1]) {
      out.set(entry[1], comment.join(' '));
      comment = [];
    } else comment = [];
  }
  return out;
}

function table(): string {
  const live = createPayPalToolProvider({ accessToken: 'A21AA-docs', environment: 'live' });
  const moving = new Set(
    live
      .listTools()
      .filter((tool) => tool.amount)
      .map((tool) => tool.name),
  );
  const offered = new Set(live.listTools().map((tool) => tool.name));
  const why = reasons();
  const rows = PAYPAL_TOOL_NAMES.map((name: PayPalToolName) => {
    const notes = [
      moving.has(name) ? 'amount counted' : '',
      offered.has(name) ? '' : 'not offered',
    ].filter(Boolean);
    return `| \`${name}\` | ${paypalToolTiers[name]} | ${notes.join(', ')} | ${why.get(name) ?? ''} |`;
  });
  return [START, '| tool | tier | notes | why |', '|---|---|---|---|', ...rows, END].join('\n');
}

function normalize(markdown: string): string[] {
  return markdown.split('\n').map((line) =>
    line
      .replace(/\s*\|\s*/g, '|')
      .replace(/-{3,}/g, '---')
      .trim(),
  );
}

describe('the tier table in docs/paypal.md', () => {
  it('has a reason for every tool', () => {
    const why = reasons();
    for (const name of PAYPAL_TOOL_NAMES) expect(why.get(name), name).toMatch(/\w{3,}/);
  });

  it('matches paypalToolTiers', () => {
    const docs = readFileSync(docsUrl, 'utf8');
    const expected = table();
    const start = docs.indexOf(START);
    const end = docs.indexOf(END);
    if (process.env.UPDATE_DOCS === '1' && start >= 0 && end > start) {
      writeFileSync(docsUrl, docs.slice(0, start) + expected + docs.slice(end + END.length));
      return;
    }
    expect(start, 'docs/paypal.md lacks the tier table markers').toBeGreaterThanOrEqual(0);
    // The formatter pads the columns; compare cell by cell.
    expect(normalize(docs.slice(start, end + END.length))).toEqual(normalize(expected));
  });
});
