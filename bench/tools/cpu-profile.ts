/**
 * Summarises a V8 `.cpuprofile` (from `npm run bench -- --cpu-prof DIR`): the functions with the
 * most self time, and the most inclusive time, so a bottleneck can be named without a GUI.
 * Usage: node bench/tools/cpu-profile.ts FILE [--top N]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/tools/cpu-profile.ts FILE [--top N]\n');
  process.exit(2);
}
const top = rest[0] === '--top' ? Number(rest[1]) : 30;
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const label = (n: Node) => {
  const f = n.callFrame;
  const where = f.url
    ? `${f.url.replace(/^.*\/(node_modules|src)\//, '$1/').replace(/^file:\/\//, '')}:${f.lineNumber + 1}`
    : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
};

const self = new Map<string, number>();
const incl = new Map<string, number>();
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
  const dt = p.timeDeltas[i] ?? 0;
  total += dt;
  let node = byId.get(p.samples[i]);
  if (!node) continue;
  const l = label(node);
  self.set(l, (self.get(l) ?? 0) + dt);
  const seen = new Set<string>();
  while (node) {
    const k = label(node);
    if (!seen.has(k)) {
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
    }
    const pid = parent.get(node.id);
    node = pid === undefined ? undefined : byId.get(pid);
  }
}

const print = (title: string, m: Map<string, number>) => {
  process.stdout.write(`\n${title} (of ${(total / 1e6).toFixed(1)} s sampled)\n`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(
      `${((100 * v) / total).toFixed(1).padStart(5)} %  ${(v / 1e3).toFixed(0).padStart(7)} ms  ${k}\n`,
    );
  }
};
print('self time', self);
print('inclusive time', incl);
