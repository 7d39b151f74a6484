/**
 * The raw-driver side of the baselines: mysql2 or better-sqlite3 called directly, no knex and no
 * koobridge code, writing into copies of the server's own tables (same schema, `raw_<table>`). On
 * MySQL the copies sit in the server's schema (`CREATE TABLE … LIKE`); on SQLite in a file of their
 * own, made from the DDL in the server's file and opened with the pragmas of src/store/db.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import * as fx from '../test/helpers/fixtures.js';
import { nonce } from '../test/helpers/server.js';
import { load, timed, warmupFor, type LoadResult, type ServerDatabase } from './lib.js';

// This project has no @types/better-sqlite3: the little used here is typed by hand.
interface SqliteStatement {
  run(params?: unknown[]): unknown;
  get(params?: unknown[]): unknown;
  all(params?: unknown[]): unknown[];
}
interface Sqlite {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  pragma(pragma: string): unknown;
  transaction<A extends unknown[]>(work: (...args: A) => void): (...args: A) => void;
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string, options?: { readonly?: boolean; fileMustExist?: boolean }) => Sqlite;

/** The department columns a sync writes, in the order of a DeptRow. */
const DEPT_COLUMNS = ['instance_id', 'tenant_id', 'org_code', 'org_name', 'parent_code', 'deleted', 'test_flag', 'source_ts', 'created_at'];
const DEPT_KEY = ['instance_id', 'tenant_id', 'org_code'];
const DEPT_UPDATED = ['org_name', 'parent_code', 'deleted', 'test_flag'];
const NONCE_COLUMNS = ['scope', 'nonce', 'expires_at'];
export const AUDIT_COLUMNS = ['at', 'channel', 'call_name', 'instance_id', 'tenant_id', 'nonce', 'sign_form', 'result_code', 'result_msg', 'outcome', 'detail', 'test_flag', 'duration_ms'];
/** What the minimum durable singleOrgSync writes to. */
const DURABLE_TABLES = ['nonces', 'departments', 'audit_log'];
const MYSQL_CHUNK_ROWS = 1_000;
const MYSQL_WORKERS = 32;
const SQLITE_CHUNK_ROWS = 50_000;

/** One department as DEPT_COLUMNS lists it. */
export type DeptRow = (string | number | null)[];

export interface RawStore {
  /** The driver and how the durable calls run, for the baseline's name. */
  name: string;
  /** `SELECT COUNT(*) AS n …` (with ? parameters) on the server's database. */
  count(sql: string, params: unknown[]): Promise<number>;
  /** Fresh, empty `raw_<table>` copies of the server's tables. */
  copyTables(tables: string[]): Promise<void>;
  /** Upserts rows into raw_departments in one transaction; answers its milliseconds. */
  upsertDepartments(rows: DeptRow[]): Promise<number>;
  /** Inserts rows into the server's own table (not a copy), in chunks, each chunk one statement. */
  insertRows(table: string, columns: string[], rows: unknown[][]): Promise<void>;
  /** The store's plan for a query (with ? parameters) on the server's database, one line per step. */
  explain(sql: string, params: unknown[]): Promise<string[]>;
  /** The durable calls as fast as the store takes them (on the copies of DURABLE_TABLES). */
  durableCalls(durationMs: number): Promise<LoadResult>;
  close(): Promise<void>;
}

/** The SQLite library's version better-sqlite3 was built with. */
export function sqliteVersion(): string {
  const db = new Database(':memory:');
  const { v } = db.prepare('SELECT sqlite_version() AS v').get() as { v: string };
  db.close();
  return v;
}

export function openRawStore(database: ServerDatabase): Promise<RawStore> {
  return database.store === 'mysql' ? mysqlRawStore(database.url) : Promise.resolve(sqliteRawStore(database.file));
}

const tuple = (n: number) => `(${Array(n).fill('?').join(', ')})`;
const insert = (table: string, columns: string[], values: string) => `INSERT INTO raw_${table} (${columns.join(', ')}) VALUES ${values}`;

let durableCount = 0;
/** The rows one singleOrgSync writes: its nonce, a new department (under a synced parent), its audit record. */
function durableRows() {
  const n = nonce();
  const orgCode = `R${durableCount++}`;
  const now = Date.now();
  return {
    nonce: ['kit', n, now + 120_000],
    department: [fx.INSTANCE, 'bench-raw', orgCode, `Dept ${orgCode}`, 'S-0000000', 0, 0, fx.later(), now],
    audit: [now, 'kit', 'singleOrgSync', fx.INSTANCE, 'bench-raw', n, 'raw', '000000', 'Success', 'applied', '{"created":1}', 0, 1],
  };
}

async function closedLoop(concurrency: number, durationMs: number, fire: () => Promise<void>): Promise<LoadResult> {
  const r = await load({ concurrency, durationMs, warmupMs: warmupFor(durationMs), fire });
  if (r.errors) throw new Error(`raw durable calls: ${r.errors} errors (${r.firstError})`);
  return r;
}

/** MySQL has no WHERE on its upsert: the order rule as src/store/upsertNewer.ts writes it, source_ts assigned last. */
function mysqlDeptUpsert(values: string, orderRule: boolean): string {
  const incoming = (c: string) => (orderRule ? `IF(VALUES(source_ts) >= source_ts, VALUES(${c}), ${c})` : `VALUES(${c})`);
  const set = [...DEPT_UPDATED.map((c) => `${c} = ${incoming(c)}`), `source_ts = ${orderRule ? 'GREATEST(VALUES(source_ts), source_ts)' : 'VALUES(source_ts)'}`];
  return `${insert('departments', DEPT_COLUMNS, values)} ON DUPLICATE KEY UPDATE ${set.join(', ')}`;
}

async function mysqlRawStore(url: string): Promise<RawStore> {
  const db = await mysql.createConnection({ uri: url });
  // mysql2 opens pool connections on demand: only the durable calls use it.
  const pool = mysql.createPool({ uri: url, connectionLimit: MYSQL_WORKERS });
  const durableCall = async () => {
    const r = durableRows();
    const c = await pool.getConnection();
    try {
      await c.beginTransaction();
      await c.query(insert('nonces', NONCE_COLUMNS, tuple(NONCE_COLUMNS.length)), r.nonce);
      await c.query(mysqlDeptUpsert(tuple(DEPT_COLUMNS.length), true), r.department);
      await c.query(insert('audit_log', AUDIT_COLUMNS, tuple(AUDIT_COLUMNS.length)), r.audit);
      await c.commit();
    } catch (err) {
      await c.rollback();
      throw err;
    } finally {
      c.release();
    }
  };
  const store: RawStore = {
    name: `raw mysql2 durable call, ${MYSQL_WORKERS} workers`,
    async count(sql, params) {
      const [rows] = await db.query(sql, params);
      return Number((rows as { n: number }[])[0]!.n);
    },
    async copyTables(tables) {
      for (const t of tables) {
        await db.query(`DROP TABLE IF EXISTS raw_${t}`);
        await db.query(`CREATE TABLE raw_${t} LIKE ${t}`);
      }
    },
    async upsertDepartments(rows) {
      const sql = mysqlDeptUpsert('?', false);
      const { ms } = await timed(async () => {
        await db.beginTransaction();
        for (let i = 0; i < rows.length; i += MYSQL_CHUNK_ROWS) await db.query(sql, [rows.slice(i, i + MYSQL_CHUNK_ROWS)]);
        await db.commit();
      });
      return ms;
    },
    async insertRows(table, columns, rows) {
      for (let i = 0; i < rows.length; i += MYSQL_CHUNK_ROWS) await db.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`, [rows.slice(i, i + MYSQL_CHUNK_ROWS)]);
    },
    async explain(sql, params) {
      const [rows] = await db.query(`EXPLAIN ${sql}`, params);
      return (rows as Record<string, unknown>[]).map((r) => `${r.table}: type ${r.type}, key ${r.key ?? '-'}, rows ${r.rows}, ${r.Extra ?? ''}`);
    },
    async durableCalls(durationMs) {
      await store.copyTables(DURABLE_TABLES);
      return closedLoop(MYSQL_WORKERS, durationMs, durableCall);
    },
    async close() {
      await pool.end();
      await db.end();
    },
  };
  return store;
}

function sqliteDeptUpsert(orderRule: boolean): string {
  const set = [...DEPT_UPDATED, 'source_ts'].map((c) => `${c} = excluded.${c}`).join(', ');
  const newer = orderRule ? ' WHERE raw_departments.source_ts <= excluded.source_ts' : '';
  return `${insert('departments', DEPT_COLUMNS, tuple(DEPT_COLUMNS.length))} ON CONFLICT (${DEPT_KEY.join(', ')}) DO UPDATE SET ${set}${newer}`;
}

/** The table's DDL and its indexes' as the server's file holds them, the table renamed raw_<table>. */
function copiedDdl(server: Sqlite, table: string): string[] {
  const rows = server.prepare("SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type = 'index'").all([table]) as { sql: string }[];
  if (rows.length === 0) throw new Error(`no table ${table} in the server's SQLite file`);
  // Whole words only: index names (departments_key) stay, and cannot clash in a file of their own.
  return rows.map((r) => r.sql.replace(new RegExp(`\\b${table}\\b`, 'g'), `raw_${table}`));
}

function sqliteRawStore(serverFile: string): RawStore {
  const server = new Database(serverFile, { readonly: true, fileMustExist: true });
  const dir = mkdtempSync(join(tmpdir(), 'koobridge-raw-'));
  const raw = new Database(join(dir, 'raw.sqlite'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  const statements = new Map<string, SqliteStatement>();
  const statement = (sql: string) => statements.get(sql) ?? statements.set(sql, raw.prepare(sql)).get(sql)!;
  const upsertAll = raw.transaction((rows: DeptRow[]) => {
    const upsert = statement(sqliteDeptUpsert(false));
    for (const row of rows) upsert.run(row);
  });
  const durableCall = raw.transaction((r: ReturnType<typeof durableRows>) => {
    statement(insert('nonces', NONCE_COLUMNS, tuple(NONCE_COLUMNS.length))).run(r.nonce);
    statement(sqliteDeptUpsert(true)).run(r.department);
    statement(insert('audit_log', AUDIT_COLUMNS, tuple(AUDIT_COLUMNS.length))).run(r.audit);
  });
  const store: RawStore = {
    // One connection, one call at a time: SQLite has a single writer.
    name: 'raw better-sqlite3 durable call, sequential',
    async count(sql, params) {
      return Number((server.prepare(sql).get(params) as { n: number }).n);
    },
    async copyTables(tables) {
      for (const t of tables) {
        const ddl = copiedDdl(server, t);
        raw.exec(`DROP TABLE IF EXISTS raw_${t}`);
        for (const sql of ddl) raw.exec(sql);
      }
      statements.clear(); // they named the tables just replaced
    },
    async upsertDepartments(rows) {
      return (await timed(async () => upsertAll(rows))).ms;
    },
    async insertRows(table, columns, rows) {
      // The server's file is open read-only above: a connection of its own writes (WAL lets both in).
      const writer = new Database(serverFile, { fileMustExist: true });
      writer.pragma('busy_timeout = 5000');
      try {
        const statement = writer.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuple(columns.length)}`);
        const chunk = writer.transaction((part: unknown[][]) => {
          for (const row of part) statement.run(row);
        });
        for (let i = 0; i < rows.length; i += SQLITE_CHUNK_ROWS) chunk(rows.slice(i, i + SQLITE_CHUNK_ROWS));
      } finally {
        writer.close();
      }
    },
    async explain(sql, params) {
      return (server.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail);
    },
    async durableCalls(durationMs) {
      await store.copyTables(DURABLE_TABLES);
      return closedLoop(1, durationMs, async () => durableCall(durableRows()));
    },
    async close() {
      server.close();
      raw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return store;
}
