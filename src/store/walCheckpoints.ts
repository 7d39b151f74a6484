import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';

/** How often the worker copies what the log holds into the database file. */
const CHECKPOINT_EVERY_MS = 500;

/**
 * The worker's whole program (CommonJS, run from this text, so it needs no file of its own in
 * either the sources or the build): its own connection, a passive checkpoint now and then. A
 * passive checkpoint never waits for the writer or the readers; a busy moment is left to the next.
 */
const WORKER = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 100');
setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or locked: the next turn takes it */ }
}, workerData.everyMs);
`;

/** The little of a better-sqlite3 connection used here. */
interface SqliteConnection {
  pragma(s: string): unknown;
  close(): unknown;
}

/**
 * SQLite in WAL mode copies the log into the database file (a checkpoint) as part of the commit
 * that makes the log long: after a 100,000-department full sync that commit held the thread, and
 * with it every other request, a quarter of a second longer. Here a worker thread with its own
 * connection does the copying, and the server's connection `conn` never does (its automatic
 * checkpoints go off). Should the worker fail, `conn` checkpoints by itself again. Closing `conn`
 * stops the worker.
 */
export function checkpointInTheBackground(conn: SqliteConnection, file: string, log: Logger | undefined): void {
  conn.pragma('wal_autocheckpoint = 0');
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { file, driver, everyMs: CHECKPOINT_EVERY_MS } });
  // The process may end without closing the store (a CLI command that fails): the worker does not keep it alive.
  worker.unref();
  let closed = false;
  worker.on('error', (err) => {
    if (closed) return;
    log?.warn({ err: err.message }, 'SQLite checkpoint worker failed: the server connection checkpoints by itself again');
    conn.pragma('wal_autocheckpoint = 1000');
  });
  const close = conn.close.bind(conn);
  conn.close = () => {
    closed = true;
    void worker.terminate();
    return close();
  };
}
