import knex, { type Knex } from 'knex';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Knex;
export type Trx = Knex.Transaction;
export type Dialect = 'mysql' | 'sqlite';

export interface DbOptions {
  /** mysql://user:pass@host:port/db, or undefined for the embedded SQLite file. */
  databaseUrl?: string;
  sqliteFile: string;
  mysqlPoolMax?: number;
}

export function openDb(options: DbOptions): Db {
  if (options.databaseUrl) {
    return knex({
      client: 'mysql2',
      // A failed query's error message carries its SQL with placeholders, never the bound values.
      compileSqlOnError: false,
      connection: {
        uri: options.databaseUrl.replace(/^mysql2:/, 'mysql:'),
        charset: 'utf8mb4',
        timezone: 'Z',
        // Marketplace ids compare exactly; JS numbers stay numbers (our BIGINTs are epoch ms).
        supportBigNumbers: true,
        bigNumberStrings: false,
      } as Knex.MySql2ConnectionConfig & { uri: string },
      pool: { min: 0, max: options.mysqlPoolMax ?? 10 },
    });
  }
  if (options.sqliteFile !== ':memory:') mkdirSync(dirname(options.sqliteFile), { recursive: true });
  return knex({
    client: 'better-sqlite3',
    compileSqlOnError: false,
    connection: { filename: options.sqliteFile },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL');
        conn.pragma('synchronous = NORMAL');
        conn.pragma('busy_timeout = 5000');
        done(null, conn);
      },
    },
  });
}

export function dialectOf(db: Db | Trx): Dialect {
  return db.client.config.client === 'mysql2' ? 'mysql' : 'sqlite';
}

const RETRYABLE_MYSQL = new Set([1213 /* deadlock */, 1205 /* lock wait timeout */]);

function isRetryable(err: unknown): boolean {
  const e = err as { errno?: number; code?: string };
  return (e?.errno !== undefined && RETRYABLE_MYSQL.has(e.errno)) || e?.code === 'SQLITE_BUSY';
}

/**
 * One marketplace call = one transaction. InnoDB may pick concurrent duplicate upserts as
 * deadlock victims; the whole call is then re-run, which is safe because every write is an upsert.
 */
export async function inTransaction<T>(db: Db, work: (trx: Trx) => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (err) {
      if (attempt >= attempts || !isRetryable(err)) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}
