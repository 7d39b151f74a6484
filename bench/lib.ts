/**
 * Shared benchmark tools: a load generator, servers under test in a child process (so the load
 * generator and the server each get their own event loop on a 2-core machine, and the baseline and
 * koobridge are measured the same way), the bare-koa baseline, and the table / JSON output.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { kitSignature, basicSignature } from '../src/marketplace/signing.js';
import { TEST_KEYS, encryptClientSecret } from '../test/helpers/keys.js';
import { nonce, type MarketplaceAnswer } from '../test/helpers/server.js';
import type { BenchContext, BenchRow, ResultRow, Store } from './types.js';

export const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = dirname(benchDir);

// ---------------------------------------------------------------- load generator

export interface LoadOptions {
  /** Requests in flight at once. */
  concurrency: number;
  /** Run for this long… */
  durationMs?: number;
  /** …or until this many requests completed (whichever is given; count wins when both are). */
  count?: number;
  /** Unmeasured calls before the measurement starts (JIT, connection set-up, pools). */
  warmupMs?: number;
  /** One request; throw to count it as an error. */
  fire: () => Promise<unknown>;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  /** Successful requests measured. */
  count: number;
  errors: number;
  /** The first error seen, to report why calls failed. */
  firstError?: string;
}

/** Closed-loop load: `concurrency` workers each fire the next request as soon as theirs answered. */
export async function load(opts: LoadOptions): Promise<LoadResult> {
  if (opts.durationMs === undefined && opts.count === undefined) throw new Error('load: give durationMs or count');
  if (opts.warmupMs) await loop({ concurrency: opts.concurrency, durationMs: opts.warmupMs, fire: opts.fire });
  return loop(opts);
}

async function loop(opts: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let started = 0;
  const start = performance.now();
  const deadline = opts.count === undefined ? start + (opts.durationMs ?? 0) : Infinity;
  const more = () => (opts.count === undefined ? performance.now() < deadline : started < opts.count);
  const worker = async () => {
    while (more()) {
      started++;
      const t0 = performance.now();
      try {
        await opts.fire();
        latencies.push(performance.now() - t0);
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const elapsedS = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / elapsedS,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    count: latencies.length,
    errors,
    firstError,
  };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The middle value (the lower of the two middle ones for an even count). */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** Wall-clock milliseconds of one async step. */
export async function timed<T>(step: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const t0 = performance.now();
  const result = await step();
  return { ms: performance.now() - t0, result };
}

// ---------------------------------------------------------------- HTTP client

/** A keep-alive connection pool to one origin that POSTs JSON and expects HTTP 200 JSON back. */
export function jsonClient(origin: string, connections = 64) {
  // Generous timeouts: a 100,000-department full sync is one long request.
  const pool = new Pool(origin, { connections, pipelining: 1, headersTimeout: 600_000, bodyTimeout: 600_000 });
  return {
    async post(path: string, raw: string, headers: Record<string, string> = {}): Promise<any> {
      const res = await pool.request({ path, method: 'POST', body: raw, headers: { 'content-type': 'application/json;charset=utf8', ...headers } });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
      return JSON.parse(text);
    },
    close: () => pool.close(),
  };
}

/** Throws unless the marketplace answer is resultCode 000000, so load() counts it as an error. */
export function expectSuccess(answer: MarketplaceAnswer): MarketplaceAnswer {
  if (answer.resultCode !== '000000') throw new Error(`resultCode ${answer.resultCode}: ${answer.resultMsg}`);
  return answer;
}

// ---------------------------------------------------------------- servers in a child process

export type ChildServerSpec =
  | { kind: 'koobridge'; store: Store; mysqlUrl: string; env?: Record<string, string> }
  | { kind: 'bareKoa' };

/** Where a koobridge server keeps its data: its own MySQL schema, or its SQLite file. */
export type ServerDatabase = { store: 'mysql'; url: string } | { store: 'sqlite'; file: string };

export interface Ready {
  url: string;
  basePath: string;
  database?: ServerDatabase;
  rsaPublicPem?: string;
}

async function startChild(spec: ChildServerSpec): Promise<{ child: ChildProcess; ready: Ready; stop(): Promise<void> }> {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each server under test, to find where time goes.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = fork(`${benchDir}/serverChild.ts`, [], { cwd: repoRoot, execArgv: ['--import', 'tsx', ...prof], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m: Ready | { error: string }) => ('error' in m ? reject(new Error(`server child: ${m.error}`)) : resolve(m)));
    child.once('exit', (code) => reject(new Error(`server child exited with code ${code} before it was ready`)));
    child.send(spec);
  });
  return {
    child,
    ready,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await exited;
    },
  };
}

export interface KoobridgeProcess {
  url: string;
  /** url + marketplace base path */
  base: string;
  /** The server's fresh MySQL schema or SQLite file (removed on stop). */
  database: ServerDatabase;
  /** A kit call signed as the marketplace does (fresh nonce and timestamp each time). */
  kit(call: string, body: unknown): Promise<MarketplaceAnswer>;
  /** A basic (lifecycle) call signed in the query string. */
  basic(body: unknown): Promise<MarketplaceAnswer>;
  /** Call the bearer API (GET unless told) with the token. */
  api(path: string, method?: string): Promise<{ status: number; body: any }>;
  /** What the marketplace would send as applicationSync.clientSecret for this server's RSA key. */
  encryptClientSecret(secret: string): string;
  stop(): Promise<void>;
}

/**
 * A koobridge server on a fresh database of the store (test/helpers/server.ts startTestServer) in a
 * child process, with a keep-alive client that signs like the marketplace.
 */
export async function startKoobridgeProcess(ctx: Pick<BenchContext, 'store' | 'mysqlUrl'>, env: Record<string, string> = {}, connections = 64): Promise<KoobridgeProcess> {
  const proc = await startChild({ kind: 'koobridge', store: ctx.store, mysqlUrl: ctx.mysqlUrl, env });
  const { url, basePath, database, rsaPublicPem } = proc.ready;
  const client = jsonClient(url, connections);
  const publicKey = createPublicKey(rsaPublicPem!);
  const bodyText = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body));
  return {
    url,
    base: url + basePath,
    database: database!,
    kit(call, body) {
      const raw = bodyText(body);
      const ts = String(Date.now());
      const n = nonce();
      return client.post(`${basePath}/produceAPI/v2/${call}`, raw, {
        'x-sign': kitSignature(TEST_KEYS.kit, n, ts, raw).toUpperCase(),
        'x-timestamp': ts,
        'x-nonce': n,
      });
    },
    basic(body) {
      const raw = bodyText(body);
      const timestamp = String(Date.now());
      const n = nonce();
      const signature = basicSignature(TEST_KEYS.basic, n, timestamp, raw).toUpperCase();
      return client.post(`${basePath}?${new URLSearchParams({ signature, timestamp, nonce: n })}`, raw);
    },
    async api(path, method = 'GET') {
      const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${TEST_KEYS.apiToken}` } });
      return { status: res.status, body: await res.json().catch(() => undefined) };
    },
    encryptClientSecret: (secret) => encryptClientSecret(secret, publicKey),
    async stop() {
      await client.close();
      await proc.stop();
    },
  };
}

// ---------------------------------------------------------------- bare-koa baseline

/** About the size of a singleOrgSync body, so the baseline moves the same bytes. */
const SMALL_BODY = JSON.stringify({
  instanceId: 'huaiweitest123456',
  tenantId: '68cbc86abc2018ab880d92f36422fa0e',
  orgCode: 'D000001',
  orgName: 'Dept D000001',
  parentCode: 'D000000',
  flag: 1,
  testFlag: 0,
  timeStamp: '20260101000000000',
});

export type BareKoaProcess = Awaited<ReturnType<typeof startBareKoaProcess>>;

/**
 * A bare koa 3 route that reads a JSON POST, parses it and answers JSON, served from a child
 * process and posted to with the same client as koobridge: what any server pays for a body. It also
 * answers GET /html?bytes=n with an HTML string of that size, at `url`.
 */
export async function startBareKoaProcess(connections = 64) {
  const proc = await startChild({ kind: 'bareKoa' });
  const client = jsonClient(proc.ready.url, connections);
  return {
    url: proc.ready.url,
    post: async (raw: string) => expectSuccess(await client.post('/echo', raw)),
    async stop() {
      await client.close();
      await proc.stop();
    },
  };
}

/** Unmeasured calls before a timed load: JIT, connection set-up, pools. */
export const warmupFor = (durationMs: number) => Math.min(2000, durationMs / 2);

export type Baseline = NonNullable<BenchRow['baseline']>;

/** Requests per second of the bare koa route under the same load generator as koobridge. */
export async function bareKoaBaseline(concurrency: number, durationMs: number): Promise<Baseline> {
  const bare = await startBareKoaProcess(concurrency);
  try {
    const r = await load({ concurrency, durationMs, warmupMs: warmupFor(durationMs), fire: () => bare.post(SMALL_BODY) });
    if (r.errors) throw new Error(`bare koa baseline: ${r.errors} errors (${r.firstError})`);
    return { name: 'bare koa route', value: r.rps };
  } finally {
    await bare.stop();
  }
}

// ---------------------------------------------------------------- output

/** A req/s row against a baseline measured in the same run; `share` is the target, when it sets one. */
export function throughputRow(scenario: string, r: LoadResult, baseline: Baseline, share?: number): BenchRow {
  return {
    scenario,
    unit: 'req/s',
    value: r.rps,
    baseline,
    ...(share === undefined ? {} : { target: `>= ${share * 100}% of baseline`, pass: r.rps >= share * baseline.value }),
    note: `p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, ${r.count} calls`,
  };
}

const fmt = (n: number | undefined) =>
  n === undefined || Number.isNaN(n) ? '' : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);

/** The rows as a fixed-width text table (store, scenario, value, unit, baseline, ratio, target, pass), then the notes. */
export function formatTable(rows: ResultRow[]): string {
  const header = ['store', 'scenario', 'value', 'unit', 'baseline', 'ratio', 'target', 'pass'];
  const lines = rows.map((r) => [
    r.store,
    r.scenario,
    fmt(r.value),
    r.unit,
    r.baseline ? `${fmt(r.baseline.value)} (${r.baseline.name})` : '',
    r.baseline ? `${fmt(r.value / r.baseline.value)}x` : '',
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const right = new Set([2, 4, 5]);
  const line = (cells: string[]) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const notes = rows.filter((r) => r.note).map((r) => `  * ${r.store}, ${r.scenario}: ${r.note}`);
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(line), ...(notes.length ? ['', 'notes:', ...notes] : [])].join('\n');
}

/** Writes a JSON file, creating its folder. */
export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
}
