import type { Db, Trx } from './db.js';

/** appInfo fields the merchant's application set for one instance (null: not set); password sealed. */
export interface AppInfoRow {
  instance_id: string;
  front_end_url: string | null;
  admin_url: string | null;
  user_name: string | null;
  password: string | null;
  memo: string | null;
  updated_at: number | string;
}

export type AppInfoColumns = Partial<Pick<AppInfoRow, 'front_end_url' | 'admin_url' | 'user_name' | 'password' | 'memo'>>;

/** The row, locked for the update that changes it (MySQL; SQLite runs one transaction at a time). */
export function appInfoRowOf(trx: Trx, instanceId: string): Promise<AppInfoRow | undefined> {
  return trx('instance_app_info').where({ instance_id: instanceId }).forUpdate().first();
}

export async function appInfoRowsOf(db: Db | Trx, instanceIds: string[]): Promise<Map<string, AppInfoRow>> {
  const rows: AppInfoRow[] = instanceIds.length === 0 ? [] : await db('instance_app_info').whereIn('instance_id', instanceIds);
  return new Map(rows.map((r) => [r.instance_id, r]));
}

/** Sets the given columns (null clears one), the others kept; a concurrent first write waits on the key and merges. */
export async function writeAppInfo(trx: Trx, instanceId: string, columns: AppInfoColumns, now: number): Promise<void> {
  const set = { ...columns, updated_at: now };
  await trx('instance_app_info').insert({ instance_id: instanceId, ...set }).onConflict('instance_id').merge(Object.keys(set));
}

export async function forgetAppInfo(trx: Trx, instanceId: string): Promise<void> {
  await trx('instance_app_info').where({ instance_id: instanceId }).delete();
}
