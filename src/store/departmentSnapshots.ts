import type { Trx } from './db.js';
import { runStatement } from './statements.js';

/**
 * The department_snapshots table: per tenant, the last full department snapshot applied (by
 * digest), its marketplace time, and how many department rows the tenant had right after it.
 * A full sync that repeats it finds the tree as that sync left it when the tenant still has that
 * many rows, every one of them written at that time: no other call has written a department
 * since, for each writes its own time (or, at the very same time, forgets the record; see
 * forgetDepartmentSnapshot). Then nothing is left to diff, and the tree is not read.
 */

type TenantKey = { instance_id: string; tenant_id: string };

const RECORD = 'SELECT digest, source_ts, row_count FROM department_snapshots WHERE instance_id = ? AND tenant_id = ?';
const TREE_TIMES = 'SELECT COUNT(*) AS n, MIN(source_ts) AS first_ts, MAX(source_ts) AS last_ts FROM departments WHERE instance_id = ? AND tenant_id = ?';

/** True when the snapshot of this digest and time is the last one applied and the tree is still as it left it. */
export async function snapshotStillApplied(trx: Trx, key: TenantKey, digest: string, ts: string): Promise<boolean> {
  const params = [key.instance_id, key.tenant_id];
  const [record] = (await runStatement<{ digest: string; source_ts: string; row_count: number }>(trx, RECORD, params)).rows;
  if (!record || record.digest !== digest || record.source_ts !== ts) return false;
  const [tree] = (await runStatement<{ n: number | string; first_ts: string | null; last_ts: string | null }>(trx, TREE_TIMES, params)).rows;
  return Number(tree!.n) === Number(record.row_count) && tree!.first_ts === ts && tree!.last_ts === ts;
}

/** Records the snapshot just applied: it left `rowCount` department rows, all written at `ts`. */
export async function recordDepartmentSnapshot(trx: Trx, key: TenantKey, digest: string, ts: string, rowCount: number): Promise<void> {
  await trx('department_snapshots')
    .insert({ ...key, digest, source_ts: ts, row_count: rowCount })
    .onConflict(['instance_id', 'tenant_id'])
    .merge(['digest', 'source_ts', 'row_count']);
}

/** Forgets the tenant's record: its tree is no longer exactly what one snapshot made it. */
export async function forgetDepartmentSnapshot(trx: Trx, key: TenantKey): Promise<void> {
  await runStatement(trx, 'DELETE FROM department_snapshots WHERE instance_id = ? AND tenant_id = ?', [key.instance_id, key.tenant_id]);
}

/** Forgets the records of an instance's tenants (its directory is gone). */
export async function forgetInstanceSnapshots(trx: Trx, instanceId: string): Promise<void> {
  await runStatement(trx, 'DELETE FROM department_snapshots WHERE instance_id = ?', [instanceId]);
}
