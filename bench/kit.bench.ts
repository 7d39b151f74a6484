/**
 * The kit calls on MySQL through real signed HTTP (issue 2 §7): full department syncs against a raw
 * mysql2 upsert of the same rows, 500-user authSync latency, and singleOrgSync throughput against a
 * bare koa route. The server runs in a child process (bench/lib.ts).
 */
import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { bareKoaBaseline, expectSuccess, load, startKoobridgeProcess, throughputRow, timed, type KoobridgeProcess } from './lib.js';
import * as fx from '../test/helpers/fixtures.js';
import { departmentTree } from '../test/helpers/departmentTree.js';
import type { BenchModule, BenchRow } from './types.js';

const SYNC_TARGET = 3; // full sync within 3x the raw upsert
const AUTH_P95_MS = 50;
const THROUGHPUT_SHARE = 0.25;
const RAW_CHUNK_ROWS = 1_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** The raw baseline: the same rows, multi-row INSERT … ON DUPLICATE KEY UPDATE in one transaction. */
async function rawUpsert(db: mysql.Connection, table: string, rows: unknown[][]): Promise<number> {
  const sql =
    `INSERT INTO ${table} (instance_id, tenant_id, org_code, org_name, parent_code, deleted, test_flag, source_ts, created_at) VALUES ? ` +
    'ON DUPLICATE KEY UPDATE org_name = VALUES(org_name), parent_code = VALUES(parent_code), deleted = VALUES(deleted), ' +
    'test_flag = VALUES(test_flag), source_ts = VALUES(source_ts)';
  const { ms } = await timed(async () => {
    await db.beginTransaction();
    for (let i = 0; i < rows.length; i += RAW_CHUNK_ROWS) await db.query(sql, [rows.slice(i, i + RAW_CHUNK_ROWS)]);
    await db.commit();
  });
  return ms;
}

async function countRows(db: mysql.Connection, sql: string, params: unknown[]): Promise<number> {
  const [rows] = await db.query(sql, params);
  return Number((rows as { n: number }[])[0]!.n);
}

async function fullSync(kb: KoobridgeProcess, db: mysql.Connection, n: number, runs: number): Promise<BenchRow[]> {
  const first: number[] = [];
  const replay: number[] = [];
  const rawFirst: number[] = [];
  const rawReplay: number[] = [];
  const label = n.toLocaleString('en-US');
  for (let run = 0; run < runs; run++) {
    const tenantId = `bench-all-${n}-${run}`;
    expectSuccess(await kb.kit('tenantSync', fx.tenantSync({ tenantId })));
    const depts = departmentTree(n, `T${run}-`);
    const body = JSON.stringify(fx.allOrgSync(depts, { tenantId }));
    first.push((await timed(async () => expectSuccess(await kb.kit('allOrgSync', body)))).ms);
    replay.push((await timed(async () => expectSuccess(await kb.kit('allOrgSync', body)))).ms);
    const live = await countRows(db, 'SELECT COUNT(*) AS n FROM departments WHERE tenant_id = ? AND deleted = 0', [tenantId]);
    if (live !== n) throw new Error(`allOrgSync of ${n}: ${live} live departments stored`);

    const ts = JSON.parse(body).timeStamp;
    const rows = depts.map((d) => [fx.INSTANCE, tenantId, d.orgCode, d.orgName, d.parentCode || null, 0, 0, ts, Date.now()]);
    await db.query('DROP TABLE IF EXISTS raw_departments');
    await db.query('CREATE TABLE raw_departments LIKE departments');
    rawFirst.push(await rawUpsert(db, 'raw_departments', rows));
    rawReplay.push(await rawUpsert(db, 'raw_departments', rows));
  }
  const row = (what: string, ms: number[], raw: number[]): BenchRow => {
    const value = median(ms);
    const baseline = median(raw);
    return {
      scenario: `allOrgSync ${label} depts, ${what}`,
      unit: 'ms',
      value,
      baseline: { name: 'raw mysql2 upsert', value: baseline },
      target: `<= ${SYNC_TARGET}x baseline`,
      pass: value <= SYNC_TARGET * baseline,
      note: runs > 1 ? `median of ${runs} runs (${ms.map((m) => m.toFixed(0)).join(', ')} ms)` : undefined,
    };
  };
  return [row('first time', first, rawFirst), row('replay', replay, rawReplay)];
}

async function authSyncLatency(kb: KoobridgeProcess, db: mysql.Connection, calls: number, perCall: number): Promise<BenchRow[]> {
  const tenantId = 'bench-auth';
  expectSuccess(await kb.kit('tenantSync', fx.tenantSync({ tenantId })));
  expectSuccess(await kb.kit('applicationSync', fx.applicationSync(kb.encryptClientSecret('bench-client-secret'), { tenantId })));
  const warmup = 10;
  const bodies = Array.from({ length: warmup + 2 * calls }, (_, c) =>
    JSON.stringify(fx.authSync(Array.from({ length: perCall }, (_, j) => fx.user(`u${c}x${j}`, { email: `u${c}x${j}@example.com` })), { tenantId })),
  );
  let next = 0;
  const fire = async () => expectSuccess(await kb.kit('authSync', bodies[next++]!));
  const measure = async () => {
    const r = await load({ concurrency: 1, count: calls, fire });
    if (r.errors) throw new Error(`authSync: ${r.errors} calls failed (${r.firstError})`);
    return r;
  };
  await load({ concurrency: 1, count: warmup, fire });
  const fresh = await measure();
  // The same again once MySQL's index statistics describe the grown tables (as they do in a
  // long-running deployment), to tell a query-plan effect from the cost of the call itself.
  await db.query('ANALYZE TABLE users, user_apps');
  const warm = await measure();
  const stored = await countRows(db, "SELECT COUNT(*) AS n FROM user_apps WHERE tenant_id = ? AND state = 'authorized'", [tenantId]);
  if (stored !== next * perCall) throw new Error(`authSync: ${stored} authorizations stored, expected ${next * perCall}`);
  const scenario = `authSync ${perCall} users x ${calls} calls (sequential)`;
  return [
    { scenario: `${scenario}, p50`, unit: 'ms', value: fresh.p50 },
    { scenario: `${scenario}, p95`, unit: 'ms', value: fresh.p95, target: `p95 <= ${AUTH_P95_MS} ms`, pass: fresh.p95 <= AUTH_P95_MS, note: `p99 ${fresh.p99.toFixed(1)} ms; fresh schema, directory grows to ${((warmup + calls) * perCall).toLocaleString('en-US')} users` },
    { scenario: `${scenario} after ANALYZE TABLE, p50`, unit: 'ms', value: warm.p50, note: 'informational: same call, index statistics up to date' },
    { scenario: `${scenario} after ANALYZE TABLE, p95`, unit: 'ms', value: warm.p95, note: `informational; p99 ${warm.p99.toFixed(1)} ms` },
  ];
}

/**
 * What MySQL alone allows: the round trips one singleOrgSync makes (BEGIN, nonce insert, three key
 * lookups, an upsert, an audit insert, COMMIT), sent by mysql2 over a pool as large as koobridge's,
 * on scratch tables, with no HTTP and no koobridge code.
 */
async function mysqlCeiling(databaseUrl: string, concurrency: number, durationMs: number): Promise<number> {
  const { mysqlPoolMax } = JSON.parse(readFileSync(new URL('../config/default.json', import.meta.url), 'utf8'));
  const pool = mysql.createPool({ uri: databaseUrl, connectionLimit: mysqlPoolMax });
  await pool.query('CREATE TABLE ceiling_nonce (k VARCHAR(128) PRIMARY KEY, at BIGINT NOT NULL)');
  await pool.query('CREATE TABLE ceiling_row (k VARCHAR(64) PRIMARY KEY, v VARCHAR(128) NOT NULL, ts CHAR(17) NOT NULL)');
  await pool.query('CREATE TABLE ceiling_log (id BIGINT AUTO_INCREMENT PRIMARY KEY, at BIGINT NOT NULL, msg VARCHAR(255) NOT NULL)');
  let i = 0;
  const fire = async () => {
    const k = `k${i++}`;
    const c = await pool.getConnection();
    try {
      await c.beginTransaction();
      await c.query('INSERT INTO ceiling_nonce VALUES (?, ?)', [k, Date.now()]);
      for (let q = 0; q < 3; q++) await c.query('SELECT ts FROM ceiling_row WHERE k = ?', [k]);
      await c.query('INSERT INTO ceiling_row VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v), ts = VALUES(ts)', [k, `Dept ${k}`, fx.later()]);
      await c.query('INSERT INTO ceiling_log (at, msg) VALUES (?, ?)', [Date.now(), 'Success']);
      await c.commit();
    } finally {
      c.release();
    }
  };
  try {
    const r = await load({ concurrency, durationMs, warmupMs: Math.min(2000, durationMs / 2), fire });
    if (r.errors) throw new Error(`mysql ceiling: ${r.errors} errors (${r.firstError})`);
    return r.rps;
  } finally {
    await pool.query('DROP TABLE ceiling_nonce, ceiling_row, ceiling_log');
    await pool.end();
  }
}

async function singleOrgThroughput(kb: KoobridgeProcess, concurrency: number, durationMs: number): Promise<BenchRow[]> {
  const tenantId = 'bench-single';
  const parents = departmentTree(100, 'S-');
  expectSuccess(await kb.kit('tenantSync', fx.tenantSync({ tenantId })));
  expectSuccess(await kb.kit('allOrgSync', fx.allOrgSync(parents, { tenantId })));
  let i = 0;
  // Each request is a new department under an existing one, freshly signed (new nonce) by kb.kit.
  const fire = async () => {
    const n = i++;
    return expectSuccess(await kb.kit('singleOrgSync', fx.singleOrgSync(`N${n}`, parents[n % parents.length]!.orgCode, { tenantId })));
  };
  const r = await load({ concurrency, durationMs, warmupMs: Math.min(2000, durationMs / 2), fire });
  if (r.errors) throw new Error(`singleOrgSync: ${r.errors} calls failed (${r.firstError})`);
  const bare = await bareKoaBaseline(concurrency, durationMs);
  const ceiling = await mysqlCeiling(kb.databaseUrl, concurrency, durationMs);
  return [
    throughputRow(`singleOrgSync signed, concurrency ${concurrency}`, r, bare, THROUGHPUT_SHARE),
    {
      scenario: `singleOrgSync signed vs its MySQL round trips alone, c ${concurrency}`,
      unit: 'req/s',
      value: r.rps,
      baseline: { name: 'raw mysql2, same statements', value: ceiling },
      note: `informational: what MySQL allows for one durable transaction per call here, ${((100 * ceiling) / bare).toFixed(0)}% of the bare koa route`,
    },
  ];
}

const kit: BenchModule = {
  name: 'kit',
  async run({ mysqlUrl, quick }) {
    const kb = await startKoobridgeProcess(mysqlUrl);
    const db = await mysql.createConnection({ uri: kb.databaseUrl });
    try {
      const rows: BenchRow[] = [];
      for (const n of quick ? [10_000] : [10_000, 100_000]) rows.push(...(await fullSync(kb, db, n, quick ? 1 : 3)));
      rows.push(...(await authSyncLatency(kb, db, quick ? 20 : 200, 500)));
      rows.push(...(await singleOrgThroughput(kb, 32, quick ? 2_000 : 10_000)));
      return rows;
    } finally {
      await db.end();
      await kb.stop();
    }
  },
};

export default kit;
