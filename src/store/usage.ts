import type { Db, Trx } from './db.js';
import { insertOnce } from './statements.js';

/** The latest usage of one instance for one relatedInstanceId ('' when none was given). */
export interface UsageRow {
  instance_id: string;
  related_instance_id: string;
  /** Exact decimal text, at most 4 decimals. */
  usage_value: string;
  /** yyyyMMddHHmmssSSS, UTC. */
  statistical_time: string;
  dashboard_url: string | null;
  reported_at: number;
}

/**
 * Keeps the report unless one with a later statisticalTime is kept already (reports may arrive out
 * of order); the same statisticalTime again replaces the values. 'older' when it was not kept.
 */
export async function recordUsage(trx: Trx, usage: UsageRow): Promise<'recorded' | 'older'> {
  if (await insertOnce(trx, 'instance_usage', { ...usage })) return 'recorded';
  const key = { instance_id: usage.instance_id, related_instance_id: usage.related_instance_id };
  const kept: Pick<UsageRow, 'statistical_time'> = await trx('instance_usage').where(key).forUpdate().first('statistical_time');
  if (kept.statistical_time > usage.statistical_time) return 'older';
  await trx('instance_usage').where(key).update({ usage_value: usage.usage_value, statistical_time: usage.statistical_time, dashboard_url: usage.dashboard_url, reported_at: usage.reported_at });
  return 'recorded';
}

/** Each instance's latest usage per relatedInstanceId, in relatedInstanceId order. */
export async function usageOfMany(db: Db | Trx, instanceIds: string[]): Promise<Map<string, UsageRow[]>> {
  const rows: UsageRow[] = instanceIds.length === 0 ? [] : await db('instance_usage').whereIn('instance_id', instanceIds).orderBy(['instance_id', 'related_instance_id']);
  const byInstance = new Map<string, UsageRow[]>();
  for (const row of rows) byInstance.set(row.instance_id, [...(byInstance.get(row.instance_id) ?? []), row]);
  return byInstance;
}

export async function forgetUsage(trx: Trx, instanceId: string): Promise<void> {
  await trx('instance_usage').where({ instance_id: instanceId }).delete();
}
