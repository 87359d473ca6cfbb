import { describe, expect, it } from 'vitest';
import {
  describeReasons,
  flattenParameters,
  formatTimeLeft,
  isoDuration,
  statusLabel,
} from './format.js';

describe('describeReasons', () => {
  it('names the tier, and each limit a request would pass', () => {
    expect(
      describeReasons(
        [
          { kind: 'tier' },
          { kind: 'limit', window: 'daily' },
          { kind: 'limit', window: 'transaction' },
        ],
        'RESTRICTED',
      ),
    ).toEqual([
      'RESTRICTED tool: every call needs an approver’s yes',
      'Over the daily spending limit',
      'Over the per-transaction spending limit',
    ]);
  });

  it('names a limit alone when the tier would not have asked', () => {
    expect(describeReasons([{ kind: 'limit', window: 'monthly' }], 'CONFIDENTIAL')).toEqual([
      'Over the monthly spending limit',
    ]);
  });

  it('falls back to the tier when the service gave no reason', () => {
    expect(describeReasons(undefined, 'RESTRICTED')).toEqual([
      'RESTRICTED tool: every call needs an approver’s yes',
    ]);
  });
});

describe('flattenParameters', () => {
  it('reads nested objects and arrays as paths', () => {
    expect(
      flattenParameters({
        capture_id: '2GG279541U471931P',
        amount: { value: '25.00', currency: 'USD' },
        items: [{ sku: 'A-1', qty: 2 }],
        final: true,
        note: null,
        tags: [],
        extra: {},
      }),
    ).toEqual([
      ['capture_id', '2GG279541U471931P'],
      ['amount.value', '25.00'],
      ['amount.currency', 'USD'],
      ['items[0].sku', 'A-1'],
      ['items[0].qty', '2'],
      ['final', 'true'],
      ['note', 'null'],
      ['tags', '[]'],
      ['extra', '{}'],
    ]);
  });

  it('keeps markup as text, for the page to put in with textContent', () => {
    expect(flattenParameters({ note: '<img src=x onerror=alert(1)>' })).toEqual([
      ['note', '<img src=x onerror=alert(1)>'],
    ]);
  });

  it('stops at a depth and a count, pointing to the JSON for the rest', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10; i += 1) deep = { d: deep };
    const [[path, value] = ['', '']] = flattenParameters(deep);
    expect(path).toBe('d.d.d.d.d.d');
    expect(JSON.parse(value)).toEqual({ d: { d: { d: { d: 'bottom' } } } });
    const many = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, i]));
    const flat = flattenParameters(many);
    expect(flat).toHaveLength(101);
    expect(flat.at(-1)).toEqual(['…', '50 more not shown; see the JSON']);
  });

  it('shows a bare value', () => {
    expect(flattenParameters('x')).toEqual([['(parameters)', 'x']]);
  });
});

describe('time left', () => {
  it.each([
    [300_000, '5:00', 'PT5M0S'],
    [300_900, '5:00', 'PT5M0S'],
    [245_000, '4:05', 'PT4M5S'],
    [59_999, '0:59', 'PT0M59S'],
    [1, '0:00', 'PT0M0S'],
    [3_723_000, '1:02:03', 'PT62M3S'],
    [0, 'expired', 'PT0M0S'],
    [-5_000, 'expired', 'PT0M0S'],
  ])('%i ms is %s', (ms, text, iso) => {
    expect(formatTimeLeft(ms)).toBe(text);
    expect(isoDuration(ms)).toBe(iso);
  });
});

describe('statusLabel', () => {
  it('names each status', () => {
    expect(
      ['pending', 'approved', 'denied', 'expired', 'withdrawn', 'other'].map(statusLabel),
    ).toEqual(['Pending', 'Approved', 'Denied', 'Expired', 'Withdrawn', 'other']);
  });
});
