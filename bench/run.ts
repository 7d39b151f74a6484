/**
 * `npm run bench [-- --quick] [-- --only <name>]`: runs every bench/*.bench.ts against MySQL
 * (TEST_MYSQL_URL), prints one table, and writes bench/results/<timestamp>.json and latest.json.
 */
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { defaultMysqlUrl } from '../test/helpers/database.js';
import { benchDir, formatTable, writeJson } from './lib.js';
import type { BenchModule, BenchRow } from './types.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});

async function mysqlVersion(url: string): Promise<string> {
  try {
    const c = await mysql.createConnection({ uri: url, connectTimeout: 5000 });
    const [rows] = await c.query('SELECT VERSION() AS v');
    await c.end();
    return (rows as { v: string }[])[0]!.v;
  } catch (err) {
    console.error(`MySQL does not answer at ${url} (${(err as Error).message}).`);
    console.error('The benchmarks need MySQL: start it, or set TEST_MYSQL_URL=mysql://user:pass@host:port/database.');
    process.exit(2);
  }
}

async function modules(only: string | undefined): Promise<BenchModule[]> {
  const files = readdirSync(benchDir).filter((f) => f.endsWith('.bench.ts')).sort();
  const all = await Promise.all(files.map(async (f) => ({ file: f.replace(/\.bench\.ts$/, ''), mod: (await import(pathToFileURL(`${benchDir}/${f}`).href)).default as BenchModule })));
  const chosen = only ? all.filter((m) => m.file === only || m.mod.name === only) : all;
  if (chosen.length === 0) {
    console.error(`No benchmark named "${only}". Known: ${all.map((m) => m.file).join(', ')}`);
    process.exit(2);
  }
  return chosen.map((m) => m.mod);
}

const mysqlUrl = defaultMysqlUrl();
const version = await mysqlVersion(mysqlUrl);
const startedAt = new Date();
console.log(`koobridge benchmarks${args.quick ? ' (quick)' : ''}: node ${process.version}, ${cpus().length} CPUs, MySQL ${version} at ${new URL(mysqlUrl).host}\n`);

const rows: (BenchRow & { module: string })[] = [];
let failures = 0;
for (const mod of await modules(args.only)) {
  const t0 = Date.now();
  console.log(`running ${mod.name}…`);
  try {
    for (const row of await mod.run({ mysqlUrl, quick: args.quick })) rows.push({ module: mod.name, ...row });
    console.log(`  ${mod.name} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (err) {
    failures++;
    console.error(err);
    rows.push({ module: mod.name, scenario: `${mod.name}: did not finish`, unit: '', value: NaN, pass: false, note: (err as Error).message });
  }
}

console.log(`\n${formatTable(rows)}\n`);
const judged = rows.filter((r) => r.pass !== undefined);
console.log(`${judged.filter((r) => r.pass).length} of ${judged.length} targets met.`);

const result = {
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  quick: args.quick,
  only: args.only ?? null,
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  mysql: version,
  rows,
};
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
writeJson(`${benchDir}/results/${stamp}.json`, result);
writeJson(`${benchDir}/results/latest.json`, result);
console.log(`wrote bench/results/${stamp}.json and bench/results/latest.json`);
if (failures) process.exit(1);
