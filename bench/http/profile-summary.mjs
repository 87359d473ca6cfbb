// Summarizes a V8 .cpuprofile: self time by function and by file, heaviest first.
// node bench/http/profile-summary.mjs <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';

const [file, topText] = process.argv.slice(2);
const top = Number(topText ?? 40);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const deltas = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i += 1) {
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (deltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFunction = new Map();
const byFile = new Map();
for (const [id, time] of self) {
  const { callFrame } = byId.get(id);
  const where = callFrame.url.replace(/^.*\/(node_modules\/(?:\.pnpm\/)?)?/, '') || '(native)';
  const shortFile = callFrame.url
    ? callFrame.url
        .replace(/^file:\/\/\/work\/main\//, '')
        .replace(/node_modules\/\.pnpm\/[^/]+\/node_modules\//, 'npm:')
    : `(${callFrame.functionName || 'native'})`;
  const name = `${callFrame.functionName || '(anonymous)'}  ${shortFile}:${callFrame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + time);
  byFile.set(shortFile, (byFile.get(shortFile) ?? 0) + time);
  void where;
}
const show = (title, map) => {
  console.log(`\n${title}`);
  for (const [name, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((time / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
};
// Inclusive time: each sample counts once for every distinct function on its stack.
const parent = new Map();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parent.set(child, node.id);
const label = (id) => {
  const { callFrame } = byId.get(id);
  const shortFile = callFrame.url
    .replace(/^file:\/\/\/work\/main\//, '')
    .replace(/node_modules\/\.pnpm\/[^/]+\/node_modules\//, 'npm:');
  return `${callFrame.functionName || '(anonymous)'}  ${shortFile}:${callFrame.lineNumber + 1}`;
};
const inclusive = new Map();
for (const [id, time] of self) {
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const name = label(at);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + time);
  }
}
show('self time by function', byFunction);
show('inclusive time by function', inclusive);
show('self time by file', byFile);
