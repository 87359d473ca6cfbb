import { createHash } from 'node:crypto';
import { canonicalize, hashParams, sha256Hex } from '@handshake/protocol';
import { do_not_optimize } from 'mitata';
import { paypalBodies } from '../lib/bodies.js';
import { interleave, time } from '../lib/measure.js';
import { bytes, duration, printTable, times } from '../lib/report.js';
import { minMedian, ratioText, recordTarget } from '../lib/targets.js';

/**
 * (1) The params hash: RFC 8785 canonical JSON + SHA-256 (`hashParams`), against the
 * seed's `JSON.stringify` + `node:crypto` SHA-256, which is wrong (key order changes
 * the hash) but is the floor.
 */
export async function canonicalSuite(): Promise<void> {
  // The targets first, the seed and hashParams in alternation (CPU time per call): the
  // tables below leave the heap and the compiled code in a state that slows both sides.
  for (const body of paypalBodies().filter((b) => b.label === '1 KB' || b.label === '64 KB')) {
    const p = body.parameters;
    const runs = interleave({
      seed: () => do_not_optimize(createHash('sha256').update(JSON.stringify(p)).digest('hex')),
      ours: () => do_not_optimize(hashParams(p)),
    });
    const seed = minMedian(runs.seed!);
    const ours = minMedian(runs.ours!);
    const ratios = runs.ours!.map((value, i) => value / runs.seed![i]!);
    recordTarget({
      measure: `hashParams at ${body.label} (${bytes(body.bytes)})`,
      baseline: `JSON.stringify + node:crypto SHA-256: ${duration(seed.min)} / ${duration(seed.median)}`,
      ours: `${duration(ours.min)} / ${duration(ours.median)}`,
      ratio: ratioText(ratios),
      target: '≤ 2×',
      met: minMedian(ratios).median <= 2,
    });
  }
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
