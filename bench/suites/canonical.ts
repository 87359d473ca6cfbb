import { createHash } from 'node:crypto';
import { canonicalize, hashParams, sha256Hex } from '@handshake/core';
import { do_not_optimize } from 'mitata';
import { paypalBodies } from '../lib/bodies.js';
import { time } from '../lib/measure.js';
import { bytes, duration, printTable, times } from '../lib/report.js';

/**
 * (1) The params hash: RFC 8785 canonical JSON + SHA-256 (`hashParams`), against the
 * seed's `JSON.stringify` + `node:crypto` SHA-256, which is wrong (key order changes
 * the hash) but is the floor.
 */
export async function canonicalSuite(): Promise<void> {
  const rows: string[][] = [];
  const parts: string[][] = [];
  for (const body of paypalBodies()) {
    const p = body.parameters;
    const seed = await time(() =>
      do_not_optimize(createHash('sha256').update(JSON.stringify(p)).digest('hex')),
    );
    const ours = await time(() => do_not_optimize(hashParams(p)));
    rows.push([
      `${body.label} (${bytes(body.bytes)}, ${body.tool})`,
      duration(seed.avg),
      duration(ours.avg),
      times(ours.avg / seed.avg),
      `${((body.bytes / ours.avg) * 1e3).toFixed(0)} MB/s`,
    ]);
    const text = canonicalize(p);
    const canon = await time(() => do_not_optimize(canonicalize(p)));
    const digest = await time(() => do_not_optimize(sha256Hex(text)));
    const stringify = await time(() => do_not_optimize(JSON.stringify(p)));
    parts.push([body.label, duration(stringify.avg), duration(canon.avg), duration(digest.avg)]);
  }
  printTable({
    title: '1. Params hash: canonicalize + hashParams vs JSON.stringify + node:crypto SHA-256',
    columns: [
      'parameters',
      'seed (stringify + node:crypto)',
      'hashParams',
      'ratio',
      'hashParams throughput',
    ],
    rows,
    notes: [
      'Mean time per call. Ratio = hashParams ÷ seed, measured in the same run. The seed',
      'is the floor, not an alternative: its hash changes with key order.',
    ],
  });
  printTable({
    title: '1b. Where hashParams spends it',
    columns: ['parameters', 'JSON.stringify', 'canonicalize', 'sha256Hex of the canonical text'],
    rows: parts,
  });
}
