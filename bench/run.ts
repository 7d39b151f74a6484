/**
 * `npm run bench [-- --quick] [-- --only <name>] [-- --store sqlite|mysql]`: runs every
 * bench/*.bench.ts on each store (SQLite always, MySQL at TEST_MYSQL_URL when it answers), prints
 * one table, and writes bench/results/<timestamp>.json and latest.json.
 */
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { defaultMysqlUrl } from '../test/helpers/database.js';
import { benchDir, formatTable, writeJson } from './lib.js';
import { sqliteVersion } from './rawStore.js';
import type { BenchModule, ResultRow, Store } from './types.js';

const STORES: Store[] = ['sqlite', 'mysql'];

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    store: { type: 'string' },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** MySQL's version, or undefined (and why) when it does not answer. */
async function mysqlVersion(url: string): Promise<{ version?: string; error?: string }> {
  try {
    const c = await mysql.createConnection({ uri: url, connectTimeout: 5000 });
    const [rows] = await c.query('SELECT VERSION() AS v');
    await c.end();
    return { version: (rows as { v: string }[])[0]!.v };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** The stores to run: the one asked for, else SQLite and, when it answers, MySQL. */
async function chooseStores(url: string): Promise<{ stores: Store[]; mysql?: string }> {
  const asked = args.store as Store | undefined;
  if (asked && !STORES.includes(asked)) fail(`--store takes ${STORES.join(' or ')}, not "${asked}".`);
  if (asked === 'sqlite') return { stores: ['sqlite'] };
  const { version, error } = await mysqlVersion(url);
  if (version) return { stores: asked ? ['mysql'] : STORES, mysql: version };
  const why = `MySQL does not answer at ${url} (${error}); start it, or set TEST_MYSQL_URL=mysql://user:pass@host:port/database.`;
  if (asked) fail(why);
  console.log(`${why}\nRunning on SQLite only.\n`);
  return { stores: ['sqlite'] };
}

async function modules(only: string | undefined): Promise<BenchModule[]> {
  const files = readdirSync(benchDir).filter((f) => f.endsWith('.bench.ts')).sort();
  const all = await Promise.all(files.map(async (f) => ({ file: f.replace(/\.bench\.ts$/, ''), mod: (await import(pathToFileURL(`${benchDir}/${f}`).href)).default as BenchModule })));
  const chosen = only ? all.filter((m) => m.file === only || m.mod.name === only) : all;
  if (chosen.length === 0) fail(`No benchmark named "${only}". Known: ${all.map((m) => m.file).join(', ')}`);
  return chosen.map((m) => m.mod);
}

const mysqlUrl = defaultMysqlUrl();
const { stores, mysql: mysqlServer } = await chooseStores(mysqlUrl);
const sqlite = sqliteVersion();
const chosen = await modules(args.only);
const startedAt = new Date();
const mysqlSummary = mysqlServer ? `MySQL ${mysqlServer} at ${new URL(mysqlUrl).host}` : 'no MySQL';
console.log(`koobridge benchmarks${args.quick ? ' (quick)' : ''}: node ${process.version}, ${cpus().length} CPUs, SQLite ${sqlite}, ${mysqlSummary}; stores: ${stores.join(', ')}\n`);

const rows: ResultRow[] = [];
let failures = 0;
for (const store of stores) {
  for (const mod of chosen) {
    const t0 = Date.now();
    console.log(`running ${mod.name} on ${store}…`);
    try {
      for (const row of await mod.run({ store, mysqlUrl, quick: args.quick })) rows.push({ module: mod.name, store, ...row });
      console.log(`  ${mod.name} on ${store} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      failures++;
      console.error(err);
      rows.push({ module: mod.name, store, scenario: `${mod.name}: did not finish`, unit: '', value: NaN, pass: false, note: (err as Error).message });
    }
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
  stores,
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  sqlite,
  mysql: mysqlServer ?? null,
  rows,
};
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
writeJson(`${benchDir}/results/${stamp}.json`, result);
writeJson(`${benchDir}/results/latest.json`, result);
console.log(`wrote bench/results/${stamp}.json and bench/results/latest.json`);
if (failures) process.exit(1);
