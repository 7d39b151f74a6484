import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often what the WAL gained is copied into the database file. */
const EVERY_MS = 200;

/**
 * Runs in the worker, plain JavaScript evaluated as is, on a connection of its own. A passive
 * checkpoint waits for nobody; one that finds another running (the writer closing) fails and the
 * next one catches up, so failures are not reported.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {}
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});`;

export interface Checkpointer {
  /** Ends the worker and closes its connection (before the writer's, which then checkpoints what is left). */
  stop(): Promise<void>;
}

/**
 * Checkpoints the SQLite file `file` from a worker thread. SQLite's own checkpoint runs in the
 * commit that crosses its threshold, on the writer's thread, which here is the event loop's: a
 * 100,000-department sync's commit spent a quarter of a second copying its pages there. The writer
 * turns its own off (wal_autocheckpoint = 0) and this does it beside it; `onFailure` is told when
 * the worker cannot run, to turn the writer's back on.
 */
export function startCheckpointer(file: string, onFailure: (err: Error) => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  // No --import of a TypeScript loader (or a profiler) from the parent: the source is plain JavaScript.
  const thread = new Worker(SOURCE, { eval: true, execArgv: [], workerData: { driver, file, everyMs: EVERY_MS } });
  thread.unref();
  let stopping = false;
  const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  thread.on('error', (err) => !stopping && onFailure(err));
  thread.once('exit', (code) => !stopping && onFailure(new Error(`checkpoint worker exited with code ${code}`)));
  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      thread.postMessage('stop');
      await exited;
    },
  };
}
