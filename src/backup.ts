import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadStoreLocation, StartupError } from './config/index.js';
import { backupSqlite, dumpCommand, dumpMysql, findDumpProgram } from './store/backup.js';

/**
 * `npm run backup -- <file>` (in an image without npm: `node dist/src/backup.js <file>`): a copy of
 * the store that DATABASE_URL and DATA_DIR name, read as the server reads them, taken while servers
 * run. SQLite: the driver's online backup, checked. MySQL: mysqldump (or mariadb-dump) when one is
 * on PATH; otherwise the command to run where one is, and exit 1.
 */
async function backup(args: string[]): Promise<void> {
  if (args.length !== 1 || args[0]!.startsWith('-')) throw new StartupError('usage: npm run backup -- <file> (or node dist/src/backup.js <file>)');
  // npm runs a script in the package folder; the file is named from where the operator typed it.
  const from = process.env.npm_lifecycle_event === 'backup' ? (process.env.INIT_CWD ?? process.cwd()) : process.cwd();
  const target = resolve(from, args[0]!);
  if (existsSync(target)) throw new StartupError(`${target} exists already: name a new file`);
  const store = loadStoreLocation();
  if (!store.databaseUrl) {
    if (!existsSync(store.sqliteFile)) throw new StartupError(`no SQLite store at ${store.sqliteFile} (DATABASE_URL, DATA_DIR)`);
    const { pages } = await backupSqlite(store.sqliteFile, target);
    console.log(`backed up ${store.sqliteFile} to ${target} (${pages} pages, integrity_check ok)`);
    return;
  }
  const program = findDumpProgram();
  if (!program) {
    throw new StartupError(`the store is MySQL and neither mysqldump nor mariadb-dump is on PATH; where one is, run:\n  ${dumpCommand(store.databaseUrl, target)}`);
  }
  console.log(`running ${dumpCommand(store.databaseUrl, target, program)}`);
  await dumpMysql(program, store.databaseUrl, target);
  console.log(`backed up the MySQL database to ${target}`);
}

try {
  await backup(process.argv.slice(2));
} catch (err) {
  console.error(`koobridge backup: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
