import { hostname } from 'node:os';
import { dialectOf, type Db } from './db.js';

const REPLICA = `${hostname()}:${process.pid}`.slice(0, 128);

/**
 * How long a probe's write stands for a new one while SQLite's one writer is held: a full sync
 * holds it for seconds, and a probe waiting behind it would say "not ready" of a store that is
 * writing. A probe that finds the writer free writes.
 */
const PROOF_STANDS_MS = 60_000;
/** When each store (by its knex client's settings) last took a probe's write. */
const lastWritten = new WeakMap<object, number>();

/** Whether SQLite's one write connection is in use (a transaction holds it). */
function sqliteWriterHeld(db: Db): boolean {
  return dialectOf(db) === 'sqlite' && ((db.client as { pool?: { numUsed(): number } }).pool?.numUsed() ?? 0) > 0;
}

/**
 * Writes this replica's row: a store that answers reads but refuses writes (disk full, read-only
 * after a failover) is not ready, since every marketplace call writes.
 */
export async function probeWrite(db: Db, now = Date.now()): Promise<void> {
  const last = lastWritten.get(db.client.config);
  if (last !== undefined && now - last < PROOF_STANDS_MS && sqliteWriterHeld(db)) return;
  await db('readiness_probes').insert({ replica: REPLICA, checked_at: now }).onConflict('replica').merge(['checked_at']);
  lastWritten.set(db.client.config, now);
}
