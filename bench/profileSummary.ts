/**
 * `npx tsx bench/profileSummary.ts <file.cpuprofile> [top]`: where a V8 CPU profile (as
 * BENCH_CPU_PROF=<dir> makes of each server under test) spends its time: the functions with the
 * most self time, the same summed per file or package (a hot spot in knex or zod shows as one
 * line), and our own functions by total time (their callees included), to see which step costs.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: npx tsx bench/profileSummary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const selfMs = new Map<number, number>();
profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
const total = [...selfMs.values()].reduce((a, b) => a + b, 0);

/** node_modules/<package> for library code, the path below the repository for ours. */
function place(url: string): string {
  if (!url) return '(native)';
  const lib = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (lib) return lib[1]!;
  return url.replace(/^file:\/\//, '').replace(/^.*?\/(src|bench|test)\//, '$1/');
}

function tally(key: (n: ProfileNode) => string): [string, number][] {
  const sums = new Map<string, number>();
  for (const n of profile.nodes) {
    const ms = selfMs.get(n.id);
    if (ms) sums.set(key(n), (sums.get(key(n)) ?? 0) + ms);
  }
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, top);
}

const print = (title: string, rows: [string, number][]) => {
  console.log(`\n${title}`);
  for (const [name, ms] of rows) console.log(`${ms.toFixed(0).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${name}`);
};

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const fnKey = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}  ${place(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

/** Total time of our own functions: each sample counts once for every distinct function on its stack. */
function inclusiveOurs(): [string, number][] {
  const sums = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const seen = new Set<string>();
    for (let n = byId.get(id); n; n = byId.get(parent.get(n.id) ?? -1)) {
      if (!/\/(src|bench)\//.test(n.callFrame.url) || /node_modules/.test(n.callFrame.url)) continue;
      const k = fnKey(n);
      if (seen.has(k)) continue;
      seen.add(k);
      sums.set(k, (sums.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    }
  });
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, top);
}

console.log(`${file}: ${total.toFixed(0)} ms sampled`);
print('self time by function', tally(fnKey));
print('self time by file or package', tally((n) => place(n.callFrame.url)));
print('total time of our functions (callees included)', inclusiveOurs());
