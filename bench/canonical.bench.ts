/**
 * The Java demo's form of a large body (tried when a signature does not match the raw bytes), in
 * process: a 100,000-department allOrgSync, compact and indented, against JSON.parse of the same
 * bytes, which every call pays anyway. The note gives JSON.parse + JSON.stringify as well, what a
 * form made from the parsed body would cost. The same on every store: measured once, on SQLite's run.
 */
import { canonicalPayload } from '../src/marketplace/canonicalJson.js';
import * as fx from '../test/helpers/fixtures.js';
import { departmentTree } from '../test/helpers/departmentTree.js';
import { median } from './lib.js';
import type { BenchModule, BenchRow } from './types.js';

const TARGET = 1; // at most the cost of the JSON.parse that follows it

function msOf(runs: number, step: () => unknown): number {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function row(label: string, raw: Buffer, runs: number): BenchRow {
  const text = () => raw.toString('utf8');
  msOf(2, () => canonicalPayload(raw, 'kit')); // warm-up
  const form = msOf(runs, () => canonicalPayload(raw, 'kit'));
  const parse = msOf(runs, () => JSON.parse(text()));
  const parseAndWrite = msOf(runs, () => JSON.stringify(JSON.parse(text())));
  return {
    scenario: `Java demo form of ${label} (${(raw.length / 1e6).toFixed(1)} MB)`,
    unit: 'ms',
    value: form,
    baseline: { name: 'JSON.parse', value: parse },
    target: `<= ${TARGET}x JSON.parse`,
    pass: form <= TARGET * parse,
    note: `JSON.parse + JSON.stringify ${parseAndWrite.toFixed(0)} ms; medians of ${runs} runs`,
  };
}

const canonical: BenchModule = {
  name: 'canonical',
  async run(ctx) {
    if (ctx.store !== 'sqlite') return [];
    const body = fx.allOrgSync(departmentTree(100_000, 'C-'), { tenantId: 'bench-canonical' });
    const runs = ctx.quick ? 3 : 9;
    return [
      row('allOrgSync 100,000 depts, compact', Buffer.from(JSON.stringify(body)), runs),
      row('allOrgSync 100,000 depts, indented', Buffer.from(JSON.stringify(body, null, 2)), runs),
    ];
  },
};

export default canonical;
