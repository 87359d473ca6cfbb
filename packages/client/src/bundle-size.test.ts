// What the client costs a browser stays under a stated ceiling, and none of it is the
// service: the figures and how to reproduce them are in docs/performance.md.

import { describe, expect, it } from 'vitest';
import { measureClientBundle } from '../test/bundle-size.js';

// Measured at 580 259 B raw and 137 064 B gzipped; the ceilings leave room for small
// changes and catch a new dependency or the engine creeping back in.
const CEILING = { raw: 620_000, gzip: 147_000 };

describe('the client in a browser bundle', () => {
  it('stays under its size ceiling and carries nothing of @handshake/core', async () => {
    const size = await measureClientBundle();
    expect(size.raw).toBeLessThan(CEILING.raw);
    expect(size.gzip).toBeLessThan(CEILING.gzip);
    const names = size.packages.map(([name]) => name);
    expect(names).toContain('@handshake/protocol');
    expect(names).not.toContain('@handshake/core');
    expect(names).not.toContain('jose');
  }, 60_000);
});
