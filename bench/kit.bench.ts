/**
 * The kit calls through real signed HTTP, on the store of the run: full department
 * syncs against their floor (a bare koa route reading and parsing the same body, plus a raw-driver
 * upsert of the same rows), 500-user authSync latency, and singleOrgSync throughput against the raw
 * driver's minimum durable call. The servers run in child processes (bench/lib.ts).
 */
import mysql from 'mysql2/promise';
import { bareKoaBaseline, expectSuccess, load, median, startBareKoaProcess, startKoobridgeProcess, throughputRow, timed, warmupFor, type BareKoaProcess, type KoobridgeProcess } from './lib.js';
import { openRawStore, type RawStore } from './rawStore.js';
import * as fx from '../test/helpers/fixtures.js';
import { departmentTree } from '../test/helpers/departmentTree.js';
import type { BenchModule, BenchRow } from './types.js';

const FIRST_SYNC_TARGET = 1.5; // a first full sync within 1.5x its floor
const REPLAY_TARGET = 0.75; // a replay writes nothing, so it beats the floor that rewrites
const AUTH_P95_MS = 30;
const THROUGHPUT_SHARE = 0.5; // of the raw driver's durable calls

const msList = (xs: number[]) => xs.map((m) => m.toFixed(0)).join(', ');

/** One run's times: koobridge's call, the bare route's reading of the body, the raw upsert. */
interface SyncRun {
  koobridge: number;
  bare: number;
  raw: number;
}

function syncRow(scenario: string, runs: SyncRun[], share: number): BenchRow {
  const value = median(runs.map((r) => r.koobridge));
  const floor = median(runs.map((r) => r.bare + r.raw));
  const parts = `floor = bare koa read+parse ${median(runs.map((r) => r.bare)).toFixed(0)} ms + raw upsert ${median(runs.map((r) => r.raw)).toFixed(0)} ms`;
  return {
    scenario,
    unit: 'ms',
    value,
    baseline: { name: 'floor', value: floor },
    target: `<= ${share}x floor`,
    pass: value <= share * floor,
    note: `${runs.length > 1 ? `${parts} (medians); median of ${runs.length} runs (${msList(runs.map((r) => r.koobridge))} ms)` : parts}, after a warm-up run`,
  };
}

/** Runs per size: a 10,000-department sync takes a tenth of a second, and a median of five is steadier on a shared machine. */
export const fullSyncRuns = (n: number, quick: boolean) => (quick ? 1 : n < 100_000 ? 5 : 3);

/** What a full-sync measurement is held to, and what it checks after each sync (say, the events it wrote). */
export interface FullSyncTargets {
  first: number;
  replay: number;
  /** Words added to the scenario's name. */
  label?: string;
  afterSync?: (tenantId: string, n: number, replay: boolean) => Promise<void>;
}

/**
 * Full syncs of n departments, first time and replay, each against the floor measured right after
 * it. "First time" is the tenant's first sync, not the process's: one sync of the size, its replay
 * and the floor's parts run unmeasured first, so that no measured run pays for compiling the code
 * on its path (a cold 10,000-department sync takes about twice as long as a warm one).
 */
export async function fullSync(kb: KoobridgeProcess, raw: RawStore, bare: BareKoaProcess, n: number, runs: number, targets: FullSyncTargets = { first: FIRST_SYNC_TARGET, replay: REPLAY_TARGET }): Promise<BenchRow[]> {
  const first: SyncRun[] = [];
  const replay: SyncRun[] = [];
  for (let run = -1; run < runs; run++) {
    const tenantId = `bench-all-${n}-${run < 0 ? 'warmup' : run}`;
    expectSuccess(await kb.kit('tenantSync', fx.tenantSync({ tenantId })));
    const depts = departmentTree(n, `T${run}-`);
    const body = JSON.stringify(fx.allOrgSync(depts, { tenantId }));
    const sync = async () => (await timed(async () => expectSuccess(await kb.kit('allOrgSync', body)))).ms;
    const koobridgeFirst = await sync();
    await targets.afterSync?.(tenantId, n, false);
    const koobridgeReplay = await sync();
    await targets.afterSync?.(tenantId, n, true);
    const live = await raw.count('SELECT COUNT(*) AS n FROM departments WHERE tenant_id = ? AND deleted = 0', [tenantId]);
    if (live !== n) throw new Error(`allOrgSync of ${n}: ${live} live departments stored`);

    const ts = JSON.parse(body).timeStamp;
    const rows = depts.map((d) => [fx.INSTANCE, tenantId, d.orgCode, d.orgName, d.parentCode || null, 0, 0, ts, Date.now()]);
    const bareMs = async () => (await timed(() => bare.post(body))).ms;
    await raw.copyTables(['departments']);
    const firstRun = { koobridge: koobridgeFirst, bare: await bareMs(), raw: await raw.upsertDepartments(rows) };
    const replayRun = { koobridge: koobridgeReplay, bare: await bareMs(), raw: await raw.upsertDepartments(rows) };
    if (run < 0) continue;
    first.push(firstRun);
    replay.push(replayRun);
  }
  const label = `allOrgSync ${n.toLocaleString('en-US')} depts${targets.label ?? ''}`;
  return [syncRow(`${label}, first time`, first, targets.first), syncRow(`${label}, replay`, replay, targets.replay)];
}

async function authSyncLatency(kb: KoobridgeProcess, raw: RawStore, calls: number, perCall: number): Promise<BenchRow[]> {
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
  const scenario = `authSync ${perCall} users x ${calls} calls (sequential)`;
  const rows: BenchRow[] = [
    { scenario: `${scenario}, p50`, unit: 'ms', value: fresh.p50 },
    { scenario: `${scenario}, p95`, unit: 'ms', value: fresh.p95, target: `p95 <= ${AUTH_P95_MS} ms`, pass: fresh.p95 <= AUTH_P95_MS, note: `p99 ${fresh.p99.toFixed(1)} ms; fresh database, directory grows to ${((warmup + calls) * perCall).toLocaleString('en-US')} users` },
  ];
  // The same again once MySQL's index statistics describe the grown tables (as they do in a
  // long-running deployment), to tell a query-plan effect from the cost of the call itself. SQLite
  // plans without statistics unless ANALYZE ran, which koobridge never does: nothing drifts there.
  if (kb.database.store === 'mysql') {
    const db = await mysql.createConnection({ uri: kb.database.url });
    await db.query('ANALYZE TABLE users, user_apps');
    await db.end();
    const warm = await measure();
    rows.push(
      { scenario: `${scenario} after ANALYZE TABLE, p50`, unit: 'ms', value: warm.p50, note: 'informational: same call, index statistics up to date' },
      { scenario: `${scenario} after ANALYZE TABLE, p95`, unit: 'ms', value: warm.p95, note: `informational; p99 ${warm.p99.toFixed(1)} ms` },
    );
  }
  const stored = await raw.count("SELECT COUNT(*) AS n FROM user_apps WHERE tenant_id = ? AND state = 'authorized'", [tenantId]);
  if (stored !== next * perCall) throw new Error(`authSync: ${stored} authorizations stored, expected ${next * perCall}`);
  return rows;
}

async function singleOrgThroughput(kb: KoobridgeProcess, raw: RawStore, concurrency: number, durationMs: number): Promise<BenchRow[]> {
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
  const r = await load({ concurrency, durationMs, warmupMs: warmupFor(durationMs), fire });
  if (r.errors) throw new Error(`singleOrgSync: ${r.errors} calls failed (${r.firstError})`);
  const durable = await raw.durableCalls(durationMs);
  const bare = await bareKoaBaseline(concurrency, durationMs);
  const scenario = `singleOrgSync signed, concurrency ${concurrency}`;
  return [throughputRow(scenario, r, { name: raw.name, value: durable.rps }, THROUGHPUT_SHARE), throughputRow(`${scenario}, vs the bare koa route`, r, bare)];
}

const kit: BenchModule = {
  name: 'kit',
  async run(ctx) {
    const kb = await startKoobridgeProcess(ctx);
    const raw = await openRawStore(kb.database);
    const bare = await startBareKoaProcess(1);
    try {
      const rows: BenchRow[] = [];
      for (const n of ctx.quick ? [10_000] : [10_000, 100_000]) rows.push(...(await fullSync(kb, raw, bare, n, fullSyncRuns(n, ctx.quick))));
      rows.push(...(await authSyncLatency(kb, raw, ctx.quick ? 20 : 200, 500)));
      rows.push(...(await singleOrgThroughput(kb, raw, 32, ctx.quick ? 2_000 : 10_000)));
      return rows;
    } finally {
      await bare.stop();
      await raw.close();
      await kb.stop();
    }
  },
};

export default kit;
