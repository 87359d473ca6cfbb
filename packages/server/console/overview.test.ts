import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { barWidth, formatAge } from './overview.js';

describe('formatAge', () => {
  it.each([
    [0, '0 s'],
    [45.9, '45 s'],
    [125, '2 min 5 s'],
    [3_780, '1 h 3 min'],
    [-3, '0 s'],
  ])('%s seconds read %s', (seconds, text) => {
    expect(formatAge(seconds)).toBe(text);
  });
});

describe('barWidth', () => {
  it.each([
    [0, 0],
    [0.65, 65],
    [0.12345, 12.3],
    [1, 100],
    [1.4, 100],
    [Number.NaN, 0],
    [-1, 0],
  ])('a share of %s fills %s%% of the track', (share, width) => {
    expect(barWidth(share)).toBe(width);
  });
});

describe('the overview keeps to the console’s policy', () => {
  const text = readFileSync(new URL('./overview.js', import.meta.url), 'utf8');

  it('sets no inline style: bar widths are SVG attributes', () => {
    expect(text).not.toMatch(/\.style\b|setAttribute\(\s*['"]style['"]|cssText/);
  });
});
