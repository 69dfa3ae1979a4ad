/**
 * Where a CPU profile's time went: self time per function (top N) and per file, from a
 * `.cpuprofile` (bench/cpu-profile.ts). Usage: node dist/bench/profile-summary.js <file> [N]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

const [file, top = '25'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
const files = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const n = byId.get(id)!;
  const f = n.callFrame;
  const short = f.url.replace(/^.*\/(node_modules|dist)\//, '$1/').replace(/^file:\/\//, '');
  const key = `${f.functionName || '(anonymous)'} ${short}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + dt);
  const where = short.startsWith('dist/')
    ? short.split('/').slice(0, 3).join('/')
    : short.startsWith('node_modules/')
      ? short.split('/').slice(0, 2).join('/')
      : short || f.functionName;
  files.set(where, (files.get(where) ?? 0) + dt);
  total += dt;
});
const pct = (v: number) => `${((100 * v) / total).toFixed(1)} %`;
const show = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${pct(v).padStart(7)}  ${k}`)
    .join('\n');
process.stdout.write(
  `total ${(total / 1e6).toFixed(2)} s sampled\n\nby function (self):\n${show(self, Number(top))}\n\nby area:\n${show(files, 20)}\n`,
);
