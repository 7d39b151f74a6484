import { hostname } from 'node:os';
import type { Db } from './db.js';

const REPLICA = `${hostname()}:${process.pid}`.slice(0, 128);

/**
 * Writes this replica's row: a store that answers reads but refuses writes (disk full, read-only
 * after a failover) is not ready, since every marketplace call writes.
 */
export async function probeWrite(db: Db, now = Date.now()): Promise<void> {
  await db('readiness_probes').insert({ replica: REPLICA, checked_at: now }).onConflict('replica').merge(['checked_at']);
}
