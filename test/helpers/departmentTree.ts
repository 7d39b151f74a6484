import { dept } from './fixtures.js';

/** Deterministic PRNG (mulberry32), so every run syncs the same tree. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['研发部', '市场部', 'Sales', '财务部', 'Support', '人力资源部', 'Operations', '法务部'];

/**
 * A department tree of n nodes: one root, fan-out around 6 (depth about log6 n, 7 levels at
 * 100,000), listed top-down except that about 10% of entries are swapped with a random other
 * entry, so some children precede their parents. Used by tests and benchmarks.
 */
export function departmentTree(n: number, prefix: string) {
  const rnd = random(n);
  const code = (i: number) => `${prefix}${String(i).padStart(7, '0')}`;
  const list = Array.from({ length: n }, (_, i) =>
    dept(code(i), i === 0 ? null : code(Math.min(i - 1, Math.floor(((i - 1) / 6) * (0.5 + rnd())))), `${NAMES[i % NAMES.length]} ${i}`),
  );
  for (let k = 0; k < n / 10; k++) {
    const a = Math.floor(rnd() * n);
    const b = Math.floor(rnd() * n);
    [list[a], list[b]] = [list[b]!, list[a]!];
  }
  return list;
}
