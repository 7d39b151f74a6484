import { setTimeout as sleep } from 'node:timers/promises';
import { storeNotAnswering, type Db } from './db.js';
import type { Logger } from '../log.js';
import { StartupError } from '../config/index.js';
import { describe } from '../log.js';
import { migrationSource } from '../../migrations/index.js';

const options = { migrationSource, tableName: 'knex_migrations' };

/** How long start-up waits, in all, for the database and for another process's migrations. */
export interface StartupWait {
  waitSeconds: number;
  log: Logger;
}

/**
 * Waits for the database to answer, then applies pending migrations. Replicas and their database
 * often start together, so an unreachable database is retried with backoff and a log line saying
 * what is awaited; a database that answers "no" (unknown database, access denied) stops the start
 * at once, in one line.
 */
export async function prepareDatabase(db: Db, wait: StartupWait): Promise<string[]> {
  const deadline = Date.now() + wait.waitSeconds * 1000;
  await waitForDatabase(db, wait, deadline);
  return migrateWhenUnlocked(db, wait, deadline);
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = await db.migrate.latest(options);
  return applied as string[];
}

/** Migrations this version has that the database has not applied yet (the start applies them). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const [, pending] = (await db.migrate.list(options)) as [unknown[], string[]];
  return pending;
}

async function waitForDatabase(db: Db, { waitSeconds, log }: StartupWait, deadline: number): Promise<void> {
  const where = databaseName(db);
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    try {
      await db.raw('select 1');
      return;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!storeNotAnswering(err)) throw refusal(err, where);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new StartupError(`the database at ${where} did not answer within ${waitSeconds} s (${code || describe(err).message}); STARTUP_WAIT_SECONDS sets how long to wait`);
      }
      const retryInMs = Math.min(delay, left);
      log.warn({ database: where, reason: code, retryInMs, givesUpInSeconds: Math.ceil(left / 1000) }, `waiting for the database at ${where} (${code || 'no answer'})`);
      await sleep(retryInMs);
    }
  }
}

/**
 * knex's migration lock is a row, not a session lock: while another replica migrates (or after a
 * process was killed mid-migration) taking it fails at once. That is waited out here, as is the
 * race of two processes creating knex's own tables in an empty database.
 */
async function migrateWhenUnlocked(db: Db, wait: StartupWait, deadline: number): Promise<string[]> {
  for (let told = false; ; told = true) {
    try {
      return await migrateLatest(db);
    } catch (err) {
      if (!lockedByAnother(err)) throw err;
      if (Date.now() >= deadline) {
        throw new StartupError(
          `the migration lock (table knex_migrations_lock) was still held after ${wait.waitSeconds} s. If no other koobridge is migrating, ` +
            'one was stopped mid-migration: check the schema against migrations/, then release the lock with UPDATE knex_migrations_lock SET is_locked = 0',
        );
      }
      if (!told) wait.log.info({ database: databaseName(db) }, 'waiting for another process to finish the migrations (lock in knex_migrations_lock)');
      await sleep(200 + Math.random() * 300);
    }
  }
}

function lockedByAnother(err: unknown): boolean {
  const e = err as { name?: string; code?: string; message?: string };
  // knex names every failure to take the lock so, a refused UPDATE of its row too: only "already locked" is another process.
  if (e.name === 'MigrationLocked') return /already locked/.test(e.message ?? '');
  const tableExists = e.code === 'ER_TABLE_EXISTS_ERROR' || /already exists/.test(e.message ?? '');
  return tableExists && /knex_migrations/.test(e.message ?? '');
}

/** A definite "no" from the database, in one line naming what to fix; anything else as it came. */
function refusal(err: unknown, where: string): unknown {
  const code = (err as { code?: string }).code;
  if (code === 'ER_BAD_DB_ERROR') {
    const name = where.slice(where.indexOf('/') + 1);
    return new StartupError(`the MySQL database "${name}" does not exist at ${where} (DATABASE_URL); create it: CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  }
  if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR') {
    return new StartupError(`MySQL at ${where} refused the user of DATABASE_URL: ${describe(err).message}`);
  }
  if (code === 'SQLITE_CANTOPEN') return new StartupError(`cannot open the SQLite file ${where}: ${describe(err).message}`);
  return err;
}

/** host:port/database for MySQL (never the password), the file for SQLite. */
function databaseName(db: Db): string {
  const connection = db.client.config.connection as { uri?: string; filename?: string };
  if (!connection.uri) return String(connection.filename);
  const url = new URL(connection.uri);
  return `${url.hostname}:${url.port || 3306}${url.pathname}`;
}

/** True when every known migration has been applied (readiness). */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  const [, pending] = (await db.migrate.list(options)) as [unknown[], unknown[]];
  return pending.length === 0;
}
