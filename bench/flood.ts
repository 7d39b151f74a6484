/**
 * `npx tsx bench/flood.ts [--checkout DIR] [--label NAME] [--out FILE] [--keep]`: what unauthenticated
 * floods do to a koobridge server (metric series, memory under large bodies, audit rows, login
 * states). Black box on purpose: it starts `<checkout>/src/main.ts` on SQLite in a child process,
 * talks only HTTP and reads the SQLite file read-only, and imports nothing from src/ or test/, so the
 * same script measures an older checkout (git worktree) for a before/after comparison.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { constants, createHmac, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool, type Dispatcher } from 'undici';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = dirname(benchDir);
const require = createRequire(import.meta.url);
// This project has no @types/better-sqlite3: the little used here is typed by hand.
type Sqlite = { prepare(sql: string): { get(): unknown; all(): unknown[] }; close(): void };
const Database = require('better-sqlite3') as new (file: string, o: { readonly: boolean; fileMustExist: boolean }) => Sqlite;

const { values: args } = parseArgs({
  options: { checkout: { type: 'string' }, label: { type: 'string', default: 'current' }, out: { type: 'string' }, keep: { type: 'boolean', default: false } },
});
const checkout = resolve(args.checkout ?? repoRoot);
const outFile = resolve(args.out ?? `${benchDir}/results/flood-${args.label}.json`);

// Fixed keys for this run (the server must not generate its own: we sign kit calls and read /metrics).
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
const KEYS = {
  KIT_ACCESS_KEY: `kit-${randomBytes(16).toString('hex')}`,
  BASIC_ACCESS_KEY: `basic-${randomBytes(16).toString('hex')}`,
  API_TOKEN: `api-${randomBytes(16).toString('hex')}`,
  DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  RSA_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
};
const BASE = '/koogallery/produceAPI/v2';

interface Row { scenario: string; value: number | string; unit: string }
const rows: Row[] = [];
const details: Record<string, unknown> = {};
const row = (scenario: string, value: number | string, unit = '') => rows.push({ scenario, value, unit });

// ---------------------------------------------------------------- the server under test

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

if (!existsSync(join(checkout, 'node_modules'))) {
  symlinkSync(join(repoRoot, 'node_modules'), join(checkout, 'node_modules'), 'dir');
  console.log(`${checkout}/node_modules was missing: symlinked it to ${repoRoot}/node_modules`);
}
// This project's tsx loader by absolute URL, so it resolves whatever the checkout has installed.
const tsxLoader = pathToFileURL(require.resolve('tsx')).href;
const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), 'koobridge-flood-'));
const sqliteFile = join(dataDir, 'koobridge.sqlite');
const logFile = join(dataDir, 'server.log');
let child: ChildProcess;

/** Starts (or, after a crash, restarts on the same data) the server and waits for /healthz 200. */
async function start(): Promise<void> {
  const log = openSync(logFile, 'a');
  child = spawn(process.execPath, ['--import', tsxLoader, join(checkout, 'src/main.ts')], {
    cwd: checkout,
    stdio: ['ignore', log, log],
    // A minimal environment: nothing of ours (DATABASE_URL, SSO_*) leaks into the server under test.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'development', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: origin, DATA_DIR: dataDir, LOG_LEVEL: 'warn', SSO_ALLOW_HTTP: 'true', ...KEYS },
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    const ok = await fetch(`${origin}/healthz`).then((r) => r.status === 200, () => false);
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`server did not become healthy; log tail:\n${logTail()}`);
}
const alive = () => child.exitCode === null && child.signalCode === null;
const logTail = () => readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');

/** Scenarios go on after a crash (reported as a row) so one fault does not hide the others. */
async function survived(scenario: string): Promise<void> {
  if (alive()) return;
  row(`${scenario}: server exited`, `${child.exitCode ?? child.signalCode}`, 'code/signal');
  details[`${scenario}:crashLog`] = logTail();
  console.error(`server exited during ${scenario}; log tail:\n${logTail()}\nrestarting on the same data`);
  await start();
}

/** Resident set size of the server process (the child is node itself, not an npx wrapper). */
function rssMiB(): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return NaN;
  }
}

/** Read-only look at the server's SQLite file (WAL: fine while the server runs). */
function sqlite<T>(query: (db: Sqlite) => T): T | string {
  try {
    const db = new Database(sqliteFile, { readonly: true, fileMustExist: true });
    try { return query(db); } finally { db.close(); }
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}
const countRows = (table: string) => sqlite((db) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);

// ---------------------------------------------------------------- HTTP helpers

const pool = new Pool(origin, { connections: 32, pipelining: 1 });
const tally = (m: Record<string, number>, k: string) => void (m[k] = (m[k] ?? 0) + 1);
const show = (m: Record<string, number>) => Object.entries(m).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} x${n}`).join(', ');

/** "HTTP 200 000002", or "connection closed (CODE)" when the server cut the request off. */
async function answerOf(p: Pool, opts: Dispatcher.RequestOptions): Promise<string> {
  try {
    const res = await p.request(opts);
    const text = await res.body.text();
    let code = '';
    try { code = String((JSON.parse(text) as { resultCode?: string }).resultCode ?? ''); } catch { /* not JSON */ }
    return `HTTP ${res.statusCode}${code ? ` ${code}` : ''}`;
  } catch (err) {
    return `connection closed (${(err as { code?: string }).code ?? (err as Error).message})`;
  }
}

/** `count` requests by `concurrency` closed-loop workers; returns the answers seen. */
async function flood(count: number, concurrency: number, fire: () => Promise<string>): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  let started = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => { while (started++ < count) tally(seen, await fire()); }));
  return seen;
}

async function metrics(): Promise<{ bytes: number; series: number }> {
  const res = await pool.request({ path: '/metrics', method: 'GET', headers: { authorization: `Bearer ${KEYS.API_TOKEN}` } });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`/metrics answered HTTP ${res.statusCode}`);
  return { bytes: Buffer.byteLength(text), series: text.split('\n').filter((l) => l.trim() && !l.startsWith('#')).length };
}

const letters = (n: number) => Array.from(randomBytes(n), (b) => String.fromCharCode((b % 26) + (b & 0x20 ? 97 : 65))).join('');

/** Signed as the marketplace signs (spec §3.3), re-implemented here so older checkouts need no shared code. */
async function kit(call: string, body: unknown): Promise<void> {
  const raw = JSON.stringify(body);
  const ts = String(Date.now());
  const nonce = randomBytes(32).toString('hex').toUpperCase();
  const sign = createHmac('sha256', KEYS.KIT_ACCESS_KEY).update(KEYS.KIT_ACCESS_KEY + nonce + ts + raw, 'utf8').digest('hex');
  const answer = await answerOf(pool, { path: `${BASE}/${call}`, method: 'POST', body: raw, headers: { 'content-type': 'application/json;charset=utf8', 'x-sign': sign, 'x-timestamp': ts, 'x-nonce': nonce } });
  if (answer !== 'HTTP 200 000000') throw new Error(`${call} answered ${answer}`);
}

// ---------------------------------------------------------------- scenarios

/** 1. Unsigned calls to invented interface names: does each name become a metric series? */
async function metricSeries(): Promise<void> {
  const before = await metrics();
  const rssBefore = rssMiB();
  const t0 = performance.now();
  const seen = await flood(20_000, 32, () =>
    answerOf(pool, { path: `${BASE}/${letters(12)}`, method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }));
  const seconds = (performance.now() - t0) / 1000;
  const after = await metrics();
  row('1 metric series before', before.series, 'lines');
  row('1 metric series after 20k unsigned', after.series, 'lines');
  row('1 /metrics size before', before.bytes / 1024, 'KiB');
  row('1 /metrics size after', after.bytes / 1024, 'KiB');
  row('1 server RSS before', rssBefore, 'MiB');
  row('1 server RSS after', rssMiB(), 'MiB');
  row('1 flood rate', 20_000 / seconds, 'req/s');
  row('1 answers', show(seen));
  details.metricSeries = { before, after, seconds, answers: seen };
}

/** ~30 MiB of small departments: big enough to hurt, under the default 32 MiB body limit. */
function bigBody(bytes: number): Buffer {
  const parts: string[] = [];
  let size = 40;
  for (let i = 0; size < bytes; i++) {
    const item = `{"orgCode":"D${i}","orgName":"Department ${i}","parentCode":""}`;
    parts.push(item);
    size += item.length + 1;
  }
  return Buffer.from(`{"tenantId":"x","orgInfoList":[${parts.join(',')}]}`);
}

/** 2. Eight parallel 30 MiB bodies that carry no valid credential: memory and event-loop stalls. */
async function largeBodies(variant: string, headers: () => Record<string, string>, body: Buffer): Promise<void> {
  const big = new Pool(origin, { connections: 8, headersTimeout: 300_000, bodyTimeout: 300_000 });
  const probe = new Pool(origin, { connections: 1, headersTimeout: 120_000, bodyTimeout: 120_000 });
  const rssBefore = rssMiB();
  let peak = rssBefore;
  let worst = 0;
  let probeFailures = 0;
  let done = false;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB() || 0)), 50);
  // Liveness as a load balancer sees it: one probe at a time, 20 ms apart; its worst latency is the stall.
  const prober = (async () => {
    while (!done) {
      const t = performance.now();
      const a = await answerOf(probe, { path: '/healthz', method: 'GET' });
      if (a !== 'HTTP 200') probeFailures++;
      worst = Math.max(worst, performance.now() - t);
      await sleep(20);
    }
  })();
  const t0 = performance.now();
  const seen = await flood(8, 8, () => answerOf(big, { path: `${BASE}/allOrgSync`, method: 'POST', body, headers: { 'content-type': 'application/json', ...headers() } }));
  const totalMs = performance.now() - t0;
  done = true;
  await prober;
  clearInterval(sampler);
  await Promise.all([big.close(), probe.close()]);
  row(`2${variant} server RSS before`, rssBefore, 'MiB');
  row(`2${variant} server RSS peak`, peak, 'MiB');
  row(`2${variant} worst /healthz`, worst, 'ms');
  if (probeFailures) row(`2${variant} /healthz failures`, probeFailures, 'probes');
  row(`2${variant} total time`, totalMs, 'ms');
  row(`2${variant} answers`, show(seen));
  details[`largeBodies${variant}`] = { rssBefore, peak, worstHealthzMs: worst, probeFailures, totalMs, answers: seen };
}

/** 4. App-initiated logins from nobody in particular: does each leave a row behind (beyond any cap)? */
async function loginStates(): Promise<void> {
  const tenantId = 'flood0tenant0000000000000000000a';
  const instanceId = 'floodinstance0001';
  const appId = 'flood-app-0001';
  const timeStamp = () => new Date().toISOString().replace(/\D/g, '').slice(0, 17); // yyyyMMddHHmmssSSS
  await kit('tenantSync', { instanceId, orderId: 'CSFLOOD0001', tenantId, tenantCode: 'flood', name: 'flood', domainName: 'http://127.0.0.1:1', flag: 1, testFlag: 0, timeStamp: timeStamp() });
  const clientSecret = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from('flood-client-secret')).toString('base64');
  await sleep(2); // a later timeStamp than tenantSync's
  await kit('applicationSync', { instanceId, tenantId, appId, clientId: 'floodClientId', clientSecret, flag: 1, testFlag: 0, timeStamp: timeStamp() });
  const before = countRows('sso_login_states');
  // undici's request never follows redirects, as `redirect: manual`; no cookie is ever sent.
  const seen = await flood(1500, 16, () => answerOf(pool, { path: `/sso/login?tenant=${tenantId}`, method: 'GET' }));
  row('4 sso_login_states before', before, 'rows');
  row('4 sso_login_states after 1,500 logins', countRows('sso_login_states'), 'rows');
  row('4 answers', show(seen));
  details.loginStates = { answers: seen };
}

// ---------------------------------------------------------------- run

function gitDescribe(): string {
  try {
    const head = execFileSync('git', ['-C', checkout, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', checkout, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return `${head}${dirty ? ' + uncommitted changes' : ''}`;
  } catch {
    return 'not a git checkout';
  }
}

async function stop(): Promise<void> {
  if (!alive()) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  if ((await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])) === false) {
    child.kill('SIGKILL');
    await exited;
  }
}
process.once('exit', () => alive() && child.kill('SIGKILL'));
process.once('SIGINT', () => process.exit(130));

const startedAt = new Date();
const commit = gitDescribe();
console.log(`flood bench "${args.label}": ${checkout} (${commit}), node ${process.version}, ${cpus().length} CPUs, data in ${dataDir}`);
try {
  await start();
  console.log('1. 20,000 unsigned calls to invented interface names…');
  await metricSeries();
  await survived('1');
  console.log('2. 8 x 30 MiB unsigned bodies, twice…');
  const body = bigBody(30 * 1024 * 1024);
  details.largeBodyBytes = body.length;
  await largeBodies('a no credentials', () => ({}), body);
  await survived('2a');
  await largeBodies('b wrong x-sign', () => ({ 'x-timestamp': String(Date.now()), 'x-nonce': randomBytes(16).toString('hex'), 'x-sign': randomBytes(32).toString('hex') }), body);
  await survived('2b');
  console.log('3. audit rows…');
  row('3 audit_log rows after 1 and 2', countRows('audit_log'), 'rows');
  details.auditByResult = sqlite((db) => db.prepare('SELECT channel, call_name = \'allOrgSync\' AS big, result_code, COUNT(*) AS n FROM audit_log GROUP BY 1, 2, 3').all());
  console.log('4. 1,500 unauthenticated /sso/login…');
  await loginStates();
  await survived('4');
} finally {
  await pool.close();
  await stop();
}

// Numbers right-aligned in the value column; answer tallies (text) run on to the right of it.
const fmt = (v: number | string) => (typeof v === 'string' ? v : Number.isNaN(v) ? 'n/a' : Number.isInteger(v) || v >= 100 ? v.toFixed(0) : v.toFixed(1));
const cells = rows.map((r) => [r.scenario, fmt(r.value), r.unit] as const);
const w0 = Math.max(...cells.map((c) => c[0].length));
const w1 = Math.max(5, ...cells.filter((_, i) => typeof rows[i]!.value === 'number').map((c) => c[1].length));
const line = (c: readonly [string, string, string], text = false) => `${c[0].padEnd(w0)}  ${text ? c[1] : c[1].padStart(w1)}  ${c[2]}`.trimEnd();
console.log(['', line(['scenario', 'value', 'unit'], true), `${'-'.repeat(w0)}  ${'-'.repeat(w1)}  -----`, ...cells.map((c, i) => line(c, typeof rows[i]!.value === 'string')), ''].join('\n'));

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify({ label: args.label, checkout, commit, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), node: process.version, cpus: cpus().length, rows, details }, null, 2) + '\n');
console.log(`wrote ${outFile}`);
if (args.keep) console.log(`kept ${dataDir}`);
else rmSync(dataDir, { recursive: true, force: true });
