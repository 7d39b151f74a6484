import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The little of better-sqlite3 used here (this project has no @types/better-sqlite3). */
interface SqliteDatabase {
  backup(file: string, options: { progress: () => number }): Promise<{ totalPages: number }>;
  pragma(sql: string, options: { simple: true }): unknown;
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string, options: { readonly?: boolean; fileMustExist?: boolean }) => SqliteDatabase;

/**
 * A new empty file only its owner may read, for a copy to be written into: a backup holds what the
 * store holds (its secrets sealed, but also the directory's people), whatever the umask.
 */
function privateFile(path: string): string {
  rmSync(path, { force: true });
  writeFileSync(path, '', { mode: 0o600, flag: 'wx' });
  return path;
}

/** better-sqlite3's largest step: every page that is left. */
const ALL_PAGES = 0x7fffffff;

/**
 * Copies the SQLite store to `target` while a server may be writing to it: SQLite's online backup,
 * which reads through the WAL, so the copy holds every transaction committed up to one moment and
 * none half. After a first step that only measures the file, the rest goes in one step, that is in
 * one read transaction: copied a hundred pages at a time, each commit of the server between two
 * steps would start the copy over, and a busy server could keep it from ever finishing. Readers do
 * not hold up the server's writes in WAL mode. The copy is checked (`PRAGMA integrity_check`) under
 * a name of its own and renamed to `target` once sound, so a file by that name is always complete.
 */
export async function backupSqlite(source: string, target: string): Promise<{ pages: number }> {
  const partial = privateFile(`${target}.partial`);
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    const { totalPages } = await db.backup(partial, { progress: () => ALL_PAGES });
    const copy = new Database(partial, { fileMustExist: true });
    let check: unknown;
    try {
      // The copy keeps the store's WAL mode; as a rollback-journal file it is one file, no -wal or -shm
      // beside it (the server turns WAL on again when it opens a restored copy).
      copy.pragma('journal_mode = DELETE', { simple: true });
      check = copy.pragma('integrity_check', { simple: true });
    } finally {
      copy.close();
    }
    if (check !== 'ok') throw new Error(`the copy failed PRAGMA integrity_check: ${String(check)}`);
    renameSync(partial, target);
    return { pages: totalPages };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    db.close();
  }
}

/**
 * The mysqldump flags of a consistent dump taken while replicas write: `--single-transaction` reads
 * one InnoDB snapshot instead of locking the tables (so no LOCK TABLES privilege either), `--quick`
 * streams rows rather than holding a table in memory, `--hex-blob` keeps the sealed secrets
 * byte-exact, `--no-tablespaces` spares MySQL 8's PROCESS privilege.
 */
export const MYSQLDUMP_FLAGS = ['--single-transaction', '--quick', '--hex-blob', '--no-tablespaces', '--default-character-set=utf8mb4'];

/** The client programs that dump a MySQL or MariaDB database, in the order they are looked for on PATH. */
const DUMP_PROGRAMS = ['mysqldump', 'mariadb-dump'];

export function findDumpProgram(path = process.env.PATH ?? ''): string | undefined {
  for (const name of DUMP_PROGRAMS) {
    for (const dir of path.split(delimiter)) if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** mysqldump's arguments for `databaseUrl`, the password apart: never on a command line. */
function dumpArguments(databaseUrl: string, resultFile: string): { args: string[]; password: string } {
  const url = new URL(databaseUrl.replace(/^mysql2:/, 'mysql:'));
  const connection = [`--host=${url.hostname}`, `--port=${url.port || 3306}`, `--user=${decodeURIComponent(url.username)}`];
  return {
    args: [...MYSQLDUMP_FLAGS, ...connection, `--result-file=${resultFile}`, decodeURIComponent(url.pathname.slice(1))],
    password: decodeURIComponent(url.password),
  };
}

/** The command an operator would type (`-p` asks for the password). */
export function dumpCommand(databaseUrl: string, target: string, program = 'mysqldump'): string {
  const { args, password } = dumpArguments(databaseUrl, target);
  return [program, ...(password ? ['-p'] : []), ...args].join(' ');
}

/**
 * Dumps the MySQL database with `program`. The password goes through an option file only this
 * user may read, removed afterwards (a `-p` value would show in the process list). Written under
 * a name of its own and renamed once mysqldump succeeded, as the SQLite copy is.
 */
export async function dumpMysql(program: string, databaseUrl: string, target: string): Promise<void> {
  const partial = privateFile(`${target}.partial`);
  const { args, password } = dumpArguments(databaseUrl, partial);
  const dir = mkdtempSync(join(tmpdir(), 'koobridge-backup-'));
  const options = join(dir, 'client.cnf');
  try {
    writeFileSync(options, `[client]\npassword="${password.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"\n`, { mode: 0o600 });
    const code = await new Promise<number | null>((resolve, reject) => {
      // The option file must be the first argument: mysqldump reads it before any other.
      const child = spawn(program, [`--defaults-extra-file=${options}`, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0) throw new Error(`${program} exited with code ${code}`);
    renameSync(partial, target);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
